import Bottleneck from 'bottleneck';
import { boundedRetryAt } from './retry-policy.ts';

/** MoEngage's published limits, per workspace; its windows are sliding ("based on the last hour"). */
export interface RateLimits {
  perSecond: number;
  perMinute: number;
  perHour: number;
}
export const MOENGAGE_LIMITS: RateLimits = Object.freeze({ perSecond: 10, perMinute: 100, perHour: 6000 });

/** Bottleneck's priorities: 0 runs first, 9 last. */
export type Priority = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

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
  /**
   * Runs `task` once the windows allow one more request. Lower priority numbers jump the queue. A task that
   * decides not to send after all calls `slot.unused()`, and its slot comes back at once.
   */
  schedule<T>(priority: Priority, task: (slot: Slot) => Promise<T>): Promise<T>;
  /** Holds every request not yet sent until `untilMs`: a 429 pauses the shared queue, not just one request. */
  pauseUntil(untilMs: number): void;
  stats(): LimiterStats;
  stop(): Promise<void>;
}

export interface Slot {
  unused(): void;
}

export interface SlidingLimiterOptions {
  limits?: RateLimits;
  /**
   * Requests in flight at once; match the HTTP pool's connections so a started request is a sent request.
   * Bottleneck commits up to this many queued jobs to start slots ahead of time, so a higher-priority job
   * overtakes everything except those (at most maxConcurrent × minTime, 1.1 s at MoEngage's limits).
   */
  maxConcurrent?: number;
  /** Added to the 60 s before a used slot comes back, to absorb send-time jitter. */
  slotReturnMarginMs?: number;
}

/**
 * Keeps every sliding window under its limit and still reaches the API's ceiling:
 * - the 1 s window by spacing starts `minTime` apart, 10 % wider than 1000/perSecond (timer jitter let 100 ms
 *   spacing start two jobs 98 ms apart; 110 ms held);
 * - the 60 s window by a reservoir of `perMinute` slots where each slot comes back 60 s (plus a margin) after the
 *   request that used it started — which is exactly what a sliding window is. A refilling reservoir would let
 *   2× through across a refill, or crawl at ~86/min if made safe;
 * - the hour window follows: at most perMinute in any 60 s means at most 60 × perMinute in any hour, so the
 *   limits must nest (they do for MoEngage: 60 × 100 = 6000).
 */
export function createSlidingLimiter(options: SlidingLimiterOptions = {}): CallLimiter {
  const limits = options.limits ?? MOENGAGE_LIMITS;
  if (limits.perMinute * 60 > limits.perHour || limits.perSecond * 60 < limits.perMinute) {
    throw new RangeError('rate limits must nest: perSecond*60 >= perMinute and perMinute*60 <= perHour');
  }
  const marginMs = options.slotReturnMarginMs ?? 1_000;
  const bottleneck = new Bottleneck({
    reservoir: limits.perMinute,
    minTime: Math.ceil(1_100 / limits.perSecond),
    maxConcurrent: options.maxConcurrent ?? 10,
  });
  const slotTimers = new Set<NodeJS.Timeout>();
  let pausedUntilMs = 0;
  const deferred = { count: 0 };

  const returnSlot = (afterMs: number) => {
    const timer = setTimeout(() => {
      slotTimers.delete(timer);
      void bottleneck.incrementReservoir(1);
    }, afterMs);
    timer.unref();
    slotTimers.add(timer);
    return timer;
  };

  const DEFER = Symbol('defer');
  const schedule = async <T>(priority: Priority, task: (slot: Slot) => Promise<T>): Promise<T> => {
    for (;;) {
      if (Date.now() < pausedUntilMs) await waitOutPause(pausedUntilMs, deferred);
      const result = await bottleneck.schedule({ priority }, async () => {
        if (Date.now() < pausedUntilMs) {
          // Paused after this job was queued: nothing is sent, so the slot goes straight back.
          returnSlot(0);
          return DEFER;
        }
        const timer = returnSlot(60_000 + marginMs);
        return task({
          unused() {
            clearTimeout(timer);
            slotTimers.delete(timer);
            returnSlot(0);
          },
        });
      });
      if (result !== DEFER) return result as T;
    }
  };

  return {
    schedule,
    pauseUntil(requestedMs) {
      // Never longer than MoEngage's longest window, whoever asks (a stored pause cannot outlive the cap).
      const untilMs = boundedRetryAt(requestedMs, Date.now()).atMs;
      pausedUntilMs = Math.max(pausedUntilMs, untilMs);
    },
    stats() {
      const counts = bottleneck.counts();
      return {
        queued: (counts.RECEIVED ?? 0) + (counts.QUEUED ?? 0) + deferred.count,
        running: (counts.RUNNING ?? 0) + (counts.EXECUTING ?? 0),
        pausedUntilMs: pausedUntilMs > Date.now() ? pausedUntilMs : undefined,
      };
    },
    async stop() {
      for (const t of slotTimers) clearTimeout(t);
      slotTimers.clear();
      await bottleneck.stop({ dropWaitingJobs: true }).catch(() => undefined);
    },
  };
}

/**
 * Sleeps out a pause of either limiter, counted in `waiting` meanwhile: stats report the requests held by a
 * pause as queued, though they are not in Bottleneck's queue.
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
