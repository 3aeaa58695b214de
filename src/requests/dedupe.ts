import type { Redis } from 'ioredis';

/**
 * Remembers deliveries already handled (a slash command's trigger_id, a click's action_ts), so a delivery Slack
 * repeats — a retry after a slow answer, a Socket Mode envelope redelivered to another connection — is done once,
 * on whichever replica sees it first.
 */
export interface Deduper {
  /** True the first time `key` is seen within `ttlMs`, false after. */
  firstTime(key: string, ttlMs?: number): Promise<boolean>;
}

const DEFAULT_TTL_MS = 15 * 60_000;

export function createMemoryDeduper(now: () => number = Date.now): Deduper {
  const seen = new Map<string, number>();
  return {
    async firstTime(key, ttlMs = DEFAULT_TTL_MS) {
      const t = now();
      if (seen.size > 10_000) for (const [k, until] of seen) if (until <= t) seen.delete(k);
      const until = seen.get(key);
      if (until !== undefined && until > t) return false;
      seen.set(key, t + ttlMs);
      return true;
    },
  };
}

export function createRedisDeduper(redis: Redis, keyPrefix: string): Deduper {
  return {
    async firstTime(key, ttlMs = DEFAULT_TTL_MS) {
      return (await redis.set(`${keyPrefix}seen:${key}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
    },
  };
}
