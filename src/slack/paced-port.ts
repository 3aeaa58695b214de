import { setTimeout as sleep } from 'node:timers/promises';
import Bottleneck from 'bottleneck';
import type { Logger } from 'pino';
import type { SlackMessage } from './blocks.ts';
import { SlackCallError, type SlackPort } from './port.ts';

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
 * - one queue per channel (Bottleneck.Group, one call at a time; posts keep their order, and edits and ephemerals
 *   go ahead of posts still queued: what is already up is kept true first)
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
  const channels = new Bottleneck.Group({
    maxConcurrent: 1,
    reservoir: burst,
    reservoirIncreaseAmount: 1,
    reservoirIncreaseInterval: Math.ceil(1000 / perSecond),
    reservoirIncreaseMaximum: burst,
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

  // Edits and ephemerals go ahead of the posts still queued in their channel (Bottleneck: lower runs first):
  // an edit is of a message already up, so it never overtakes its own post, and an expiry or a decision is shown
  // within Slack's edit limit, not after a backlog of confirmations (2,000 posts take over half an hour).
  const inChannel = <T>(channel: string, weight: number, method: string, call: () => Promise<T>) =>
    channels
      .key(channel)
      .schedule({ weight, priority: weight === 0 ? 4 : 5 }, () => withRetries(method, channel, call));

  return {
    postMessage: (channel, message, threadTs, stepToken) =>
      inChannel(channel, 1, 'chat.postMessage', () =>
        port.postMessage(channel, message, threadTs, stepToken),
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
      entry.done = inChannel(channel, 0, 'chat.update', () => {
        if (pendingEdits.get(key) === entry) pendingEdits.delete(key);
        return port.updateMessage(channel, ts, entry.message);
      }).finally(() => {
        if (pendingEdits.get(key) === entry) pendingEdits.delete(key);
      });
      pendingEdits.set(key, entry);
      return entry.done;
    },
    postEphemeral: (channel, user, text) =>
      inChannel(channel, 0, 'chat.postEphemeral', () => port.postEphemeral(channel, user, text)),
    groupMembers: (groupId) => withRetries('usergroups.users.list', '', () => port.groupMembers(groupId)),
    publishHome: (userId, blocks) => withRetries('views.publish', '', () => port.publishHome(userId, blocks)),
  };
}
