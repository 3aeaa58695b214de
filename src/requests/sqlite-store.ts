import type { Sqlite } from '../state/sqlite.ts';
import {
  approveTransition,
  type CampaignActionRequest,
  decideTransition,
  type RequestStore,
  requestFromJson,
  runDueOf,
} from './model.ts';

/**
 * Requests in the embedded database: the same contract as the memory and Redis stores (one shared test suite),
 * and the pure transitions applied as they are, inside one write transaction. Decided requests are forgotten
 * `retainMs` after their time, like the Redis store's TTL.
 */
export function createSqliteStore(
  sqlite: Sqlite,
  options: { retainMs?: number; now?: () => number } = {},
): RequestStore {
  const retainMs = options.retainMs ?? 24 * 3_600_000;
  const now = options.now ?? Date.now;
  const { db } = sqlite;
  const insert = db.prepare(
    'INSERT INTO requests (id, json, pending, expires_at, forget_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
  );
  const select = db.prepare('SELECT json FROM requests WHERE id = ? AND forget_at > ?');
  const update = db.prepare('UPDATE requests SET json = ?, pending = ?, run_due = ? WHERE id = ?');
  const runs = db.prepare(
    'SELECT id FROM requests WHERE run_due IS NOT NULL AND run_due <= ? AND forget_at > ?',
  );
  const due = db.prepare(
    'SELECT json FROM requests WHERE pending = 1 AND expires_at <= ? AND forget_at > ? ORDER BY expires_at',
  );
  const forget = db.prepare('DELETE FROM requests WHERE forget_at <= ?');
  const forgetOne = db.prepare('DELETE FROM requests WHERE id = ? AND forget_at <= ?');

  const read = (id: string): CampaignActionRequest | undefined => {
    const row = select.get(id, now()) as { json: string } | undefined;
    return row ? requestFromJson(row.json) : undefined;
  };
  const write = (r: CampaignActionRequest) => {
    update.run(JSON.stringify(r), r.state === 'pending' ? 1 : 0, runDueOf(r) ?? null, r.id);
  };
  // Forgetting scans an index: at most once a minute, not on every create.
  let forgotAt = Number.NEGATIVE_INFINITY;

  return {
    async create(request) {
      if (now() - forgotAt > 60_000) {
        forgotAt = now();
        forget.run(now());
      }
      const forgetAt = Math.max(request.expiresAt, now()) + retainMs;
      const pending = request.state === 'pending' ? 1 : 0;
      // A forgotten request's id is free again, as it is once pruned from memory or expired in Redis.
      forgetOne.run(request.id, now());
      const created = insert.run(request.id, JSON.stringify(request), pending, request.expiresAt, forgetAt);
      if (created.changes !== 1) throw new Error(`request ${request.id} already exists`);
    },
    async get(id) {
      return read(id);
    },
    async setMessageTs(id, ts) {
      sqlite.transaction(() => {
        const r = read(id);
        if (r) write({ ...r, messageTs: ts });
      });
    },
    async decide(id, to, by, at) {
      return sqlite.transaction(() => {
        const current = read(id);
        if (!current) return { ok: false, reason: 'not_found' } as const;
        const result = decideTransition(current, to, by, at);
        if (result.ok) write(result.request);
        return result;
      });
    },
    async approve(id, approval) {
      return sqlite.transaction(() => {
        const current = read(id);
        if (!current) return { ok: false, reason: 'not_found' } as const;
        const result = approveTransition(current, approval);
        if (result.ok) write(result.request);
        return result;
      });
    },
    async update(id, step) {
      return sqlite.transaction(() => {
        const current = read(id);
        if (!current) return undefined;
        const { next, value } = step(current);
        if (next) write(next);
        return { value, request: next ?? current };
      });
    },
    async runsDue(at) {
      return (runs.all(at, now()) as { id: string }[]).map((row) => row.id);
    },
    async dueForExpiry(at) {
      return (due.all(at, now()) as { json: string }[]).map((row) => requestFromJson(row.json));
    },
  };
}
