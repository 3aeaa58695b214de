import type { MessageStore } from './messages.ts';
import type { SocketMode } from './socket-mode.ts';
import type { Triggers } from './triggers.ts';
import type { SignedResponse, SignOptions } from './types.ts';
import type { Unfurls } from './unfurls.ts';
import type { Views } from './views.ts';

/** What the interaction kinds (options, submissions, shortcuts) share: their own file, so none imports another. */
export type Delivered = SignedResponse & { timedOut?: boolean; dispatchFailed?: boolean };

export interface InteractionDeps {
  signingSecret: string;
  teamId: string;
  botUserId: string;
  nextId: (prefix: string) => string;
  responseUrl: (id: string) => string;
  messages: MessageStore;
  socketMode: SocketMode;
  triggers: Triggers;
  views: Views;
  unfurls: Unfurls;
  isMember: (channel: string) => boolean;
}

/** What each kind of interaction is built with: the deps, Slack's `user` object, and a 3 s delivery. */
export interface InteractionKit extends InteractionDeps {
  user: (id: string, name?: string) => { id: string; username: string; name: string; team_id: string };
  deliver: (
    botUrl: string,
    payload: Record<string, unknown>,
    sign: SignOptions | undefined,
  ) => Promise<Delivered>;
}
