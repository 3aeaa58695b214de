import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createMemoryIdempotency,
  createRedisIdempotency,
  createSqliteIdempotency,
  PENDING_TTL_MS,
  TTL_MS,
} from '../../src/stores/idempotency.ts';
import { openSqlite } from '../../src/stores/sqlite.ts';
import { cleanup, connectRedis, uniquePrefix } from '../support/redis.ts';

/** The Idempotency-Key records of the runbook API, in each store: how long a pending and a done call hold a key. */
describe('Idempotency-Key records', () => {
  it('in memory: a pending key frees after 2 min, an answer is kept 24 h and then evicted', async () => {
    let t = 1_000_000;
    const store = createMemoryIdempotency(() => t);
    expect(await store.begin('a', 'f')).toEqual({ state: 'new' });
    expect(await store.begin('a', 'f')).toEqual({ state: 'pending', fingerprint: 'f' });
    t += PENDING_TTL_MS + 1;
    expect(await store.begin('a', 'f')).toEqual({ state: 'new' });
    await store.finish('a', 'f', 202, { id: 'r1' });
    for (let i = 0; i < 100; i++) {
      await store.begin(`k${i}`, 'f');
      await store.finish(`k${i}`, 'f', 202, { id: i });
    }
    expect(store.size?.()).toBe(101);
    t += TTL_MS - PENDING_TTL_MS;
    expect(await store.begin('a', 'f')).toMatchObject({ state: 'done', status: 202 });
    t += PENDING_TTL_MS + 60_001;
    await store.begin('fresh', 'f');
    // Every expired answer is gone, not only the ones asked for again.
    expect(store.size?.()).toBe(1);
  });

  it('in SQLite: a pending key frees after 2 min', async () => {
    let t = 1_000_000;
    const sqlite = openSqlite(':memory:');
    const store = createSqliteIdempotency(sqlite, () => t);
    await store.begin('a', 'f');
    expect(await store.begin('a', 'f')).toMatchObject({ state: 'pending' });
    t += PENDING_TTL_MS + 1;
    expect(await store.begin('a', 'f')).toEqual({ state: 'new' });
    sqlite.close();
  });

  describe('in Redis', () => {
    const redis = connectRedis();
    let prefix = '';
    beforeEach(() => {
      prefix = uniquePrefix('idem');
    });
    afterEach(() => cleanup(redis, prefix));
    afterAll(() => redis.quit());

    it('marks a pending call for 2 min, not 24 h, and keeps an answer 24 h', async () => {
      const store = createRedisIdempotency(redis, prefix);
      await store.begin('a', 'f');
      const pendingTtl = await redis.pttl(`${prefix}idem:a`);
      expect(pendingTtl).toBeGreaterThan(0);
      expect(pendingTtl).toBeLessThanOrEqual(PENDING_TTL_MS);
      await store.finish('a', 'f', 202, { id: 'r1' });
      expect(await redis.pttl(`${prefix}idem:a`)).toBeGreaterThan(PENDING_TTL_MS);
      expect(await store.begin('a', 'f')).toMatchObject({ state: 'done', status: 202, body: { id: 'r1' } });
    });
  });
});
