import { setTimeout as sleep } from 'node:timers/promises';
import Bottleneck from 'bottleneck';
import type { Logger } from 'pino';
import { drawn, SlackCallError, type SlackPort } from './port.ts';
import type { SlackMessage } from './views/blocks.ts';

export interface PaceOptions {
  /** chat.postMessage per channel: about one a second (Slack), with a short burst. */
  postsPerSecond?: number;
  burst?: number;
  /** Sends of one call, 429s included, before it is given up. */
  maxAttempts?: number;
  /** The longest Retry-After waited out (a larger one fails the call at once: nothing hangs for minutes). */
  maxRetryAfterMs?: number;
  log: Logger;
  /** A call given up after its retries (counted in a metric; the caller says so to people). */
  onGivenUp?: (method: string, code: string) => void;
}

/**
 * Slack's rate limits handled per channel, around any SlackPort:
 * - one queue per channel (Bottleneck.Group, one call at a time; new messages keep their order, and edits, thread
 *   replies and ephemerals go ahead of new messages still queued: what is already up is kept true first)
 *   and a bucket for chat.postMessage of `burst` posts refilled at `postsPerSecond`: Slack's "about one message
 *   per second per channel, short bursts allowed". Edits and ephemerals weigh nothing in the bucket;
 * - a 429 (the Web API client is told to hand rate-limited calls back, not to pause every call of the process)
 *   waits out its Retry-After in that channel's queue only, then the call is sent again; other channels go on;
 * - edits of one message still queued are coalesced: the latest state wins, the older edit is never sent;
 * - a call still failing after `maxAttempts` (or asked to wait longer than `maxRetryAfterMs`) is given up:
 *   counted, and thrown to the caller, who tells people rather than dropping it silently.
 */
export function pacedPort(port: SlackPort, options: PaceOptions): SlackPort {
  const perSecond = options.postsPerSecond ?? 1;
  const burst = options.burst ?? 2;
  const maxAttempts = options.maxAttempts ?? 6;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const refillMs = Math.ceil(1000 / perSecond);
  const channels = new Bottleneck.Group({
    maxConcurrent: 1,
    reservoir: burst,
    reservoirIncreaseAmount: 1,
    reservoirIncreaseInterval: refillMs,
    reservoirIncreaseMaximum: burst,
    // Bottleneck refills on its heartbeat (250 ms by default), at most once a beat: a faster pace (a test's) would
    // be held to four posts a second. Slack's own pace (one a second) keeps the default beat.
    heartbeatInterval: Math.min(250, refillMs),
  });
  // A channel's limiter is dropped once idle for a while (Bottleneck.Group's default timeout, 5 min).
  const pendingEdits = new Map<string, { message: SlackMessage; done: Promise<void> }>();

  async function withRetries<T>(method: string, channel: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const code = error instanceof SlackCallError ? error.code : 'request_failed';
        const waitMs = error instanceof SlackCallError ? error.retryAfterMs : undefined;
        const retry = code === 'ratelimited' && attempt < maxAttempts && (waitMs ?? 1_000) <= maxRetryAfterMs;
        if (!retry) {
          options.onGivenUp?.(method, code);
          throw error;
        }
        options.log.info(
          { method, channel, attempt, waitMs },
          'slack rate limit: waiting in this channel only',
        );
        await sleep(waitMs ?? 1_000);
      }
    }
  }

  // What concerns a message already up — its edits, the replies in its thread — and ephemerals go ahead of the
  // new messages still queued in their channel (Bottleneck: a lower priority runs first; each keeps its order):
  // it never overtakes its own message, and an expiry, a decision or a run's results are shown at Slack's pace,
  // not after a backlog of confirmations (2,000 new posts take over half an hour).
  const UP = 4;
  const NEW = 5;
  const inChannel = <T>(
    channel: string,
    weight: number,
    priority: number,
    method: string,
    call: () => Promise<T>,
  ) => channels.key(channel).schedule({ weight, priority }, () => withRetries(method, channel, call));

  return {
    // A late message is drawn when its turn comes (and again on each retry), not when it joined the queue.
    postMessage: (channel, message, threadTs, stepToken) =>
      inChannel(channel, 1, threadTs === undefined ? NEW : UP, 'chat.postMessage', async () =>
        port.postMessage(channel, await drawn(message), threadTs, stepToken),
      ),
    finishStep: (executionId, token, end) =>
      withRetries('functions.complete', '', () => port.finishStep(executionId, token, end)),
    updateMessage(channel, ts, message) {
      const key = `${channel}:${ts}`;
      const queued = pendingEdits.get(key);
      if (queued) {
        // Not sent yet: it goes out with this newer state instead.
        queued.message = message;
        return queued.done;
      }
      const entry = { message, done: Promise.resolve() };
      entry.done = inChannel(channel, 0, UP, 'chat.update', () => {
        if (pendingEdits.get(key) === entry) pendingEdits.delete(key);
        return port.updateMessage(channel, ts, entry.message);
      }).finally(() => {
        if (pendingEdits.get(key) === entry) pendingEdits.delete(key);
      });
      pendingEdits.set(key, entry);
      return entry.done;
    },
    postEphemeral: (channel, user, text) =>
      inChannel(channel, 0, UP, 'chat.postEphemeral', () => port.postEphemeral(channel, user, text)),
    groupMembers: (groupId) => withRetries('usergroups.users.list', '', () => port.groupMembers(groupId)),
    publishHome: (userId, blocks) => withRetries('views.publish', '', () => port.publishHome(userId, blocks)),
    // Straight through, neither queued nor tried again: its trigger_id lives 3 s and is taken once, so a modal
    // that waited its turn (or a second try of one Slack may have opened) would fail anyway.
    openView: (triggerId, view) => port.openView(triggerId, view),
    // In the channel's queue ahead of new posts, weighing nothing in its bucket: a card on someone's message.
    unfurl: (channel, ts, unfurls) =>
      inChannel(channel, 0, UP, 'chat.unfurl', () => port.unfurl(channel, ts, unfurls)),
  };
}
