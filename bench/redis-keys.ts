import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** Redis helpers of the benches: fresh key prefixes, and cleanup of exactly those keys. */

/** Keys no other run can share; the limiter's keys are `<prefix>moengage:<workspace>:…`. */
export function uniquePrefix(): string {
  return `bench:${process.pid}:${randomUUID().slice(0, 8)}:`;
}

function connect(url: string): Redis {
  return new Redis(url, {
    connectTimeout: 2_000,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => (times > 2 ? null : 100),
  });
}

export async function checkRedis(url: string): Promise<void> {
  const redis = connect(url);
  redis.on('error', () => undefined);
  try {
    await redis.ping();
  } catch (error) {
    throw new Error(`the replicas bench needs Redis at ${redisHost(url)} (${(error as Error).message})`);
  } finally {
    redis.disconnect();
  }
}

const patterns = (prefix: string) => {
  const escaped = prefix.replace(/[*?[\]\\]/g, '\\$&');
  return [`${escaped}*`];
};

async function scanEach(
  url: string,
  prefix: string,
  each: (redis: Redis, keys: string[]) => Promise<unknown>,
) {
  const redis = connect(url);
  try {
    for (const match of patterns(prefix)) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 500);
        if (keys.length > 0) await each(redis, keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

export async function countPrefix(url: string, prefix: string): Promise<number> {
  let n = 0;
  await scanEach(url, prefix, async (_redis, keys) => {
    n += keys.length;
  });
  return n;
}

/** SCAN + DEL of `<prefix>*` only (never FLUSHDB: the database is not ours). */
export async function deletePrefix(url: string, prefix: string): Promise<number> {
  let n = 0;
  await scanEach(url, prefix, async (redis, keys) => {
    n += await redis.del(...keys);
  });
  return n;
}

export function redisHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'redis (unparsable URL)';
  }
}
