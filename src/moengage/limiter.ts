import { boundedRetryAt } from './retry-policy.ts';

/** MoEngage's published limits, per workspace; its windows are sliding ("based on the last hour"). */
export interface RateLimits {
  perSecond: number;
  perMinute: number;
  perHour: number;
}
export const MOENGAGE_LIMITS: RateLimits = Object.freeze({ perSecond: 10, perMinute: 100, perHour: 6000 });

/** 0 runs first, 9 last. */
export type { Priority } from '../core/ports.ts';

import type { Priority } from '../core/ports.ts';

export interface LimiterStats {
  queued: number;
  running: number;
  /** Set while a 429 holds the queue. */
  pausedUntilMs: number | undefined;
}

/**
 * What the client needs from a limiter. The in-process one is below; a Redis-backed one (shared by replicas)
 * implements the same contract.
 */
export interface CallLimiter {
  /** The limits it keeps (for estimates of the time a run takes). */
  readonly limits?: RateLimits;
  /**
   * Runs `task` once the windows allow one more request. Lower priority numbers jump the queue; within a
   * priority, requesters (`key`) take turns. A task that decides not to send after all calls `slot.unused()`,
   * and its slot comes back at once.
   */
  schedule<T>(priority: Priority, task: (slot: Slot) => Promise<T>, key?: string): Promise<T>;
  /** Holds every request not yet sent until `untilMs`: a 429 pauses the shared queue, not just one request. */
  pauseUntil(untilMs: number): void;
  stats(): LimiterStats;
  /** Requests counted in the minute window now (every replica's, when shared), for the App Home's quota line. */
  usage?(): Promise<{ minute: number; perMinute: number }>;
  stop(): Promise<void>;
}

export interface Slot {
  unused(): void;
}

export interface SlidingLimiterOptions {
  limits?: RateLimits;
  /** Requests in flight at once; match the HTTP pool's connections so a started request is a sent request. */
  maxConcurrent?: number;
  /** Added to a window before a used slot comes back, to absorb timer jitter. */
  slotReturnMarginMs?: number;
}

interface Job {
  run: () => void;
  reject: (error: Error) => void;
}

/**
 * Reaches MoEngage's ceiling and provably stays under it, whatever the network latency:
 * - each window (1 s, 60 s) has `limit` slots; a request takes one of each when it starts, and each comes back
 *   one window (plus a small margin) after the request's *answer* (or its failure). A request arrives at
 *   MoEngage after it is sent and before its answer, so any window's arrivals hold at most `limit` requests:
 *   the next user of a slot is sent after the previous one's answer plus the window. Bursts of up to 10 go at
 *   once instead of being spaced 110 ms apart;
 * - the hour window follows: at most perMinute in any 60 s means at most 60 × perMinute in any hour, so the
 *   limits must nest (they do for MoEngage: 60 × 100 = 6000);
 * - the queue is ordered by priority (PAUSE/STOP before RESUME), then requesters take turns (round robin by
 *   `key`), then first come first served: one requester alone gets the full rate, several share it.
 * (Bottleneck served here before; its spacing by start time could not express "after the answer", so this small
 * queue replaced it. The Redis-shared limiter still builds on it.)
 */
export function createSlidingLimiter(options: SlidingLimiterOptions = {}): CallLimiter {
  const limits = options.limits ?? MOENGAGE_LIMITS;
  if (limits.perMinute * 60 > limits.perHour || limits.perSecond * 60 < limits.perMinute) {
    throw new RangeError('rate limits must nest: perSecond*60 >= perMinute and perMinute*60 <= perHour');
  }
  const marginMs = options.slotReturnMarginMs ?? 25;
  const maxConcurrent = options.maxConcurrent ?? 10;
  const windows = [
    { ms: 1_000, free: limits.perSecond },
    { ms: 60_000, free: limits.perMinute },
  ];
  // priority → requester → jobs, and the requesters' turn order per priority.
  const queues = new Map<Priority, Map<string, Job[]>>();
  const timers = new Set<NodeJS.Timeout>();
  let running = 0;
  let queued = 0;
  let pausedUntilMs = 0;
  let pauseTimer: NodeJS.Timeout | undefined;
  let stopped = false;

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    timers.add(timer);
  };

  const next = (): Job | undefined => {
    for (const priority of [...queues.keys()].sort((a, b) => a - b)) {
      const byKey = queues.get(priority) as Map<string, Job[]>;
      for (const [key, jobs] of byKey) {
        const job = jobs.shift();
        byKey.delete(key);
        // The requester goes to the back of the line (Map order), if it has more.
        if (jobs.length > 0) byKey.set(key, jobs);
        if (byKey.size === 0) queues.delete(priority);
        if (job) return job;
      }
      queues.delete(priority);
    }
    return undefined;
  };

  const pump = () => {
    if (stopped) return;
    const now = Date.now();
    if (now < pausedUntilMs) {
      if (!pauseTimer) {
        pauseTimer = setTimeout(() => {
          pauseTimer = undefined;
          pump();
        }, pausedUntilMs - now);
        pauseTimer.unref();
      }
      return;
    }
    while (running < maxConcurrent && windows.every((w) => w.free > 0)) {
      const job = next();
      if (!job) return;
      queued -= 1;
      for (const w of windows) w.free -= 1;
      running += 1;
      job.run();
    }
  };

  /** Gives a slot back to every window: at once (never sent) or one window after the answer. */
  const giveBack = (sent: boolean) => {
    for (const w of windows) {
      if (!sent) w.free += 1;
      else
        later(w.ms + marginMs, () => {
          w.free += 1;
          pump();
        });
    }
  };

  const schedule = <T>(priority: Priority, task: (slot: Slot) => Promise<T>, key = ''): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (stopped) {
        reject(new Error('the limiter is stopped'));
        return;
      }
      const job: Job = {
        reject,
        run() {
          let returned = false;
          const slot: Slot = {
            unused() {
              if (returned) return;
              returned = true;
              giveBack(false);
            },
          };
          const settle = () => {
            running -= 1;
            if (!returned) {
              returned = true;
              giveBack(true);
            }
            // After the caller has heard this answer (a 401 or a 429 must stop the next start, not follow it).
            setImmediate(pump);
          };
          task(slot).then(
            (value) => {
              settle();
              resolve(value);
            },
            (error: unknown) => {
              settle();
              reject(error);
            },
          );
        },
      };
      const byKey = queues.get(priority) ?? new Map<string, Job[]>();
      queues.set(priority, byKey);
      const jobs = byKey.get(key) ?? [];
      jobs.push(job);
      byKey.set(key, jobs);
      queued += 1;
      pump();
    });

  return {
    limits,
    schedule,
    pauseUntil(requestedMs) {
      // Never longer than MoEngage's longest window, whoever asks (a stored pause cannot outlive the cap).
      const untilMs = boundedRetryAt(requestedMs, Date.now()).atMs;
      if (untilMs <= pausedUntilMs) return;
      pausedUntilMs = untilMs;
      if (pauseTimer) clearTimeout(pauseTimer);
      pauseTimer = undefined;
      pump();
    },
    async usage() {
      const free = windows[1]?.free ?? limits.perMinute;
      return { minute: limits.perMinute - free, perMinute: limits.perMinute };
    },
    stats() {
      return {
        queued,
        running,
        pausedUntilMs: pausedUntilMs > Date.now() ? pausedUntilMs : undefined,
      };
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      if (pauseTimer) clearTimeout(pauseTimer);
      // What never started is refused, so no caller waits for a slot that will not come.
      for (const byKey of queues.values())
        for (const jobs of byKey.values())
          for (const job of jobs) job.reject(new Error('the limiter is stopped'));
      queues.clear();
      queued = 0;
    },
  };
}

/**
 * Sleeps out a pause of either limiter, counted in `waiting` meanwhile: stats report the requests held by a
 * pause as queued, though they are not in the queue.
 */
export async function waitOutPause(untilMs: number, waiting: { count: number }): Promise<void> {
  waiting.count += 1;
  try {
    await sleep(untilMs - Date.now());
  } finally {
    waiting.count -= 1;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/**
 * About how long `requests` more take at these limits from now, the windows assumed empty and nothing else
 * queued (the caller counts what is ahead): bursts of perSecond a second within the minute's allowance, then
 * a minute for each further perMinute. For a progress line, not a promise: 1,000 requests ≈ 9 min 9 s.
 */
export function estimateMs(requests: number, limits: RateLimits = MOENGAGE_LIMITS): number {
  if (requests <= 0) return 0;
  const minutes = Math.floor((requests - 1) / limits.perMinute);
  const inLastMinute = ((requests - 1) % limits.perMinute) + 1;
  const seconds = Math.ceil(inLastMinute / limits.perSecond) - 1;
  const hours = Math.floor((requests - 1) / limits.perHour);
  return (
    hours * 3_600_000 + (minutes - hours * 60 > 0 ? (minutes - hours * 60) * 60_000 : 0) + seconds * 1_000
  );
}
