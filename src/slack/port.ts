import type { SlackMessage } from './views/blocks.ts';

/**
 * The Slack Web API calls the lifecycle makes, behind an interface so the lifecycle never sees Bolt. The
 * implementation over @slack/web-api is in ./web-port.ts.
 */
export interface SlackPort {
  /**
   * Posts into a channel (or a thread) and returns the new message's ts. Throws SlackCallError. `stepToken`: a
   * Workflow step's token, so the message is the step's (its clicks carry the step and a fresh token). A
   * `LateMessage` is drawn just before it is sent (each attempt), so a post that waited its turn shows the state
   * then, not the state when it was asked for.
   */
  postMessage(
    channel: string,
    message: SlackMessage | LateMessage,
    threadTs?: string,
    stepToken?: string,
  ): Promise<string>;
  /** Finishes a Workflow step (functions.completeSuccess / completeError) with a token of that step. */
  finishStep(
    executionId: string,
    token: string,
    end: { outputs: Record<string, string | number> } | { error: string },
  ): Promise<void>;
  updateMessage(channel: string, ts: string, message: SlackMessage): Promise<void>;
  postEphemeral(channel: string, user: string, text: string): Promise<void>;
  groupMembers(groupId: string): Promise<readonly string[]>;
  /** Publishes a person's Home tab (views.publish: up to 100 blocks). */
  publishHome(userId: string, blocks: readonly Record<string, unknown>[]): Promise<void>;
  /**
   * Opens a modal (views.open) with the trigger_id of a command, a shortcut or a click: Slack takes it once and
   * within 3 s (then `expired_trigger_id`). Returns the view's id.
   */
  openView(triggerId: string, view: Record<string, unknown>): Promise<string>;
  /**
   * Attaches cards to links of a message (chat.unfurl): one per URL, each Block Kit `{ blocks }`. Only links Slack
   * sent the bot in a `link_shared` event can be unfurled.
   */
  unfurl(
    channel: string,
    ts: string,
    unfurls: Record<string, { blocks: readonly Record<string, unknown>[] }>,
  ): Promise<void>;
}

export type LateMessage = () => Promise<SlackMessage>;

export const drawn = (message: SlackMessage | LateMessage): Promise<SlackMessage> =>
  typeof message === 'function' ? message() : Promise.resolve(message);

/**
 * The bot scope each Web API method the bot calls needs (auth.test needs none). manifest.yml must declare
 * exactly these plus `commands`; a test checks both, and the flow tests check no other method is called.
 */
export const SCOPES_BY_METHOD: Record<string, string | undefined> = {
  'auth.test': undefined,
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'usergroups.users.list': 'usergroups:read',
  // No scope: the Home tab is enabled in the manifest (features.app_home).
  'views.publish': undefined,
  // No scope: a trigger_id (a command, a shortcut, a click) is what lets the bot open a modal.
  'views.open': undefined,
  // The campaign cards on pasted dashboard links (the link_shared event itself needs links:read).
  'chat.unfurl': 'links:write',
  // A step's own token, not a bot scope.
  'functions.completeSuccess': undefined,
  'functions.completeError': undefined,
};

/** A Slack Web API call that failed; `code` is Slack's error string (e.g. `not_in_channel`). */
export class SlackCallError extends Error {
  readonly code: string;
  readonly method: string;
  /** For `ratelimited`: how long Slack asked to wait (its Retry-After). */
  readonly retryAfterMs: number | undefined;
  constructor(method: string, code: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(`Slack ${method} failed: ${code}`, options);
    this.name = 'SlackCallError';
    this.method = method;
    this.code = code;
    this.retryAfterMs = options?.retryAfterMs;
  }
}
