import type { Redis } from 'ioredis';
import type { Deduper } from '../core/ports.ts';
import type { Sqlite } from './sqlite.ts';

export type { Deduper } from '../core/ports.ts';

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

/** Deliveries remembered in the embedded database, so a redelivery after a restart is still recognised. */
export function createSqliteDeduper(sqlite: Sqlite, now: () => number = Date.now): Deduper {
  const claim = sqlite.db.prepare(
    'INSERT INTO seen (key, until) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET until = excluded.until WHERE seen.until <= ?',
  );
  const prune = sqlite.db.prepare('DELETE FROM seen WHERE until <= ?');
  let prunedAt = Number.NEGATIVE_INFINITY;
  return {
    async firstTime(key, ttlMs = DEFAULT_TTL_MS) {
      const t = now();
      if (t - prunedAt > 60_000) {
        prunedAt = t;
        prune.run(t);
      }
      return claim.run(key, t + ttlMs, t).changes === 1;
    },
  };
}
