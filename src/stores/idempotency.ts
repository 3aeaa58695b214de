import type { Redis } from 'ioredis';
import type { Begin, IdempotencyStore } from '../core/ports.ts';
import type { Sqlite } from './sqlite.ts';

export type { Begin, IdempotencyStore } from '../core/ports.ts';

export const TTL_MS = 24 * 3_600_000;
/** A call still marked pending after this long died with its process: let a retry with the key try again. */
export const PENDING_TTL_MS = 2 * 60_000;

interface Entry {
  fingerprint: string;
  state: 'pending' | 'done';
  status?: number;
  body?: unknown;
}

const toBegin = (e: Entry): Begin =>
  e.state === 'done'
    ? { state: 'done', fingerprint: e.fingerprint, status: e.status ?? 500, body: e.body }
    : { state: 'pending', fingerprint: e.fingerprint };

export function createMemoryIdempotency(now: () => number = Date.now): IdempotencyStore {
  const entries = new Map<string, Entry & { until: number }>();
  let prunedAt = Number.NEGATIVE_INFINITY;
  // Expired answers leave at most a minute after their time (about 1 KB each, one per call otherwise forever).
  const prune = (t: number) => {
    if (t - prunedAt < 60_000) return;
    prunedAt = t;
    for (const [key, e] of entries) if (e.until <= t) entries.delete(key);
  };
  return {
    size: () => entries.size,
    async begin(key, fingerprint) {
      prune(now());
      const e = entries.get(key);
      if (e && e.until > now()) return toBegin(e);
      entries.set(key, { fingerprint, state: 'pending', until: now() + PENDING_TTL_MS });
      return { state: 'new' };
    },
    async finish(key, fingerprint, status, body) {
      entries.set(key, { fingerprint, state: 'done', status, body, until: now() + TTL_MS });
    },
    async abandon(key) {
      entries.delete(key);
    },
  };
}

export function createRedisIdempotency(redis: Redis, keyPrefix: string): IdempotencyStore {
  const k = (key: string) => `${keyPrefix}idem:${key}`;
  return {
    async begin(key, fingerprint) {
      const entry: Entry = { fingerprint, state: 'pending' };
      // Pending for 2 min at most, as in every store: a call that died with its replica does not block its key.
      if ((await redis.set(k(key), JSON.stringify(entry), 'PX', PENDING_TTL_MS, 'NX')) === 'OK')
        return { state: 'new' };
      const raw = await redis.get(k(key));
      // Expired between the two calls: treat as new (the SET NX above will have been the last word).
      return raw ? toBegin(JSON.parse(raw) as Entry) : { state: 'new' };
    },
    async finish(key, fingerprint, status, body) {
      const entry: Entry = { fingerprint, state: 'done', status, body };
      await redis.set(k(key), JSON.stringify(entry), 'PX', TTL_MS);
    },
    async abandon(key) {
      await redis.del(k(key));
    },
  };
}

/** Idempotency-Key answers in the embedded database: a retry after a restart still gets the first answer. */
export function createSqliteIdempotency(sqlite: Sqlite, now: () => number = Date.now): IdempotencyStore {
  const { db } = sqlite;
  const select = db.prepare('SELECT json FROM idempotency WHERE key = ? AND until > ?');
  const upsert = db.prepare(
    'INSERT INTO idempotency (key, json, until) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET json = excluded.json, until = excluded.until',
  );
  const remove = db.prepare('DELETE FROM idempotency WHERE key = ?');
  const prune = db.prepare('DELETE FROM idempotency WHERE until <= ?');
  let prunedAt = Number.NEGATIVE_INFINITY;
  return {
    async begin(key, fingerprint) {
      return sqlite.transaction(() => {
        const t = now();
        if (t - prunedAt > 60_000) {
          prunedAt = t;
          prune.run(t);
        }
        const row = select.get(key, t) as { json: string } | undefined;
        if (row) return toBegin(JSON.parse(row.json) as Entry);
        const entry: Entry = { fingerprint, state: 'pending' };
        upsert.run(key, JSON.stringify(entry), t + PENDING_TTL_MS);
        return { state: 'new' } as const;
      });
    },
    async finish(key, fingerprint, status, body) {
      const entry: Entry = { fingerprint, state: 'done', status, body };
      upsert.run(key, JSON.stringify(entry), now() + TTL_MS);
    },
    async abandon(key) {
      remove.run(key);
    },
  };
}
