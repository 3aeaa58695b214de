import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The one place tests learn where Redis is. */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/**
 * A connection that gives up quickly instead of queueing commands forever: when Redis does not answer, the
 * tests must fail (CI relies on it), not hang until the timeout or skip.
 */
export function connectRedis(): Redis {
  return new Redis(redisUrl(), {
    connectTimeout: 2_000,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => (times > 2 ? null : 100),
  });
}

/** Keys no other run, file or concurrent CI job can share: the Redis may hold anything else. */
export function uniquePrefix(name: string): string {
  return `test:${name}:${process.pid}:${randomUUID().slice(0, 8)}:`;
}

/** Deletes the prefix's keys only (never FLUSHDB: the database is not ours). */
export async function cleanup(redis: Redis, prefix: string): Promise<void> {
  const match = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
