import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CampaignInfo } from '../../../src/core/campaign-info.ts';
import { type CatalogSource, createCatalog } from '../../../src/lifecycle/catalog.ts';
import { createMemoryCatalogStore } from '../../../src/stores/catalog.ts';
import { strict } from '../../support/strict.ts';

const log = pino({ level: 'silent' });
const hex = (n: number) => n.toString(16).padStart(24, '0');
const info = (n: number, name = `Campaign ${n}`, status = 'ACTIVE'): CampaignInfo => ({
  id: hex(n),
  name,
  status,
  channel: 'EMAIL',
  deliveryType: 'ONE_TIME',
});

/** MoEngage's listing as documented: 15 a page, no total; the last page holds fewer. */
function pagesOf(all: CampaignInfo[]) {
  const asked: { page: number; name?: string; priority?: number }[] = [];
  const page: CatalogSource['page'] = async (query, options) => {
    asked.push({ ...query, ...(options?.priority === undefined ? {} : { priority: options.priority }) });
    const rows = query.name
      ? all.filter((c) => c.name.toLowerCase().includes((query.name as string).toLowerCase()))
      : all;
    const slice = rows.slice((query.page - 1) * 15, query.page * 15);
    return { ok: true, campaigns: slice, rows: slice.length, limit: 15 };
  };
  return { page, asked };
}

const fast = { pagesPerMinute: 60_000, reloadCheckMs: 0, liveTimeoutMs: 5_000, changedBatchMs: 10 };

describe('the campaign catalog', () => {
  it('lists every page of the search at the lowest priority, keeps it in the store and prunes what is gone', async () => {
    const all = Array.from({ length: 31 }, (_, i) => info(i + 1));
    const { page, asked } = pagesOf(all);
    const store = createMemoryCatalogStore();
    const catalog = createCatalog({
      workspace: 'ws',
      store,
      source: strict<CatalogSource>('source', { page }),
      log,
      timings: fast,
    });
    expect(await catalog.refresh()).toMatchObject({ state: 'done', pages: 3, campaigns: 31, removed: 0 });
    expect(asked.map((a) => [a.page, a.priority])).toEqual([
      [1, 7],
      [2, 7],
      [3, 7],
    ]);
    expect((await catalog.view()).size).toBe(31);
    // Campaign 31 is gone from MoEngage: the next listing prunes it.
    all.pop();
    const second = await catalog.refresh();
    expect(second).toMatchObject({ state: 'done', pages: 3, campaigns: 30, removed: 1 });
    expect((await catalog.view()).byId(hex(31))).toBeUndefined();
    expect((await store.load('ws')).entries).toHaveLength(30);
  });

  it('paces a listing to its share of the search budget', async () => {
    const all = Array.from({ length: 45 }, (_, i) => info(i + 1));
    const { page } = pagesOf(all);
    const stamps: number[] = [];
    const catalog = createCatalog({
      workspace: 'ws',
      store: createMemoryCatalogStore(),
      source: strict<CatalogSource>('source', {
        page: async (q, o) => {
          stamps.push(performance.now());
          return page(q, o);
        },
      }),
      log,
      timings: { ...fast, pagesPerMinute: 600 },
    });
    await catalog.refresh();
    expect(stamps).toHaveLength(4);
    // 600 a minute: a page every 100 ms at the most (timers may fire late, never early: 95 for rounding).
    for (let i = 1; i < stamps.length; i++)
      expect((stamps[i] as number) - (stamps[i - 1] as number)).toBeGreaterThanOrEqual(95);
  });

  it('keeps what a failed listing stored, prunes nothing, and says why', async () => {
    const all = Array.from({ length: 40 }, (_, i) => info(i + 1));
    const { page } = pagesOf(all);
    const store = createMemoryCatalogStore();
    await store.upsert('ws', [{ id: hex(99), name: 'Old', status: 'ACTIVE', seenAt: 1 }]);
    let calls = 0;
    const catalog = createCatalog({
      workspace: 'ws',
      store,
      source: strict<CatalogSource>('source', {
        page: async (q, o) =>
          ++calls === 2 ? { ok: false, reason: 'failed', message: 'MoEngage 500' } : page(q, o),
      }),
      log,
      timings: fast,
    });
    expect(await catalog.refresh()).toMatchObject({
      state: 'failed',
      pages: 1,
      campaigns: 15,
      message: 'MoEngage 500',
    });
    const snap = await store.load('ws');
    expect(snap.fullAt).toBeUndefined();
    expect(snap.entries.map((e) => e.id)).toContain(hex(99));
    expect(snap.entries).toHaveLength(16);
  });

  it('lists on one replica at a time; the other reloads the copy the first stored', async () => {
    const all = Array.from({ length: 20 }, (_, i) => info(i + 1, `Spring sale ${i + 1}`));
    const store = createMemoryCatalogStore();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { page } = pagesOf(all);
    const a = createCatalog({
      workspace: 'ws',
      store,
      source: strict<CatalogSource>('a', {
        page: async (q, o) => {
          await gate;
          return page(q, o);
        },
      }),
      log,
      timings: fast,
    });
    const b = createCatalog({
      workspace: 'ws',
      store,
      source: strict<CatalogSource>('b', {}),
      log,
      timings: fast,
    });
    const first = a.refresh();
    await new Promise((r) => setImmediate(r));
    expect(await b.refresh()).toMatchObject({ state: 'held_elsewhere', pages: 0 });
    release();
    expect(await first).toMatchObject({ state: 'done', campaigns: 20 });
    await b.view(); // starts the version check
    await new Promise((r) => setImmediate(r));
    const seen = await b.view();
    expect(seen.fullAt).toBeDefined();
    expect(seen.search('sale 7', 5)[0]?.id).toBe(hex(7));
  });

  it('fills in with a live name search until the first full copy, then answers from the copy alone', async () => {
    const all = [info(1, 'Black Friday push'), info(2, 'Price drop email'), info(3, 'Black Friday email')];
    const { page, asked } = pagesOf(all);
    const catalog = createCatalog({
      workspace: 'ws',
      store: createMemoryCatalogStore(),
      source: strict<CatalogSource>('source', { page }),
      log,
      timings: fast,
    });
    const before = await catalog.search('friday', 10);
    expect(before.loading).toBe(true);
    expect(before.entries.map((e) => e.id).sort()).toEqual([hex(1), hex(3)]);
    expect(asked).toEqual([{ page: 1, name: 'friday', priority: 5 }]);
    // The same words again within a minute: the cached answer, no second call.
    await catalog.search('Friday', 10);
    expect(asked).toHaveLength(1);
    await catalog.refresh();
    asked.length = 0;
    const after = await catalog.search('price', 10);
    expect(after).toEqual({ loading: false, entries: [expect.objectContaining({ id: hex(2) })] });
    expect(asked).toEqual([]);
  });

  it('looks the campaigns the bot changed up again, in one batch, and keeps their new status', async () => {
    const store = createMemoryCatalogStore();
    await store.upsert('ws', [{ id: hex(1), name: 'A', status: 'ACTIVE', seenAt: 1 }]);
    const looked: string[][] = [];
    const done = new Promise<void>((resolve) => {
      const catalog = createCatalog({
        workspace: 'ws',
        store,
        source: strict<CatalogSource>('source', {
          lookup: async (ids) => {
            looked.push([...ids]);
            setImmediate(resolve);
            return { ok: true, found: new Map([[hex(1), info(1, 'A', 'PAUSED')]]) };
          },
        }),
        log,
        timings: fast,
      });
      catalog.changed([hex(1)]);
      catalog.changed([hex(2)]);
    });
    await done;
    await new Promise((r) => setImmediate(r));
    expect(looked).toEqual([[hex(1), hex(2)]]);
    expect((await store.load('ws')).entries[0]).toMatchObject({ id: hex(1), status: 'PAUSED' });
  });
});
