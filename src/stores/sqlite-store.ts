import {
  approveTransition,
  type CampaignActionRequest,
  decideTransition,
  keepUntilOf,
  type RequestStore,
  requestFromJson,
  runDueOf,
} from '../core/store.ts';
import type { Sqlite } from './sqlite.ts';

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
    'INSERT INTO requests (id, json, pending, expires_at, forget_at, run_due) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
  );
  const select = db.prepare('SELECT json FROM requests WHERE id = ? AND forget_at > ?');
  // Work still due on a request (a run, a scheduled RESUME) keeps it at least retainMs beyond that time.
  const update = db.prepare(
    'UPDATE requests SET json = ?, pending = ?, run_due = ?, forget_at = MAX(forget_at, COALESCE(?, 0)) WHERE id = ?',
  );
  const runs = db.prepare(
    'SELECT id FROM requests WHERE run_due IS NOT NULL AND run_due <= ? AND forget_at > ?',
  );
  const due = db.prepare(
    'SELECT json FROM requests WHERE pending = 1 AND expires_at <= ? AND forget_at > ? ORDER BY expires_at, id LIMIT ? OFFSET ?',
  );
  const forget = db.prepare('DELETE FROM requests WHERE forget_at <= ?');
  const holdKey = db.prepare(
    'INSERT INTO holds (key, request_id) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
  );
  const holderOf = db.prepare('SELECT request_id FROM holds WHERE key = ?');
  const releaseKey = db.prepare('DELETE FROM holds WHERE key = ? AND request_id = ?');
  const allHolds = db.prepare('SELECT key, request_id FROM holds');
  const forgetOne = db.prepare('DELETE FROM requests WHERE id = ? AND forget_at <= ?');

  const read = (id: string): CampaignActionRequest | undefined => {
    const row = select.get(id, now()) as { json: string } | undefined;
    return row ? requestFromJson(row.json) : undefined;
  };
  const write = (r: CampaignActionRequest) => {
    const due = runDueOf(r);
    const keep = keepUntilOf(r);
    update.run(
      JSON.stringify(r),
      r.state === 'pending' ? 1 : 0,
      due ?? null,
      keep === undefined ? null : keep + retainMs,
      r.id,
    );
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
      // Created confirmed (a RESUME a PAUSE scheduled): its run is due at once, in the same index as any other.
      const created = insert.run(
        request.id,
        JSON.stringify(request),
        pending,
        request.expiresAt,
        forgetAt,
        runDueOf(request) ?? null,
      );
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
    async hold(key, requestId) {
      return sqlite.transaction(() => {
        if (holdKey.run(key, requestId).changes === 1) return undefined;
        return (holderOf.get(key) as { request_id: string } | undefined)?.request_id;
      });
    },
    async release(key, requestId) {
      return releaseKey.run(key, requestId).changes === 1;
    },
    async holders() {
      const rows = allHolds.all() as { key: string; request_id: string }[];
      return new Map(rows.map((row) => [row.key, row.request_id]));
    },
    async dueForExpiry(at, page) {
      // LIMIT -1: no limit.
      const rows = due.all(at, now(), page?.limit ?? -1, page?.offset ?? 0) as { json: string }[];
      return rows.map((row) => requestFromJson(row.json));
    },
  };
}
