import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { CampaignActionRequest } from '../core/request.ts';

/**
 * Tells whoever waits on a request (a Workflow step, the API's long poll) that it changed, on this replica or
 * another, so `settled` waits without polling. In memory for one process; Redis pub/sub for replicas.
 */
export interface ChangeFeed {
  publish(requestId: string): void;
  /** Calls `fn` with the id of every request that changed; returns the unsubscribe. */
  subscribe(fn: (requestId: string) => void): () => void;
  close(): Promise<void>;
}

export function createMemoryChangeFeed(): ChangeFeed {
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  return {
    publish: (id) => bus.emit('change', id),
    subscribe(fn) {
      bus.on('change', fn);
      return () => bus.off('change', fn);
    },
    close: async () => {
      bus.removeAllListeners();
    },
  };
}

/** Publishes on `<prefix>changes`; one subscriber connection (a duplicate of `redis`) serves every waiter. */
export function createRedisChangeFeed(redis: Redis, keyPrefix: string): ChangeFeed {
  const channel = `${keyPrefix}changes`;
  const local = createMemoryChangeFeed();
  let subscriber: Redis | undefined;
  const ensureSubscribed = () => {
    if (subscriber) return;
    // Subscribed on every (re)connect here rather than by ioredis, whose own resubscribe leaves its promise
    // unhandled (see redis-limiter.ts): a connection closing before Redis answers would end the process.
    const sub = redis.duplicate({ autoResubscribe: false });
    subscriber = sub;
    sub.on('message', (ch: string, id: string) => {
      if (ch === channel) local.publish(id);
    });
    sub.on('error', () => {
      // Reconnects on its own; a waiter also re-reads the store on a slow timer (see settled).
    });
    sub.on('ready', () => {
      sub.subscribe(channel).catch(() => {});
    });
  };
  return {
    publish(id) {
      void redis.publish(channel, id).catch(() => {});
    },
    subscribe(fn) {
      ensureSubscribed();
      return local.subscribe(fn);
    },
    async close() {
      await local.close();
      await subscriber?.quit().catch(() => subscriber?.disconnect());
    },
  };
}

/** A request with nothing more to wait for: decided other than confirmed, or confirmed and run. */
export function isSettled(r: CampaignActionRequest): boolean {
  return r.state === 'cancelled' || r.state === 'expired' || (r.state === 'confirmed' && !!r.result);
}

/**
 * Resolves with the request once it is settled, or with what it is when `timeoutMs` runs out (undefined if it
 * is gone). Wakes on every change of that request; re-reads every `recheckMs` too, in case a message was lost
 * while a connection was down. An aborted `signal` ends the wait at once, with what the request is then.
 */
export function waitSettled(
  id: string,
  deps: { get: (id: string) => Promise<CampaignActionRequest | undefined>; feed: ChangeFeed },
  timeoutMs: number,
  recheckMs = 15_000,
  signal?: AbortSignal,
): Promise<CampaignActionRequest | undefined> {
  return new Promise((resolve, reject) => {
    let done = false;
    let latest: CampaignActionRequest | undefined;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      unsubscribe();
      signal?.removeEventListener('abort', answerNow);
      clearTimeout(deadline);
      clearInterval(recheck);
      if (error) reject(error);
      else resolve(latest);
    };
    const check = () => {
      deps.get(id).then((r) => {
        latest = r;
        if (!r || isSettled(r)) finish();
      }, finish);
    };
    const unsubscribe = deps.feed.subscribe((changed) => {
      if (changed === id) check();
    });
    // Answered with a fresh read: what `latest` holds may be from before the last change.
    const answerNow = () => {
      deps.get(id).then((r) => {
        latest = r;
        finish();
      }, finish);
    };
    signal?.addEventListener('abort', answerNow, { once: true });
    const deadline = setTimeout(() => finish(), timeoutMs);
    const recheck = setInterval(check, recheckMs);
    deadline.unref();
    recheck.unref();
    if (signal?.aborted) answerNow();
    else check();
  });
}
