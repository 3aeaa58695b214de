import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import { type Notifier, settles } from '../../../core/notifier.ts';
import type { CampaignActionRequest } from '../../../core/request.ts';
import type { RequestStore } from '../../../core/store.ts';
import { describe } from '../kit/resource.ts';
import { guardedLookup } from './callback-address.ts';
import { type CallbackQueueLimits, createCallbackQueue, DEFAULT_CALLBACK_QUEUE } from './callback-queue.ts';

/** A claim older than this was left by a replica that died mid-delivery: another may deliver. */
const CLAIM_MS = 5 * 60_000;

export interface CallbackOptions {
  store: RequestStore;
  /** The signing key of a runbook token (RunbookAuth.keyOf). */
  keyOf: (token: string) => Buffer | undefined;
  logger: Logger;
  /** Sends per callback, the first included; 5xx, 429 and network errors are retried, 4xx are not. */
  maxAttempts?: number;
  /** The first retry's wait; it doubles each time (1, 2, 4, 8 s: about 15 s in all by default). */
  backoffMs?: number;
  timeoutMs?: number;
  now?: () => number;
  /** CALLBACK_ALLOW_LOOPBACK: loopback addresses may be called (never private ones). */
  allowLoopback?: boolean;
  /** Callbacks sent at once, in all and per token, and how many may wait per token (callback-queue.ts). */
  queue?: Partial<CallbackQueueLimits>;
}

/**
 * `callback_url`: once a request settles (run, cancelled, expired), its resource is POSTed to the caller's URL,
 * once across replicas (a compare-and-set claim on the request), signed like the caller's own signed calls:
 * `X-Campaign-Bot-Timestamp` and `X-Campaign-Bot-Signature: v1=<hex HMAC-SHA256 of "v1:<timestamp>:<body>">`
 * keyed with the SHA-256 of the caller's token, and `X-Campaign-Bot-Delivery` (the request id) to dedupe on.
 * Retried on 5xx and network errors within a bound; how it went is kept on the request.
 */
export function withCallbacks(inner: Notifier, options: CallbackOptions): Notifier {
  const log = options.logger.child({ module: 'callback' });
  const now = options.now ?? Date.now;
  const maxAttempts = options.maxAttempts ?? 5;
  const backoffMs = options.backoffMs ?? 1_000;
  // Every connection's address is checked as it is made (no redirects are followed: undici's request does not).
  const agent = new Agent({ connect: { lookup: guardedLookup(options.allowLoopback ?? false) as never } });
  const queue = createCallbackQueue({ ...DEFAULT_CALLBACK_QUEUE, ...options.queue });

  /** Queues the delivery behind the token's earlier ones; a full queue fails it for good, and says so. */
  async function enqueue(id: string, token: string): Promise<void> {
    const run = () =>
      deliver(id).catch((error: unknown) =>
        log.error({ requestId: id, err: String(error) }, 'callback failed'),
      );
    if (queue.push(token, run)) return;
    const failed = `too many callbacks queued for the token "${token}"`;
    await options.store.update(id, (x) =>
      x.callback && !x.callback.deliveredAt && !x.callback.failed
        ? { next: { ...x, callback: { ...x.callback, failed, attempts: 0 } }, value: true }
        : { value: false },
    );
    log.warn({ requestId: id, token, ...queue.stats(), why: failed }, 'callback not delivered');
  }

  async function deliver(id: string): Promise<void> {
    const claimed = await options.store.update(id, (r) => {
      const c = r.callback;
      if (!c || c.deliveredAt || c.failed || (c.claimedAt && now() - c.claimedAt < CLAIM_MS))
        return { value: false };
      return { next: { ...r, callback: { ...c, claimedAt: now() } }, value: true };
    });
    if (!claimed?.value || !claimed.request.callback) return;
    const r = claimed.request;
    const callback = r.callback as NonNullable<CampaignActionRequest['callback']>;
    const key = options.keyOf(callback.token);
    let outcome: { deliveredAt?: number; failed?: string; attempts: number };
    if (!key) outcome = { failed: 'the token that asked is no longer configured', attempts: 0 };
    else outcome = await send(callback.url, r, key);
    await options.store.update(id, (x) =>
      x.callback
        ? { next: { ...x, callback: { ...x.callback, ...outcome } }, value: true }
        : { value: false },
    );
    if (outcome.failed)
      log.warn({ requestId: id, attempts: outcome.attempts, why: outcome.failed }, 'callback not delivered');
    else log.info({ requestId: id, attempts: outcome.attempts }, 'callback delivered');
  }

  async function send(url: string, r: CampaignActionRequest, key: Buffer) {
    const { callback: _c, ...shown } = r;
    const body = JSON.stringify(describe(shown));
    let last = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const ts = Math.floor(now() / 1000);
      const signature = `v1=${createHmac('sha256', key).update(`v1:${ts}:${body}`).digest('hex')}`;
      try {
        const res = await request(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-campaign-bot-timestamp': String(ts),
            'x-campaign-bot-signature': signature,
            'x-campaign-bot-delivery': r.id,
          },
          body,
          dispatcher: agent,
          // A whole attempt, however slowly the other side drips its answer.
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
        await res.body.dump();
        if (res.statusCode < 300) return { deliveredAt: now(), attempts: attempt };
        last = `the callback answered ${res.statusCode}`;
        if (res.statusCode < 500 && res.statusCode !== 429) return { failed: last, attempts: attempt };
      } catch (error) {
        last = `could not reach the callback (${(error as Error).message})`;
      }
      if (attempt < maxAttempts) await sleep(backoffMs * 2 ** (attempt - 1));
    }
    return { failed: last, attempts: maxAttempts };
  }

  return {
    post: (request) => inner.post(request),
    async update(request, change) {
      await inner.update(request, change);
      if (request.callback && settles(change)) {
        void enqueue(request.id, request.callback.token).catch((error: unknown) =>
          log.error({ requestId: request.id, err: String(error) }, 'callback failed'),
        );
      }
    },
  };
}
