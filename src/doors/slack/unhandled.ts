import type { Logger } from 'pino';
import { errorText } from '../../lifecycle/error-text.ts';
import type { SlackPort } from '../../slack/port.ts';
import { type FailureWords, failureText } from './respond.ts';

/** Who a delivery came from and where to answer them: a command's or a click's payload says. */
export interface ReplyTarget {
  responseUrl?: string;
  channelId?: string;
  userId?: string;
}

/** Reads who and where from a command, a click or an event body; fields it cannot find are left out. */
export function replyTargetOf(body: unknown): ReplyTarget {
  const b = (body ?? {}) as {
    response_url?: unknown;
    channel_id?: unknown;
    user_id?: unknown;
    user?: { id?: unknown };
    channel?: { id?: unknown };
    container?: { channel_id?: unknown };
  };
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const responseUrl = str(b.response_url);
  const channelId = str(b.channel_id) ?? str(b.channel?.id) ?? str(b.container?.channel_id);
  const userId = str(b.user_id) ?? str(b.user?.id);
  return {
    ...(responseUrl ? { responseUrl } : {}),
    ...(channelId ? { channelId } : {}),
    ...(userId ? { userId } : {}),
  };
}

const UNHANDLED: FailureWords = {
  could: 'handle that',
  unchanged: 'Nothing was changed; try again in a moment',
  unknown: 'Check the channel before trying again',
};

export interface UnhandledDeps {
  slack: Pick<SlackPort, 'postEphemeral'>;
  logger: Logger;
  /** Posts to a response_url (Slack's, from the payload); the global fetch by default. */
  postToResponseUrl?: (url: string, body: Record<string, unknown>) => Promise<void>;
}

/**
 * Bolt's one error sink (`app.error`, with extendedErrorHandler): a listener error nothing caught is logged and
 * told to the person whose command or click it was — in the payload's response_url, else as an ephemeral in its
 * channel — in the same words as the doors' boundary. An event without a person or channel is logged only.
 */
export function createUnhandledErrorReply(deps: UnhandledDeps) {
  const log = deps.logger.child({ module: 'bolt' });
  const post = deps.postToResponseUrl ?? postJson;
  return async ({ error, body }: { error: Error & { code?: string; original?: unknown }; body: unknown }) => {
    const cause = error.original ?? error;
    log.error({ err: errorText(cause), code: error.code }, 'unhandled listener error');
    const target = replyTargetOf(body);
    const text = failureText(cause, UNHANDLED);
    if (target.responseUrl) {
      try {
        await post(target.responseUrl, { response_type: 'ephemeral', replace_original: false, text });
        return;
      } catch (failure) {
        log.info({ err: errorText(failure) }, 'response_url refused; posting ephemeral');
      }
    }
    if (!target.channelId || !target.userId) return;
    await deps.slack
      .postEphemeral(target.channelId, target.userId, text)
      .catch((failure: unknown) => log.warn({ err: errorText(failure) }, 'could not tell the person'));
  };
}

async function postJson(url: string, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`response_url answered HTTP ${response.status}`);
}
