import type { Redis } from 'ioredis';
import { createMemoryChangeFeed } from '../core/change-feed.ts';
import type { ChangeFeed } from '../core/ports.ts';

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
