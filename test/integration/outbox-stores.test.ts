import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { Outbox } from '../../src/core/outbox.ts';
import { createMemoryOutbox } from '../../src/stores/outbox-memory.ts';
import { createRedisOutbox } from '../../src/stores/outbox-redis.ts';
import { createSqliteOutbox } from '../../src/stores/outbox-sqlite.ts';
import { openSqlite, type Sqlite } from '../../src/stores/sqlite.ts';
import { cleanup, connectRedis, uniquePrefix } from '../support/redis.ts';

const redis: Redis = connectRedis();
const prefixes: string[] = [];
const sqliteDir = mkdtempSync(join(tmpdir(), 'campaign-bot-outbox-'));
const opened: Sqlite[] = [];

afterAll(async () => {
  try {
    if (redis.status === 'ready') for (const p of prefixes) await cleanup(redis, p);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
    for (const s of opened) s.close();
    rmSync(sqliteDir, { recursive: true, force: true });
  }
});

/** Polls until `check` holds, or fails after `ms`: leases here run on the real clock (Redis's PX). */
async function eventually<T>(check: () => Promise<T | false>, ms = 5_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== false) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const kinds: [string, () => Promise<Outbox>][] = [
  ['memory', async () => createMemoryOutbox()],
  [
    'SQLite',
    async () => {
      const sqlite = openSqlite(join(sqliteDir, `${Math.random().toString(36).slice(2)}.db`));
      opened.push(sqlite);
      return createSqliteOutbox(sqlite);
    },
  ],
  [
    'Redis',
    async () => {
      expect(await redis.ping()).toBe('PONG');
      const prefix = uniquePrefix('outbox');
      prefixes.push(prefix);
      return createRedisOutbox({ redis, keyPrefix: prefix });
    },
  ],
];

const post = (text: string) => ({ payload: { kind: 'post', text, blocks: [] as unknown[] } });
const edit = (text: string, rank: number) => ({ target: 'C:1.0', rank, payload: { kind: 'edit', text } });
const texts = (head: { entries: { payload: unknown }[] }) =>
  head.entries.map((e) => (e.payload as { text: string }).text);

describe.each(kinds)('the %s outbox', (_name, make) => {
  it('keeps a queue’s entries in order, payloads intact (an empty array stays an array)', async () => {
    const outbox = await make();
    await outbox.enqueue('q1', [post('r1'), post('r2')]);
    await outbox.enqueue('q1', [edit('summary', 2)]);
    const head = await outbox.peek('q1', 10);
    expect(texts(head)).toEqual(['r1', 'r2', 'summary']);
    expect(head.entries[0]?.payload).toEqual({ kind: 'post', text: 'r1', blocks: [] });
    expect(head.entries.map((e) => e.seq)).toEqual([...head.entries.map((e) => e.seq)].sort((a, b) => a - b));
    expect((await outbox.peek('q1', 2)).entries).toHaveLength(2);
  });

  it('merges edits of one message to the latest, after the posts queued before it, and drops stale ones', async () => {
    const outbox = await make();
    await outbox.enqueue('q1', [edit('running', 1)]);
    await outbox.enqueue('q1', [post('r1'), edit('summary', 2)]);
    await outbox.enqueue('q1', [edit('running 90%', 1)]);
    expect(texts(await outbox.peek('q1', 10))).toEqual(['r1', 'summary']);
  });

  it('remembers a message’s rank after its edit was sent: a late progress line is still stale', async () => {
    const outbox = await make();
    await outbox.enqueue('q1', [edit('summary', 2)]);
    const [q] = await outbox.claim('A', 5, 10_000);
    const head = await outbox.peek('q1', 10);
    expect(await outbox.done(q as string, head.entries[0]?.seq as number, 'A', 10_000)).toBe(true);
    await outbox.release('q1', 'A');
    await outbox.enqueue('q1', [edit('running', 1)]);
    expect((await outbox.peek('q1', 10)).entries).toEqual([]);
    expect(await outbox.claim('A', 5, 10_000)).toEqual([]);
  });

  it('lets one holder send a queue at a time, and bounds a claim', async () => {
    const outbox = await make();
    for (const q of ['q1', 'q2', 'q3']) await outbox.enqueue(q, [post(q)]);
    const a = await outbox.claim('A', 2, 10_000);
    expect(a).toHaveLength(2);
    const b = await outbox.claim('B', 5, 10_000);
    expect(b).toHaveLength(1);
    expect([...a, ...b].sort()).toEqual(['q1', 'q2', 'q3']);
    expect(await outbox.claim('C', 5, 10_000)).toEqual([]);
    // B does not hold A's queues: it cannot remove their entries.
    const head = await outbox.peek(a[0] as string, 1);
    expect(await outbox.done(a[0] as string, head.entries[0]?.seq as number, 'B', 10_000)).toBe(false);
  });

  it('hands a queue to another holder once its holder’s lease lapses (a replica died mid-send)', async () => {
    const outbox = await make();
    await outbox.enqueue('q1', [post('r1')]);
    expect(await outbox.claim('A', 1, 150)).toEqual(['q1']);
    expect(await outbox.claim('B', 1, 150)).toEqual([]);
    await eventually(async () => (await outbox.claim('B', 1, 10_000)).length === 1 || false);
    const seq = (await outbox.peek('q1', 1)).entries[0]?.seq as number;
    expect(await outbox.done('q1', seq, 'A', 10_000)).toBe(false);
    expect(await outbox.renew('q1', 'A', 10_000)).toBe(false);
    expect(await outbox.done('q1', seq, 'B', 10_000)).toBe(true);
    expect((await outbox.peek('q1', 1)).entries).toEqual([]);
  });

  it('waits out a retry, counting failures in a row until a send goes through', async () => {
    const outbox = await make();
    await outbox.enqueue('q1', [post('r1'), post('r2')]);
    await outbox.claim('A', 1, 10_000);
    await outbox.release('q1', 'A', Date.now() + 300);
    expect((await outbox.peek('q1', 1)).failures).toBe(1);
    expect(await outbox.claim('A', 1, 10_000)).toEqual([]);
    await eventually(async () => (await outbox.claim('A', 1, 10_000)).length === 1 || false);
    const [first] = (await outbox.peek('q1', 1)).entries;
    expect(await outbox.done('q1', first?.seq as number, 'A', 10_000, true)).toBe(true);
    const after = await outbox.peek('q1', 5);
    expect(after).toMatchObject({ failures: 0, dropped: 1 });
    expect(texts(after)).toEqual(['r2']);
  });

  it('says how deep it is and how old its oldest entry', async () => {
    const outbox = await make();
    expect(await outbox.stats()).toEqual({ depth: 0, oldestAt: undefined });
    const before = Date.now();
    await outbox.enqueue('q1', [post('r1'), post('r2')]);
    await outbox.enqueue('q2', [post('r3')]);
    const stats = await outbox.stats();
    expect(stats.depth).toBe(3);
    expect(stats.oldestAt).toBeGreaterThanOrEqual(before);
    expect(stats.oldestAt).toBeLessThanOrEqual(Date.now());
  });
});
