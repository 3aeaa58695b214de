import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../../src/core/catalog.ts';
import type { CatalogStore } from '../../src/core/ports.ts';
import {
  createMemoryCatalogStore,
  createRedisCatalogStore,
  createSqliteCatalogStore,
} from '../../src/stores/catalog.ts';
import { openSqlite } from '../../src/stores/sqlite.ts';
import { cleanup, connectRedis, uniquePrefix } from '../support/redis.ts';

const redis = connectRedis();
const prefix = uniquePrefix('catalog');
const dir = mkdtempSync(join(tmpdir(), 'catalog-'));
afterAll(async () => {
  await cleanup(redis, prefix);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

const hex = (n: number) => n.toString(16).padStart(24, '0');
const entry = (n: number, seenAt: number, name = `Campaign ${n}`): CatalogEntry => ({
  id: hex(n),
  name,
  status: 'ACTIVE',
  channel: 'EMAIL',
  tags: ['t'],
  flow: { id: 'f1', name: 'Welcome flow' },
  seenAt,
});

const stores: [string, () => CatalogStore][] = [
  ['memory', () => createMemoryCatalogStore()],
  ['SQLite', () => createSqliteCatalogStore(openSqlite(join(dir, `${Math.random()}.db`)))],
  ['Redis', () => createRedisCatalogStore(redis, `${prefix}${Math.random()}:`)],
];

describe.each(stores)('the campaign catalog in %s', (_, make) => {
  it('keeps entries per workspace, moves its version on every write, and a listing prunes what it did not see', async () => {
    const store = make();
    expect(await store.load('ws1')).toEqual({ entries: [], fullAt: undefined, version: '0' });
    await store.upsert('ws1', [entry(1, 100), entry(2, 100), entry(3, 100)]);
    await store.upsert('ws2', [entry(9, 100)]);
    const v1 = await store.version('ws1');
    expect(v1).not.toBe('0');
    // A second listing starts at 200 and sees 1 and 3 (3 renamed); 2 is gone from MoEngage.
    await store.upsert('ws1', [entry(1, 200), entry(3, 210, 'Renamed')]);
    expect(await store.version('ws1')).not.toBe(v1);
    expect(await store.finishListing('ws1', 200, 300)).toEqual({ removed: 1 });
    const after = await store.load('ws1');
    expect(after.fullAt).toBe(300);
    expect(after.entries.map((e) => [e.id, e.name]).sort()).toEqual([
      [hex(1), 'Campaign 1'],
      [hex(3), 'Renamed'],
    ]);
    expect(after.entries[0]).toMatchObject({ tags: ['t'], flow: { id: 'f1', name: 'Welcome flow' } });
    expect((await store.load('ws2')).entries.map((e) => e.id)).toEqual([hex(9)]);
  });

  it('lets one refresher hold a workspace at a time, until it lets go or its lease runs out', async () => {
    const store = make();
    expect(await store.lease('ws1', 'a', 60_000)).toBe(true);
    expect(await store.lease('ws1', 'b', 60_000)).toBe(false);
    expect(await store.lease('ws2', 'b', 60_000)).toBe(true);
    expect(await store.lease('ws1', 'a', 60_000)).toBe(true);
    await store.release('ws1', 'b');
    expect(await store.lease('ws1', 'b', 60_000)).toBe(false);
    await store.release('ws1', 'a');
    expect(await store.lease('ws1', 'b', 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(await store.lease('ws1', 'a', 60_000)).toBe(true);
  });
});
