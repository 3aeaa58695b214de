import { afterAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/core/audit.ts';
import { createRedisAuditTrail, createSqliteAuditTrail } from '../../src/stores/audit-trail.ts';
import { openSqlite } from '../../src/stores/sqlite.ts';
import { cleanup, connectRedis, uniquePrefix } from '../support/redis.ts';

const event = (requestId: string): AuditEvent => ({
  event: 'expired',
  requestId,
  action: 'PAUSE',
  channel: 'C1',
  requestedBy: 'UALICE',
  onBehalfOf: undefined,
  campaignIds: ['c1'],
  reason: undefined,
  source: 'slash_command',
});

describe('the stored audit trail, read back from a time (history)', () => {
  const redis = connectRedis();
  const prefix = uniquePrefix('audit');
  afterAll(async () => {
    await cleanup(redis, prefix);
    await redis.quit();
  });

  for (const [name, make] of [
    ['SQLite', () => createSqliteAuditTrail(openSqlite(':memory:'))],
    ['Redis', () => createRedisAuditTrail(redis, prefix)],
  ] as const) {
    it(`${name}: returns the events at or after a time, oldest first`, async () => {
      const trail = make();
      const t = Date.now();
      await trail.append(event('old'), t - 10_000);
      await trail.append(event('a'), t);
      await trail.append(event('b'), t + 1);
      const since = await trail.since(t, 100);
      // Redis dates its stream ids by its own clock: the old one was appended now, but is dated 10 s ago.
      expect(since.map((e) => ('requestId' in e ? e.requestId : '')).filter((id) => id !== 'old')).toEqual([
        'a',
        'b',
      ]);
      expect(since.every((e) => e.at >= t)).toBe(true);
    });

    it(`${name}: reads in pages, each event once, however many share a millisecond`, async () => {
      const trail = name === 'SQLite' ? make() : createRedisAuditTrail(redis, `${prefix}paged:`);
      const t = Date.now();
      for (let i = 0; i < 23; i += 1) await trail.append(event(`p${i}`), t + Math.floor(i / 10));
      const read: string[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await trail.page(t, after, 5);
        pages += 1;
        read.push(...page.events.map((e) => ('requestId' in e ? (e.requestId ?? '') : '')));
        after = page.next;
      } while (after !== undefined && pages < 20);
      expect(read).toEqual(Array.from({ length: 23 }, (_, i) => `p${i}`));
      expect(pages).toBe(5);
    });
  }
});
