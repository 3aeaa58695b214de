import type { Redis } from 'ioredis';
import type { CatalogEntry } from '../core/catalog.ts';
import type { CatalogSnapshot, CatalogStore } from '../core/ports.ts';
import type { Sqlite } from './sqlite.ts';

/** One process's catalog (no REDIS_URL, no SQLITE_PATH): gone at a restart, refreshed again. */
export function createMemoryCatalogStore(): CatalogStore {
  const books = new Map<string, { entries: Map<string, CatalogEntry>; fullAt?: number; version: number }>();
  const leases = new Map<string, { owner: string; until: number }>();
  const book = (ws: string) => {
    let b = books.get(ws);
    if (!b) {
      b = { entries: new Map(), version: 0 };
      books.set(ws, b);
    }
    return b;
  };
  return {
    async load(ws) {
      const b = book(ws);
      return { entries: [...b.entries.values()], fullAt: b.fullAt, version: String(b.version) };
    },
    async version(ws) {
      return String(book(ws).version);
    },
    async upsert(ws, entries) {
      const b = book(ws);
      for (const e of entries) b.entries.set(e.id, e);
      b.version++;
    },
    async finishListing(ws, startedAt, at) {
      const b = book(ws);
      let removed = 0;
      for (const [id, e] of b.entries) {
        if (e.seenAt < startedAt) {
          b.entries.delete(id);
          removed++;
        }
      }
      b.fullAt = at;
      b.version++;
      return { removed };
    },
    async lease(ws, owner, ms) {
      const held = leases.get(ws);
      if (held && held.owner !== owner && held.until > Date.now()) return false;
      leases.set(ws, { owner, until: Date.now() + ms });
      return true;
    },
    async release(ws, owner) {
      if (leases.get(ws)?.owner === owner) leases.delete(ws);
    },
  };
}

/** The embedded database's catalog: one row a campaign; its tables are the file's (sqlite.ts, MIGRATIONS). */
export function createSqliteCatalogStore(sqlite: Sqlite): CatalogStore {
  const db = sqlite.db;
  const meta = db.prepare('SELECT full_at, version FROM catalog_meta WHERE workspace = ?');
  const ensure = db.prepare('INSERT OR IGNORE INTO catalog_meta (workspace) VALUES (?)');
  const bump = db.prepare('UPDATE catalog_meta SET version = version + 1 WHERE workspace = ?');
  const put = db.prepare(
    'INSERT INTO catalog (workspace, id, json, seen_at) VALUES (?, ?, ?, ?) ON CONFLICT (workspace, id) DO UPDATE SET json = excluded.json, seen_at = excluded.seen_at',
  );
  const all = db.prepare('SELECT json FROM catalog WHERE workspace = ?');
  const prune = db.prepare('DELETE FROM catalog WHERE workspace = ? AND seen_at < ?');
  const finish = db.prepare('UPDATE catalog_meta SET full_at = ?, version = version + 1 WHERE workspace = ?');
  const takeLease = db.prepare(
    'UPDATE catalog_meta SET lease_owner = ?, lease_until = ? WHERE workspace = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?)',
  );
  const dropLease = db.prepare(
    'UPDATE catalog_meta SET lease_owner = NULL, lease_until = NULL WHERE workspace = ? AND lease_owner = ?',
  );
  const read = (ws: string) => meta.get(ws) as { full_at: number | null; version: number } | undefined;
  return {
    async load(ws) {
      const m = read(ws);
      const rows = all.all(ws) as { json: string }[];
      return {
        entries: rows.map((r) => JSON.parse(r.json) as CatalogEntry),
        fullAt: m?.full_at ?? undefined,
        version: String(m?.version ?? 0),
      };
    },
    async version(ws) {
      return String(read(ws)?.version ?? 0);
    },
    async upsert(ws, entries) {
      sqlite.transaction(() => {
        ensure.run(ws);
        for (const e of entries) put.run(ws, e.id, JSON.stringify(e), e.seenAt);
        bump.run(ws);
      });
    },
    async finishListing(ws, startedAt, at) {
      return sqlite.transaction(() => {
        ensure.run(ws);
        const removed = Number(prune.run(ws, startedAt).changes);
        finish.run(at, ws);
        return { removed };
      });
    },
    async lease(ws, owner, ms) {
      return sqlite.transaction(() => {
        ensure.run(ws);
        const now = Date.now();
        return Number(takeLease.run(owner, now + ms, ws, owner, now).changes) === 1;
      });
    },
    async release(ws, owner) {
      dropLease.run(ws, owner);
    },
  };
}

/**
 * Redis: `<prefix>catalog:<ws>` a hash of id → entry JSON, `<prefix>catalog-meta:<ws>` its version and last full
 * listing, `<prefix>catalog-lease:<ws>` the refresher's lease, `<prefix>catalog-seen:<ws>` when each was last listed (so a
 * listing's end prunes without decoding every entry). A listing's end prunes what it did not see, in one
 * script, so a replica never loads a half-pruned copy as complete.
 */
export function createRedisCatalogStore(redis: Redis, keyPrefix: string): CatalogStore {
  const keys = (ws: string) => ({
    entries: `${keyPrefix}catalog:${ws}`,
    meta: `${keyPrefix}catalog-meta:${ws}`,
    lease: `${keyPrefix}catalog-lease:${ws}`,
    seen: `${keyPrefix}catalog-seen:${ws}`,
  });
  return {
    async load(ws): Promise<CatalogSnapshot> {
      const k = keys(ws);
      const [[, raw], [, m]] = (await redis
        .multi()
        .hgetall(k.entries)
        .hmget(k.meta, 'fullAt', 'version')
        .exec()) as [[Error | null, Record<string, string>], [Error | null, (string | null)[]]];
      const [fullAt, version] = m;
      return {
        entries: Object.values(raw).map((json) => JSON.parse(json) as CatalogEntry),
        fullAt: fullAt ? Number(fullAt) : undefined,
        version: version ?? '0',
      };
    },
    async version(ws) {
      return (await redis.hget(keys(ws).meta, 'version')) ?? '0';
    },
    async upsert(ws, entries) {
      if (entries.length === 0) return;
      const k = keys(ws);
      const fields = entries.flatMap((e) => [e.id, JSON.stringify(e)]);
      const seen = entries.flatMap((e) => [e.id, String(e.seenAt)]);
      await redis
        .multi()
        .hset(k.entries, ...fields)
        .hset(k.seen, ...seen)
        .hincrby(k.meta, 'version', 1)
        .exec();
    },
    async finishListing(ws, startedAt, at) {
      const k = keys(ws);
      const removed = (await redis.eval(
        `local seen = redis.call('HGETALL', KEYS[3])
local n = 0
for i = 1, #seen, 2 do
  if tonumber(seen[i + 1]) < tonumber(ARGV[1]) then
    redis.call('HDEL', KEYS[1], seen[i])
    redis.call('HDEL', KEYS[3], seen[i])
    n = n + 1
  end
end
redis.call('HSET', KEYS[2], 'fullAt', ARGV[2])
redis.call('HINCRBY', KEYS[2], 'version', 1)
return n`,
        3,
        k.entries,
        k.meta,
        k.seen,
        String(startedAt),
        String(at),
      )) as number;
      return { removed };
    },
    async lease(ws, owner, ms) {
      const got = await redis.eval(
        `local held = redis.call('GET', KEYS[1])
if held == false or held == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`,
        1,
        keys(ws).lease,
        owner,
        String(ms),
      );
      return got === 1;
    },
    async release(ws, owner) {
      await redis.eval(
        `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
        1,
        keys(ws).lease,
        owner,
      );
    },
  };
}
