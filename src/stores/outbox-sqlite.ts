import { type Outbox, type OutboxEntry, planEnqueue } from '../core/outbox.ts';
import type { Sqlite } from './sqlite.ts';

interface Row {
  seq: number;
  target: string | null;
  rank: number | null;
  payload: string;
  created_at: number;
}

/** The outbox in the embedded database: every step one write transaction (see state/sqlite.ts). */
export function createSqliteOutbox(
  sqlite: Sqlite,
  options: { retainMs?: number; now?: () => number } = {},
): Outbox {
  const retainMs = options.retainMs ?? 24 * 3_600_000;
  const now = options.now ?? Date.now;
  const { db } = sqlite;
  // Its tables are the file's (sqlite.ts, MIGRATIONS).
  // One process uses the file (shared-state.ts: exclusiveStore): a lease found at open was held by a process that
  // is gone (a crash, a SIGKILL), and its queues are this one's to send now, not after the lease.
  db.exec('UPDATE outbox_queues SET holder = NULL, lease_until = 0 WHERE holder IS NOT NULL');
  const queueOf = db.prepare('SELECT ranks FROM outbox_queues WHERE queue = ?');
  const addQueue = db.prepare(
    'INSERT INTO outbox_queues (queue, due_at, touched_at) VALUES (?, ?, ?) ON CONFLICT (queue) DO NOTHING',
  );
  const targets = db.prepare('SELECT seq, target FROM outbox WHERE queue = ? AND target IS NOT NULL');
  const removeOne = db.prepare('DELETE FROM outbox WHERE queue = ? AND seq = ?');
  const insert = db.prepare(
    'INSERT INTO outbox (queue, target, rank, payload, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const setQueue = db.prepare(
    'UPDATE outbox_queues SET ranks = ?, touched_at = ?, waiting = (SELECT COUNT(*) FROM outbox WHERE queue = ?) WHERE queue = ?',
  );
  const due = db.prepare(
    'SELECT queue FROM outbox_queues WHERE waiting > 0 AND due_at <= ? AND lease_until <= ? ORDER BY due_at LIMIT ?',
  );
  const lease = db.prepare('UPDATE outbox_queues SET holder = ?, lease_until = ? WHERE queue = ?');
  const head = db.prepare(
    'SELECT seq, target, rank, payload, created_at FROM outbox WHERE queue = ? ORDER BY seq LIMIT ?',
  );
  const counts = db.prepare('SELECT dropped, failures FROM outbox_queues WHERE queue = ?');
  const holderOf = db.prepare('SELECT holder, lease_until FROM outbox_queues WHERE queue = ?');
  const afterDone = db.prepare(
    'UPDATE outbox_queues SET waiting = waiting - ?, dropped = dropped + ?, failures = 0, lease_until = ?, touched_at = ? WHERE queue = ?',
  );
  const letGo = db.prepare(
    'UPDATE outbox_queues SET holder = NULL, lease_until = 0, due_at = MAX(due_at, ?), failures = failures + ? WHERE queue = ? AND holder = ?',
  );
  const total = db.prepare('SELECT COUNT(*) AS depth, MIN(created_at) AS oldest FROM outbox');
  const forget = db.prepare('DELETE FROM outbox_queues WHERE waiting = 0 AND touched_at <= ?');
  let forgotAt = Number.NEGATIVE_INFINITY;

  const holds = (queue: string, holder: string) => {
    const row = holderOf.get(queue) as { holder: string | null; lease_until: number } | undefined;
    return row?.holder === holder && row.lease_until > now();
  };

  return {
    async enqueue(queue, entries) {
      sqlite.transaction(() => {
        if (now() - forgotAt > 60_000) {
          forgotAt = now();
          forget.run(now() - retainMs);
        }
        addQueue.run(queue, now(), now());
        const ranks = new Map(
          Object.entries(
            JSON.parse((queueOf.get(queue) as { ranks: string }).ranks) as Record<string, number>,
          ),
        );
        const queued = (targets.all(queue) as { seq: number; target: string }[]).map((r) => ({
          seq: r.seq,
          target: r.target,
        }));
        const plan = planEnqueue(queued, ranks, entries);
        for (const s of plan.remove) removeOne.run(queue, s);
        for (const e of plan.append)
          insert.run(queue, e.target ?? null, e.rank ?? null, JSON.stringify(e.payload), now());
        setQueue.run(JSON.stringify(Object.fromEntries(plan.ranks)), now(), queue, queue);
      });
    },
    async claim(holder, max, leaseMs) {
      return sqlite.transaction(() => {
        const ids = (due.all(now(), now(), max) as { queue: string }[]).map((r) => r.queue);
        for (const id of ids) lease.run(holder, now() + leaseMs, id);
        return ids;
      });
    },
    async peek(queue, limit) {
      const rows = head.all(queue, limit) as unknown as Row[];
      const c = counts.get(queue) as { dropped: number; failures: number } | undefined;
      const entries: OutboxEntry[] = rows.map((r) => ({
        seq: r.seq,
        createdAt: r.created_at,
        payload: JSON.parse(r.payload),
        ...(r.target === null ? {} : { target: r.target }),
        ...(r.rank === null ? {} : { rank: r.rank }),
      }));
      return { entries, dropped: c?.dropped ?? 0, failures: c?.failures ?? 0 };
    },
    async done(queue, seq, holder, leaseMs, dropped = false) {
      return sqlite.transaction(() => {
        if (!holds(queue, holder)) return false;
        const removed = removeOne.run(queue, seq).changes;
        afterDone.run(removed, dropped ? removed : 0, now() + leaseMs, now(), queue);
        return true;
      });
    },
    async renew(queue, holder, leaseMs) {
      return sqlite.transaction(() => {
        if (!holds(queue, holder)) return false;
        lease.run(holder, now() + leaseMs, queue);
        return true;
      });
    },
    async release(queue, holder, retryAt) {
      letGo.run(retryAt ?? 0, retryAt === undefined ? 0 : 1, queue, holder);
    },
    async stats() {
      const row = total.get() as { depth: number; oldest: number | null };
      return { depth: row.depth, oldestAt: row.oldest ?? undefined };
    },
  };
}
