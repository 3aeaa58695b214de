/**
 * The outbox: what people must be shown (a thread's results, a summary, an expiry, a progress line) is written to
 * the store first, then sent by whichever replica drains it, so an outage of the medium delays it instead of
 * losing it. One queue per request, in order. The rules here are pure; the stores (memory, SQLite, Redis) apply
 * them atomically, and the drainer (lifecycle/outbox-drainer.ts) sends.
 */

/** What a queued entry is to the rules. `payload` is the medium's (e.g. a Slack post or edit), opaque here. */
export interface NewEntry {
  /**
   * The message an edit changes (e.g. `channel:ts`). Edits of one target merge: a newer one replaces the one
   * still queued. Posts have none: each is sent, in order.
   */
  target?: string;
  /**
   * How far along the message's life this edit is (a pending view 0, running 1, settled 2): an edit ranked
   * below one already queued or sent for its target is stale (a late progress line after the summary) and
   * dropped.
   */
  rank?: number;
  payload: unknown;
}

export interface OutboxEntry extends NewEntry {
  /** Increasing per queue: the order entries are sent in. */
  seq: number;
  createdAt: number;
}

/**
 * A claimed queue's head. `dropped`: entries of this queue given up so far (the summary says so); `failures`:
 * attempts in a row that failed for a while (the backoff goes on from there, on whichever replica).
 */
export interface QueueHead {
  entries: OutboxEntry[];
  dropped: number;
  failures: number;
}

export interface Outbox {
  /** Appends `entries` to `queue` in one step, merging edits (see `planEnqueue`). Resolves once durable. */
  enqueue(queue: string, entries: readonly NewEntry[]): Promise<void>;
  /**
   * Leases up to `max` queues whose next attempt is due by `now` and that nobody holds, to `holder` for
   * `leaseMs`: one replica sends a queue at a time; a holder that dies lets it go when the lease lapses.
   */
  claim(holder: string, max: number, leaseMs: number): Promise<string[]>;
  /** The oldest `limit` entries of a queue. */
  peek(queue: string, limit: number): Promise<QueueHead>;
  /**
   * Removes an entry sent (or given up: `dropped`), only while `holder` still holds the queue; renews the lease.
   * False when it does not (the lease lapsed and another replica took the queue): stop sending it.
   */
  done(queue: string, seq: number, holder: string, leaseMs: number, dropped?: boolean): Promise<boolean>;
  /** Keeps the lease while a send is under way; false when it was lost. */
  renew(queue: string, holder: string, leaseMs: number): Promise<boolean>;
  /**
   * Lets the queue go. `retryAt`: the medium failed for a while (one more failure in a row), the next attempt
   * is not before then; otherwise it is due again at once (e.g. on shutdown, for another replica).
   */
  release(queue: string, holder: string, retryAt?: number): Promise<void>;
  /** Entries waiting, and when the oldest was queued (for the depth/age metric). */
  stats(): Promise<{ depth: number; oldestAt: number | undefined }>;
}

/** What enqueueing does to a queue: entries to remove (merged away), entries to append, the targets' ranks. */
export interface EnqueuePlan {
  remove: number[];
  append: NewEntry[];
  ranks: Map<string, number>;
}

/**
 * The merge rule. Posts are appended. An edit ranked below its target's highest rank so far is stale: dropped.
 * Otherwise it replaces the target's queued edit, which is removed, and goes at the *end*: it never overtakes a
 * post queued before it (a summary saying "details in the thread" lands after the details).
 */
export function planEnqueue(
  queued: readonly Pick<OutboxEntry, 'seq' | 'target'>[],
  ranks: ReadonlyMap<string, number>,
  incoming: readonly NewEntry[],
): EnqueuePlan {
  const next = new Map(ranks);
  const remove: number[] = [];
  const append: NewEntry[] = [];
  for (const entry of incoming) {
    const { target } = entry;
    if (target === undefined) {
      append.push(entry);
      continue;
    }
    const rank = entry.rank ?? 0;
    if ((next.get(target) ?? Number.NEGATIVE_INFINITY) > rank) continue;
    next.set(target, rank);
    for (const q of queued) if (q.target === target && !remove.includes(q.seq)) remove.push(q.seq);
    const earlier = append.findIndex((a) => a.target === target);
    if (earlier >= 0) append.splice(earlier, 1);
    append.push(entry);
  }
  return { remove, append, ranks: next };
}

/** How the drainer treats a failed send. */
export type FailureKind = 'transient' | 'permanent';

/**
 * How long to wait before a queue is tried again after `attempts` failures in a row: doubling from `baseMs` up
 * to `maxMs`, with jitter (replicas and queues do not all knock at once), never sooner than the medium asked
 * (`retryAfterMs`, Slack's Retry-After).
 */
export function retryDelay(
  attempts: number,
  policy: { baseMs: number; maxMs: number },
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const backoff = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  const jittered = backoff / 2 + random() * (backoff / 2);
  return Math.max(Math.round(jittered), retryAfterMs ?? 0);
}
