import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CallLimiter, createSlidingLimiter, type Priority } from '../../../src/moengage/limiter.ts';
import { earliestStarts, maxInWindow, windowsFor } from '../../../src/sandbox/windows.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** Queues `count` jobs that take `latencyMs` each and returns their start times once all have run. */
async function runJobs(limiter: CallLimiter, count: number, latencyMs = 40, priority: Priority = 5) {
  const starts: number[] = [];
  const t0 = Date.now();
  const done = Promise.all(
    Array.from({ length: count }, () =>
      limiter.schedule(priority, async () => {
        starts.push(Date.now() - t0);
        await new Promise((r) => setTimeout(r, latencyMs));
      }),
    ),
  );
  let finished = false;
  void done.then(() => {
    finished = true;
  });
  while (!finished) await vi.advanceTimersByTimeAsync(100);
  return starts;
}

describe('sliding-window limiter under fake timers', () => {
  let limiter: CallLimiter;
  beforeEach(() => {
    vi.useFakeTimers();
    limiter = createSlidingLimiter();
  });
  afterEach(async () => {
    await limiter.stop();
    vi.useRealTimers();
  });

  it('never puts more than 10 in a second, 100 in a minute or 6000 in an hour across 6,500 jobs', async () => {
    const starts = await runJobs(limiter, 6_500);
    expect(starts).toHaveLength(6_500);
    expect(maxInWindow(starts, 1_000)).toBe(10);
    expect(maxInWindow(starts, MINUTE)).toBe(100);
    expect(maxInWindow(starts, HOUR)).toBeLessThanOrEqual(6_000);
    // And it runs near the ceiling: within 3 % of the fastest schedule the windows allow.
    const floor =
      earliestStarts(6_500, windowsFor({ perSecond: 10, perMinute: 100, perHour: 6_000 })).at(-1) ?? 0;
    expect(starts.at(-1)).toBeLessThan(floor * 1.03);
  }, 120_000);

  it('runs 100 queued jobs at the ceiling: bursts of 10, each slot back a second after its answer', async () => {
    const starts = await runJobs(limiter, 100);
    // 10 bursts; each waits for the previous one's answers (40 ms) plus the window and its 25 ms margin.
    expect(starts.at(-1)).toBe(9 * (40 + 1_000 + 25));
    expect(maxInWindow(starts, 1_000)).toBe(10);
  });

  it('keeps every window by arrival at MoEngage, whatever the latency (random latencies up to 2 s)', async () => {
    const arrivals: number[] = [];
    const t0 = Date.now();
    let seed = 7;
    const random = () => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const done = Promise.all(
      Array.from({ length: 1_500 }, () =>
        limiter.schedule(5, async () => {
          const latency = Math.floor(random() * 2_000);
          // The request arrives somewhere between its send and its answer.
          const arriveAfter = Math.floor(random() * latency);
          await new Promise((r) => setTimeout(r, arriveAfter));
          arrivals.push(Date.now() - t0);
          await new Promise((r) => setTimeout(r, latency - arriveAfter));
        }),
      ),
    );
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    while (!finished) await vi.advanceTimersByTimeAsync(50);
    expect(arrivals).toHaveLength(1_500);
    expect(maxInWindow(arrivals, 1_000)).toBeLessThanOrEqual(10);
    expect(maxInWindow(arrivals, MINUTE)).toBeLessThanOrEqual(100);
  }, 60_000);

  it('lets requesters take turns within a priority, so one bulk run cannot hold the queue', async () => {
    const order: string[] = [];
    const job = (key: string) => limiter.schedule(5, async () => void order.push(key), key);
    const all = [
      ...Array.from({ length: 60 }, () => job('bulk')),
      ...Array.from({ length: 10 }, () => job('teammate')),
    ];
    let finished = false;
    void Promise.all(all).then(() => {
      finished = true;
    });
    while (!finished) await vi.advanceTimersByTimeAsync(100);
    // The first burst went before the teammate queued; after it the two alternate.
    expect(order.lastIndexOf('teammate')).toBeLessThan(10 + 20);
    // Alone, a requester gets the full rate: the bulk run's 60 took 6 bursts, not more.
    expect(order.filter((k) => k === 'bulk')).toHaveLength(60);
  });

  it('keeps the windows when jobs are slow and when they arrive in bursts over time', async () => {
    const starts: number[] = [];
    const t0 = Date.now();
    const all: Promise<void>[] = [];
    for (let burst = 0; burst < 12; burst++) {
      for (let i = 0; i < 70; i++) {
        all.push(
          limiter.schedule(5, async () => {
            starts.push(Date.now() - t0);
            await new Promise((r) => setTimeout(r, 900));
          }),
        );
      }
      await vi.advanceTimersByTimeAsync(37_000);
    }
    let finished = false;
    void Promise.all(all).then(() => {
      finished = true;
    });
    while (!finished) await vi.advanceTimersByTimeAsync(250);
    expect(starts).toHaveLength(840);
    expect(maxInWindow(starts, 1_000)).toBeLessThanOrEqual(10);
    expect(maxInWindow(starts, MINUTE)).toBeLessThanOrEqual(100);
  }, 60_000);

  it('lets a pause jump ahead of queued resumes', async () => {
    const order: string[] = [];
    const jobs = [
      ...Array.from({ length: 30 }, (_, i) =>
        limiter.schedule(5, async () => {
          order.push(`resume${i}`);
        }),
      ),
    ];
    await vi.advanceTimersByTimeAsync(300);
    jobs.push(
      limiter.schedule(1, async () => {
        order.push('pause');
      }),
    );
    let finished = false;
    void Promise.all(jobs).then(() => {
      finished = true;
    });
    while (!finished) await vi.advanceTimersByTimeAsync(100);
    // The resumes of the first burst had started before the pause was queued; the pause took the first slot
    // that came back, ahead of the other 17.
    expect(order.indexOf('pause')).toBeLessThanOrEqual(13);
    expect(order.slice(order.indexOf('pause') + 1).length).toBeGreaterThanOrEqual(17);
  });

  it('holds every queued job while paused by a 429, then resumes spacing them', async () => {
    const starts: number[] = [];
    const t0 = Date.now();
    limiter.pauseUntil(t0 + 5_000);
    expect(limiter.stats().pausedUntilMs).toBe(t0 + 5_000);
    const jobs = Array.from({ length: 5 }, () =>
      limiter.schedule(5, async () => {
        starts.push(Date.now() - t0);
      }),
    );
    expect(limiter.stats().queued).toBeGreaterThan(0);
    let finished = false;
    void Promise.all(jobs).then(() => {
      finished = true;
    });
    while (!finished) await vi.advanceTimersByTimeAsync(50);
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(5_000);
    expect(maxInWindow(starts, 1_000)).toBeLessThanOrEqual(10);
  });

  it('gives an unused slot straight back', async () => {
    const t0 = Date.now();
    const skipped = Array.from({ length: 100 }, () =>
      limiter.schedule(5, async (slot) => {
        slot.unused();
      }),
    );
    let finished = false;
    void Promise.all(skipped).then(() => {
      finished = true;
    });
    while (!finished) await vi.advanceTimersByTimeAsync(100);
    // 100 unused slots did not drain the minute: the next job starts without waiting for the window.
    const startedAt = await runJobs(limiter, 1);
    expect(Date.now() - t0).toBeLessThan(13_000);
    expect(startedAt).toHaveLength(1);
  });

  it('refuses limits that do not nest', () => {
    expect(() => createSlidingLimiter({ limits: { perSecond: 10, perMinute: 200, perHour: 6_000 } })).toThrow(
      /must nest/,
    );
  });
});

describe('estimateMs', () => {
  it('counts bursts of ten a second within the minute, then a minute per hundred', async () => {
    const { estimateMs } = await import('../../../src/moengage/limiter.ts');
    expect(estimateMs(0)).toBe(0);
    expect(estimateMs(10)).toBe(0);
    expect(estimateMs(11)).toBe(1_000);
    expect(estimateMs(100)).toBe(9_000);
    expect(estimateMs(101)).toBe(60_000);
    expect(estimateMs(1_000)).toBe(9 * 60_000 + 9_000);
  });
});
