import { type NewEntry, type Outbox, type OutboxEntry, planEnqueue } from '../core/outbox.ts';

interface Queue {
  entries: OutboxEntry[];
  ranks: Map<string, number>;
  dropped: number;
  failures: number;
  dueAt: number;
  lease: { holder: string; until: number } | undefined;
  touchedAt: number;
}

/**
 * The outbox of one process without a shared store: the same rules as the SQLite and Redis outboxes (one shared
 * suite). A queue's ranks are remembered `retainMs` after its last change, so a late, stale edit is still known
 * as stale; then it is forgotten.
 */
export function createMemoryOutbox(options: { retainMs?: number; now?: () => number } = {}): Outbox {
  const retainMs = options.retainMs ?? 24 * 3_600_000;
  const now = options.now ?? Date.now;
  const queues = new Map<string, Queue>();
  let seq = 0;
  let prunedAt = Number.NEGATIVE_INFINITY;
  const prune = () => {
    if (now() - prunedAt < 60_000) return;
    prunedAt = now();
    for (const [id, q] of queues)
      if (q.entries.length === 0 && q.touchedAt < now() - retainMs) queues.delete(id);
  };
  const held = (q: Queue | undefined, holder: string): q is Queue =>
    q?.lease?.holder === holder && q.lease.until > now();

  return {
    async enqueue(id, entries: readonly NewEntry[]) {
      prune();
      const q = queues.get(id) ?? {
        entries: [],
        ranks: new Map(),
        dropped: 0,
        failures: 0,
        dueAt: now(),
        lease: undefined,
        touchedAt: now(),
      };
      const plan = planEnqueue(q.entries, q.ranks, entries);
      q.entries = q.entries.filter((e) => !plan.remove.includes(e.seq));
      for (const e of plan.append) q.entries.push({ ...structuredClone(e), seq: ++seq, createdAt: now() });
      q.ranks = plan.ranks;
      q.touchedAt = now();
      queues.set(id, q);
    },
    async claim(holder, max, leaseMs) {
      const out: string[] = [];
      for (const [id, q] of queues) {
        if (out.length >= max) break;
        if (q.entries.length === 0 || q.dueAt > now() || (q.lease && q.lease.until > now())) continue;
        q.lease = { holder, until: now() + leaseMs };
        out.push(id);
      }
      return out;
    },
    async peek(id, limit) {
      const q = queues.get(id);
      return {
        entries: structuredClone(q?.entries.slice(0, limit) ?? []),
        dropped: q?.dropped ?? 0,
        failures: q?.failures ?? 0,
      };
    },
    async done(id, entrySeq, holder, leaseMs, dropped = false) {
      const q = queues.get(id);
      if (!held(q, holder)) return false;
      const before = q.entries.length;
      q.entries = q.entries.filter((e) => e.seq !== entrySeq);
      if (dropped && q.entries.length < before) q.dropped += 1;
      q.failures = 0;
      q.touchedAt = now();
      q.lease = { holder, until: now() + leaseMs };
      return true;
    },
    async renew(id, holder, leaseMs) {
      const q = queues.get(id);
      if (!held(q, holder)) return false;
      q.lease = { holder, until: now() + leaseMs };
      return true;
    },
    async release(id, holder, retryAt) {
      const q = queues.get(id);
      if (q?.lease?.holder !== holder) return;
      q.lease = undefined;
      if (retryAt !== undefined) {
        q.failures += 1;
        q.dueAt = retryAt;
      }
    },
    async stats() {
      let depth = 0;
      let oldestAt: number | undefined;
      for (const q of queues.values()) {
        depth += q.entries.length;
        const first = q.entries[0]?.createdAt;
        if (first !== undefined && (oldestAt === undefined || first < oldestAt)) oldestAt = first;
      }
      return { depth, oldestAt };
    },
  };
}
