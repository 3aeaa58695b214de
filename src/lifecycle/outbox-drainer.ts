import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { type FailureKind, type Outbox, type OutboxEntry, retryDelay } from '../core/outbox.ts';
import { errorText } from './error-text.ts';

export interface DrainTimings {
  /** How often due queues are looked for (a queue also starts at once when this replica queues into it). */
  pollMs: number;
  /** A queue's lease: renewed while it is sent; a replica that dies lets it go after this long. */
  leaseMs: number;
  /** An entry not sent after this long is dropped, with an error log and a metric (Slack down for a day). */
  maxAgeMs: number;
  /** The wait after a failed send: doubling from baseMs to maxMs, never less than Slack's Retry-After. */
  backoff: { baseMs: number; maxMs: number };
  /** Queues sent at once by this replica (each in order; the pacer keeps each channel's rate). */
  queuesAtOnce: number;
  /** Entries read from a queue at a time: memory holds a batch, never the backlog. */
  batch: number;
  /** How long stop() waits for sends under way. */
  stopGraceMs: number;
}

export const DRAIN_TIMINGS: DrainTimings = {
  pollMs: 1_000,
  leaseMs: 15_000,
  maxAgeMs: 24 * 3_600_000,
  backoff: { baseMs: 1_000, maxMs: 30_000 },
  queuesAtOnce: 8,
  batch: 20,
  stopGraceMs: 5_000,
};

export interface DrainerOptions {
  outbox: Outbox;
  /** Sends one entry; throws when the medium would not take it. `dropped`: its queue's entries given up. */
  deliver(payload: unknown, at: { queue: string; dropped: number }): Promise<void>;
  classify(error: unknown): { kind: FailureKind; code: string; retryAfterMs?: number };
  log: Logger;
  timings?: Partial<DrainTimings>;
  now?: () => number;
  /** An entry given up: refused for good, or too old. */
  onDropped?: (reason: 'refused' | 'too_old', code: string) => void;
  /** A send that failed for a while: the queue waits and is tried again. */
  onRetry?: (code: string) => void;
}

/**
 * Sends what the outbox holds, on every replica: a replica claims a due queue (a lease, so one replica sends a
 * queue at a time), sends its entries oldest first, removing each once the medium took it, and lets the queue go
 * when it is empty, when the medium fails for a while (the queue is due again after a backoff), or on stop.
 *
 * Each entry is sent once as far as this side can tell; one is sent twice only when the medium took it but its
 * answer was lost (a timeout, a cut connection), or the replica died between the answer and the removal.
 */
export function createOutboxDrainer(options: DrainerOptions) {
  const t = { ...DRAIN_TIMINGS, ...options.timings };
  const now = options.now ?? Date.now;
  const { outbox, log } = options;
  const holder = randomUUID();
  const active = new Map<string, Promise<void>>();
  let stopping = false;
  let passing: Promise<unknown> | undefined;
  let again = false;
  // Slack unreachable or failing (not a rate limit): this replica claims nothing more until the wait is over, so
  // an outage with a thousand queues waiting costs one probe per wait, not a thousand.
  let coolUntil = 0;

  async function drainQueue(queue: string): Promise<void> {
    let lost = false;
    const heartbeat = setInterval(
      () =>
        void outbox
          .renew(queue, holder, t.leaseMs)
          .then((held) => {
            if (!held) lost = true;
          })
          .catch(() => {}),
      Math.max(10, Math.floor(t.leaseMs / 3)),
    );
    heartbeat.unref();
    try {
      for (;;) {
        if (stopping) return await outbox.release(queue, holder);
        const head = await outbox.peek(queue, t.batch);
        if (head.entries.length === 0) return await outbox.release(queue, holder);
        let dropped = head.dropped;
        for (const entry of head.entries) {
          if (stopping || lost) return lost ? undefined : await outbox.release(queue, holder);
          const outcome = await sendOne(queue, entry, dropped, head.failures);
          if (outcome === 'wait') return;
          if (outcome === 'dropped') dropped += 1;
          if (!(await outbox.done(queue, entry.seq, holder, t.leaseMs, outcome === 'dropped'))) {
            log.warn({ queue }, 'outbox: the lease on this queue was lost; another replica sends it');
            return;
          }
        }
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  async function sendOne(
    queue: string,
    entry: OutboxEntry,
    dropped: number,
    failures: number,
  ): Promise<'sent' | 'dropped' | 'wait'> {
    const age = now() - entry.createdAt;
    if (age > t.maxAgeMs) {
      log.error(
        { queue, seq: entry.seq, ageMs: age },
        'outbox: dropped a message Slack did not take in time',
      );
      options.onDropped?.('too_old', 'too_old');
      return 'dropped';
    }
    try {
      await options.deliver(entry.payload, { queue, dropped });
      return 'sent';
    } catch (error) {
      const failure = options.classify(error);
      if (failure.kind === 'permanent') {
        log.error({ queue, seq: entry.seq, code: failure.code }, 'outbox: Slack refused a message; dropped');
        options.onDropped?.('refused', failure.code);
        return 'dropped';
      }
      const waitMs = retryDelay(failures + 1, t.backoff, failure.retryAfterMs);
      log.warn(
        { queue, code: failure.code, attempt: failures + 1, waitMs, ageMs: age, err: errorText(error) },
        'outbox: Slack did not take a message; kept, and tried again later',
      );
      options.onRetry?.(failure.code);
      if (failure.code !== 'ratelimited') coolUntil = Math.max(coolUntil, now() + waitMs);
      await outbox.release(queue, holder, now() + waitMs);
      return 'wait';
    }
  }

  /** Claims what is due and starts sending it; how many queues it claimed. */
  async function pass(): Promise<number> {
    const room = t.queuesAtOnce - active.size;
    if (room <= 0 || stopping || now() < coolUntil) return 0;
    let queues: string[];
    try {
      queues = await outbox.claim(holder, room, t.leaseMs);
    } catch (error) {
      log.warn({ err: errorText(error) }, 'outbox: the store did not answer; tried again shortly');
      return 0;
    }
    for (const queue of queues) {
      // Claimed again while its drain here is still finishing (it found the queue empty and let it go just as
      // more was queued): drained once that one is done, instead of left claimed and unsent until the lease lapses.
      const previous = active.get(queue) ?? Promise.resolve();
      const work: Promise<void> = previous
        .then(() => drainQueue(queue))
        .catch((error: unknown) =>
          // The lease lapses and the queue is sent later, here or by another replica.
          log.warn({ queue, err: errorText(error) }, 'outbox: sending a queue failed; tried again later'),
        )
        .finally(() => {
          if (active.get(queue) === work) active.delete(queue);
          kick();
        });
      active.set(queue, work);
    }
    return queues.length;
  }

  /** Looks for due queues now (one look at a time; a kick during one makes another right after). */
  function kick(): void {
    if (stopping) return;
    if (passing) {
      again = true;
      return;
    }
    passing = pass().finally(() => {
      passing = undefined;
      if (again) {
        again = false;
        kick();
      }
    });
  }

  const timer = setInterval(kick, t.pollMs);
  timer.unref();
  kick();

  return {
    kick,
    /**
     * Sends what is due now (a run that reported just before a shutdown), then stops claiming and waits for the
     * sends under way: all within `stopGraceMs`. What is left (Slack down) stays queued for a replica or the
     * next start.
     */
    async stop(): Promise<void> {
      clearInterval(timer);
      const until = Date.now() + t.stopGraceMs;
      const within = (work: Promise<unknown>) => {
        let timeout: NodeJS.Timeout | undefined;
        return Promise.race([
          work,
          new Promise<void>((resolve) => {
            timeout = setTimeout(resolve, Math.max(0, until - Date.now()));
          }),
        ]).finally(() => clearTimeout(timeout));
      };
      await within(
        (async () => {
          await passing;
          while (Date.now() < until && !stopping) {
            const claimed = await pass();
            if (claimed === 0 && active.size === 0) return;
            await Promise.race([...active.values(), new Promise((r) => setTimeout(r, 50))]);
          }
        })(),
      );
      stopping = true;
      await within(Promise.allSettled([...active.values()]));
    },
  };
}

export type OutboxDrainer = ReturnType<typeof createOutboxDrainer>;
