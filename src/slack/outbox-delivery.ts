import type { Logger } from 'pino';
import type { FailureKind, NewEntry } from '../core/outbox.ts';
import type { CampaignActionRequest } from '../core/request.ts';
import { SlackCallError, type SlackPort } from './port.ts';
import { context, type SlackMessage } from './views/blocks.ts';
import { undeliveredLine } from './views/messages.ts';

type StepEnd = Parameters<SlackPort['finishStep']>[2];

/** What the Slack notifier queues in the outbox, one Web API call each. */
export type SlackOutboxPayload =
  | { kind: 'post'; channel: string; threadTs: string; message: SlackMessage }
  /** `noteDropped`: the summary; it says how many of its thread's replies Slack refused for good, if any. */
  | { kind: 'edit'; channel: string; ts: string; message: SlackMessage; noteDropped?: string }
  /**
   * Finishes a Workflow step with the freshest token stored for the request, read when sent (else `step`'s, as
   * read when queued). `early`: a run that outlasts the token ends the step before it settles.
   */
  | {
      kind: 'finish_step';
      requestId: string;
      end: StepEnd;
      step: StepToken;
      early?: boolean;
    };

interface StepToken {
  executionId: string;
  token: string;
  tokenUntil: number;
}

/** Where a message is in its life: a view drawn later never replaces one ranked higher (see core/outbox.ts). */
export const RANK = { pending: 0, running: 1, settled: 2 } as const;

export const postEntry = (channel: string, threadTs: string, message: SlackMessage): NewEntry => ({
  payload: { kind: 'post', channel, threadTs, message } satisfies SlackOutboxPayload,
});

export const editEntry = (
  channel: string,
  ts: string,
  message: SlackMessage,
  rank: number,
  noteDropped?: string,
): NewEntry => ({
  target: `${channel}:${ts}`,
  rank,
  payload: {
    kind: 'edit',
    channel,
    ts,
    message,
    ...(noteDropped ? { noteDropped } : {}),
  } satisfies SlackOutboxPayload,
});

export const finishStepEntry = (
  requestId: string,
  step: StepToken,
  end: StepEnd,
  early = false,
): NewEntry => ({
  payload: {
    kind: 'finish_step',
    requestId,
    end,
    step: { executionId: step.executionId, token: step.token, tokenUntil: step.tokenUntil },
    ...(early ? { early } : {}),
  } satisfies SlackOutboxPayload,
});

/** Sends one queued payload through the (paced) Slack port. Throws what Slack said; `classify` judges it. */
export function slackDelivery(
  slack: SlackPort,
  log: Logger,
  current?: (requestId: string) => Promise<CampaignActionRequest | undefined>,
) {
  return async (raw: unknown, at: { dropped: number }): Promise<void> => {
    const payload = raw as SlackOutboxPayload;
    if (payload.kind === 'post') {
      await slack.postMessage(payload.channel, payload.message, payload.threadTs);
      return;
    }
    if (payload.kind === 'edit') {
      const message = payload.message;
      // Never dropped silently: the summary on the parent says what the thread is missing.
      const note =
        payload.noteDropped && at.dropped > 0 ? undeliveredLine(at.dropped, payload.noteDropped) : undefined;
      await slack.updateMessage(
        payload.channel,
        payload.ts,
        note ? { ...message, blocks: [...message.blocks, context(note)] } : message,
      );
      return;
    }
    // The store away: the token as queued still finishes the step while it lives.
    const r = current ? await current(payload.requestId).catch(() => undefined) : undefined;
    if (r?.workflow?.ended && !payload.early) return;
    const fresher = r?.workflow && r.workflow.tokenUntil > payload.step.tokenUntil ? r.workflow : undefined;
    const step = fresher ?? payload.step;
    if (step.tokenUntil <= Date.now()) {
      log.warn(
        { requestId: payload.requestId, executionId: step.executionId },
        'workflow step not finished: its token has expired',
      );
      return;
    }
    await slack.finishStep(step.executionId, step.token, payload.end);
  };
}

// Slack's answers that mean "not now": its own outages, rate limits, and the network between.
const TRANSIENT = new Set([
  'ratelimited',
  'request_failed',
  'slack_webapi_request_error',
  'slack_webapi_http_error',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'team_added_to_org',
]);

/**
 * Whether a failed send is tried again: 429, 5xx, network errors and Slack's "try later" codes are; what Slack
 * refuses for good (channel_not_found, not_in_channel, message_not_found, invalid_blocks, …) is not. An error
 * that is not Slack's (the store away while the step's token is read) is tried again.
 */
export function classifySlackFailure(error: unknown): {
  kind: FailureKind;
  code: string;
  retryAfterMs?: number;
} {
  if (!(error instanceof SlackCallError)) return { kind: 'transient', code: 'error' };
  const { code } = error;
  const http = /^http_(\d{3})$/.exec(code);
  const transient = TRANSIENT.has(code) || (http !== null && (Number(http[1]) >= 500 || http[1] === '408'));
  return {
    kind: transient ? 'transient' : 'permanent',
    code,
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
  };
}
