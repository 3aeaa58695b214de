import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RateLimits } from '../../src/moengage/limiter.ts';
import { earliestStarts, maxInWindow } from '../../src/sandbox/windows.ts';
import {
  createRedisSlidingLimiter,
  type RedisCallLimiter,
  type RedisSlidingLimiterOptions,
} from '../../src/stores/redis-limiter.ts';
import { cleanup, connectRedis, redisUrl, uniquePrefix } from '../support/redis.ts';

/*
 * Real time against the real Redis (its TIME dates the slots). Small limits and a 3 s "minute" keep it short:
 * 5/s, 12 per 3 s; the hour nests (12 × 1200).
 */
const LIMITS: RateLimits = { perSecond: 5, perMinute: 12, perHour: 14_400 };
const WINDOW_MS = 3_000;
const MARGIN_MS = 100;
const HEARTBEAT_MS = 100;
const WINDOWS = [
  { ms: 1_000, limit: LIMITS.perSecond },
  { ms: WINDOW_MS, limit: LIMITS.perMinute },
];
const BASE = {
  limits: LIMITS,
  windowMs: WINDOW_MS,
  // A short deadline: an unanswered slot (a dead replica's) counts until then, then comes back when due.
  inFlightMs: 200,
  slotReturnMarginMs: MARGIN_MS,
  heartbeatMs: HEARTBEAT_MS,
  maxConcurrent: 4,
};
const LIMITER_MODULE = fileURLToPath(new URL('../../src/stores/redis-limiter.ts', import.meta.url));

const admin = connectRedis();
let prefix = '';
let id = '';
const limiters: RedisCallLimiter[] = [];
const connections: Redis[] = [];
const children: ChildProcess[] = [];
const errors: unknown[] = [];

beforeEach(async () => {
  // Every test, not beforeAll: a failed beforeAll would mark the tests skipped, and they must fail.
  expect(await admin.ping()).toBe('PONG');
  prefix = uniquePrefix('redis-limiter');
  id = `${prefix}moengage`;
  errors.length = 0;
});

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.allSettled(limiters.splice(0).map((l) => l.stop()));
  await Promise.all(connections.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
  await cleanup(admin, prefix); // the limiter's keys: <id>:slots, :queue, :alive, ...
});

afterAll(async () => {
  await admin.quit().catch(() => admin.disconnect());
});

/** A replica: a limiter on a connection of its own. */
function replica(overrides: Partial<RedisSlidingLimiterOptions> = {}): RedisCallLimiter {
  const redis = overrides.redis ?? connectRedis();
  if (redis instanceof Redis) connections.push(redis);
  const limiter = createRedisSlidingLimiter({
    ...BASE,
    id,
    onError: (e) => errors.push(e),
    ...overrides,
    redis,
  });
  limiters.push(limiter);
  return limiter;
}

/** A task that records when it started and takes `ms`. */
function recorded(starts: number[], ms = 20) {
  return async () => {
    starts.push(Date.now());
    await sleep(ms);
  };
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(10);
  }
}

async function sharedState() {
  return {
    queued: await admin.zcard(`${id}:queue`),
    vouched: await admin.zcard(`${id}:alive`),
    slots: await admin.zcard(`${id}:slots`),
  };
}

/**
 * Another process on the same limiter id that starts `jobs` jobs which never finish. Its start times (this
 * machine's clock, as ours) come back one a line.
 */
function otherProcessReplica(options: object, jobs: number) {
  const code = `
const [modulePath, json] = process.argv.slice(1);
const { createRedisSlidingLimiter } = await import(modulePath);
const { jobs, ...options } = JSON.parse(json);
const limiter = createRedisSlidingLimiter(options);
await limiter.ready();
for (let i = 0; i < jobs; i++) {
  limiter
    .schedule(5, () => {
      process.stdout.write(Date.now() + '\\n');
      return new Promise(() => {});
    })
    .catch(() => {});
}`;
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', code, LIMITER_MODULE, JSON.stringify({ ...options, jobs })],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  const starts: number[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => starts.push(Number(line)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, starts, exited };
}

describe('Redis-backed sliding limiter shared by replicas', () => {
  it('keeps both windows for the sum of two replicas and still runs at the ceiling', async () => {
    const a = replica();
    const b = replica();
    await Promise.all([a.ready(), b.ready()]);
    const starts: number[] = [];
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: 12 }, () => [
        a.schedule(5, recorded(starts)),
        b.schedule(5, recorded(starts)),
      ]).flat(),
    );
    const rel = starts.map((t) => t - t0);
    expect(rel).toHaveLength(24);
    expect(maxInWindow(rel, 1_000)).toBeLessThanOrEqual(LIMITS.perSecond);
    // The whole allowance of the window was used (12), and not one more, by the two together.
    expect(maxInWindow(rel, WINDOW_MS)).toBe(LIMITS.perMinute);
    // As fast as the windows go: bursts of 5, each slot back a second (3 s) after its answer. The floor counts
    // starts only; each of the 5 waits for a slot adds one answer (20 ms) and the margin, plus Redis round trips.
    const floor = earliestStarts(24, WINDOWS).at(-1) ?? 0;
    expect(Math.max(...rel)).toBeLessThan(floor + 5 * (20 + MARGIN_MS) + 400);
    expect(errors).toEqual([]);
  });

  it('gets back what a replica held when that replica dies mid-flight', async () => {
    const options = { ...BASE, maxConcurrent: 3, replicaTimeoutMs: 1_000 };
    const b = replica(options);
    await b.ready();
    // A, in another process, queues 8 jobs that never finish; 3 start (its maxConcurrent), 5 wait in the shared
    // queue, ahead of anything B queues later. A is killed: nobody vouches for its 5 any more, and its 3 slots
    // count until their deadline (inFlightMs) and then a window.
    const a = otherProcessReplica({ ...options, redis: redisUrl(), id }, 8);
    await waitFor(() => a.starts.length >= 3);
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    await a.exited;
    const aStarts = [...a.starts];
    expect(aStarts).toHaveLength(3);

    const starts: number[] = [];
    await Promise.all(Array.from({ length: LIMITS.perMinute }, () => b.schedule(5, recorded(starts))));
    // B's jobs wait behind A's 5 queued ones until they are pruned (replicaTimeoutMs); then 9 start as the
    // windows allow, the last 3 when A's slots come back. Had A's queued jobs never left the queue, B would
    // never have started at all.
    expect(starts).toHaveLength(LIMITS.perMinute);
    expect(Math.max(...starts) - killedAt).toBeLessThan(1_000 + WINDOW_MS + 1_000);
    const all = [...aStarts, ...starts];
    expect(maxInWindow(all, 1_000)).toBeLessThanOrEqual(LIMITS.perSecond);
    expect(maxInWindow(all, WINDOW_MS)).toBeLessThanOrEqual(LIMITS.perMinute);
    // Nothing of A's is left in the queue, and the slots are the 12 of B's plus what of A's is not yet due.
    const state = await sharedState();
    expect(state.queued).toBe(0);
    expect(state.vouched).toBe(0);
    expect(state.slots).toBeLessThanOrEqual(LIMITS.perMinute);
  });

  it('queues again what left the shared queue while its replica was stalled, and keeps the windows', async () => {
    const limiter = replica();
    const starts: number[] = [];
    const first = Array.from({ length: LIMITS.perMinute + 4 }, () => limiter.schedule(5, recorded(starts)));
    await waitFor(() => starts.length >= LIMITS.perSecond && limiter.stats().queued > 0);
    // As if the replica had stalled past replicaTimeoutMs and been pruned: the queue forgets its requests.
    await admin.del(`${id}:queue`, `${id}:alive`);
    await Promise.all(first);
    expect(starts).toHaveLength(LIMITS.perMinute + 4);
    expect(maxInWindow(starts, 1_000)).toBeLessThanOrEqual(LIMITS.perSecond);
    expect(maxInWindow(starts, WINDOW_MS)).toBeLessThanOrEqual(LIMITS.perMinute);
    expect(errors).toEqual([]);
  });

  it('recovers when its connections are killed', async () => {
    const name = `limiter-${process.pid}-${randomUUID().slice(0, 8)}`;
    const limiter = replica({
      redis: new Redis(redisUrl(), { connectionName: name, maxRetriesPerRequest: 1 }),
    });
    const starts: number[] = [];
    await limiter.schedule(5, recorded(starts));
    // Both of its connections (commands and subscriber) killed: ioredis reconnects and resubscribes.
    const list = String(await admin.client('LIST'));
    const ids = list
      .split('\n')
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => /\bid=(\d+)/.exec(line)?.[1] ?? '');
    expect(ids).toHaveLength(2);
    for (const clientId of ids) await admin.client('KILL', 'ID', clientId);
    await Promise.all([1, 2].map(() => limiter.schedule(5, recorded(starts))));
    expect(starts).toHaveLength(3);
  });

  /*
   * The order tests below watch the queue's order in the order of starts. Slots that come back together are
   * claimed together and their starts race (one per replica), so these limiters get 3 slots a 1 s window and
   * spend them on requests answered 300 ms apart: from then on the slots come back one at a time, each to the
   * head of the queue.
   */
  const ONE_AT_A_TIME = { limits: { perSecond: 3, perMinute: 3, perHour: 10_800 }, windowMs: 1_000 };
  async function spendSpaced(limiter: RedisCallLimiter) {
    let started = 0;
    const spend = (ms: number) => () => {
      started += 1;
      return sleep(ms);
    };
    void Promise.all([0, 300, 600].map((ms) => limiter.schedule(5, spend(ms))));
    await waitFor(() => started === 3);
  }
  const push = (order: string[], name: string) => async () => {
    order.push(name);
  };

  it('starts a priority-1 job ahead of queued priority-5 ones', async () => {
    const limiter = replica(ONE_AT_A_TIME);
    await spendSpaced(limiter);
    const order: string[] = [];
    const low = Array.from({ length: 5 }, (_, i) => limiter.schedule(5, push(order, `low${i}`)));
    await waitFor(() => limiter.stats().queued === 5);
    const high = limiter.schedule(1, push(order, 'high'));
    await Promise.all([...low, high]);
    expect(order).toEqual(['high', 'low0', 'low1', 'low2', 'low3', 'low4']);
  }, 30_000);

  it('lets a PAUSE queued on one replica overtake the RESUMEs queued on another (one order across replicas)', async () => {
    const a = replica(ONE_AT_A_TIME);
    const b = replica(ONE_AT_A_TIME);
    await Promise.all([a.ready(), b.ready()]);
    await spendSpaced(b);
    const order: string[] = [];
    const resumes = Array.from({ length: 6 }, (_, i) => b.schedule(5, push(order, `resume${i}`)));
    // B's RESUMEs are queued before A's PAUSE arrives.
    await waitFor(() => b.stats().queued === 6);
    const pause = a.schedule(1, push(order, 'pause'));
    await Promise.all([...resumes, pause]);
    expect(order).toEqual(['pause', 'resume0', 'resume1', 'resume2', 'resume3', 'resume4', 'resume5']);
  }, 30_000);

  it('serves one priority first come first served across replicas', async () => {
    const a = replica(ONE_AT_A_TIME);
    const b = replica(ONE_AT_A_TIME);
    await Promise.all([a.ready(), b.ready()]);
    await spendSpaced(a);
    const order: string[] = [];
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 8; i++) {
      const [name, limiter] = i % 2 === 0 ? (['a', a] as const) : (['b', b] as const);
      jobs.push(limiter.schedule(5, push(order, `${name}${i}`), 'same-requester'));
      // Each is queued before the next is asked for.
      await waitFor(() => a.stats().queued + b.stats().queued + order.length === i + 1);
    }
    await Promise.all(jobs);
    expect(order).toEqual(['a0', 'b1', 'a2', 'b3', 'a4', 'b5', 'a6', 'b7']);
  }, 30_000);

  it('forgets the turns of requests withdrawn from the queue (a replica stopped or died)', async () => {
    const a = replica(ONE_AT_A_TIME);
    const b = replica(ONE_AT_A_TIME);
    await Promise.all([a.ready(), b.ready()]);
    await spendSpaced(b);
    // X queues 10 on A, which then stops: they leave the queue unsent.
    const lost = Array.from({ length: 10 }, () =>
      a.schedule(5, async () => undefined, 'token:x').catch(() => 'withdrawn'),
    );
    await waitFor(() => a.stats().queued === 10);
    await a.stop();
    expect(await Promise.all(lost)).toEqual(Array(10).fill('withdrawn'));
    // Y queues 3 on B, then X one: X takes its turn after Y's first, not behind ten turns it never used.
    const order: string[] = [];
    const ys = [1, 2, 3].map((i) => b.schedule(5, push(order, `y${i}`), 'U_Y'));
    await waitFor(() => b.stats().queued === 3);
    const x = b.schedule(5, push(order, 'x'), 'token:x');
    await Promise.all([...ys, x]);
    expect(order.indexOf('x')).toBeLessThanOrEqual(1);
  }, 30_000);

  it('shares the quota between requesters across replicas (round robin), and gives one alone the full rate', async () => {
    const a = replica();
    const b = replica();
    await Promise.all([a.ready(), b.ready()]);
    const order: string[] = [];
    // Runbook token X queues 20 on A; once its first burst is out, Alice queues 4 on B. Without turns she would
    // wait for X's other 15; with them, X and Alice alternate from her arrival.
    const xs = Array.from({ length: 20 }, () => a.schedule(5, push(order, 'x'), 'token:x'));
    await waitFor(() => order.length >= LIMITS.perSecond);
    const alices = Array.from({ length: 4 }, () => b.schedule(5, push(order, 'alice'), 'U_ALICE'));
    await waitFor(() => b.stats().queued === 4);
    await Promise.all([...xs, ...alices]);
    const afterArrival = order.slice(LIMITS.perSecond);
    // Her 4 are done within the next two bursts (x and alice alternating), not after X's 15.
    expect(afterArrival.lastIndexOf('alice')).toBeLessThan(2 * LIMITS.perSecond);
    // Alone, X started its first burst at once and got the rest of the full rate (the first test's floor).
    expect(order.slice(0, LIMITS.perSecond)).toEqual(Array(LIMITS.perSecond).fill('x'));
  }, 30_000);

  it('pauses every replica when one of them is told to wait (a 429)', async () => {
    const a = replica();
    const b = replica();
    await Promise.all([a.ready(), b.ready()]);
    const until = Date.now() + 1_200;
    a.pauseUntil(until);
    await waitFor(() => b.stats().pausedUntilMs === until, 2_000);
    const starts: number[] = [];
    await Promise.all([1, 2].map(() => b.schedule(5, recorded(starts))));
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(until);
  });

  it('stores a pause for an hour at most, and a fresh replica believes even an older stored one for an hour', async () => {
    const a = replica();
    await a.ready();
    a.pauseUntil(99_999_999_999_000);
    await waitFor(() => (a.stats().pausedUntilMs ?? 0) > 0, 2_000);
    expect(a.stats().pausedUntilMs ?? 0).toBeLessThanOrEqual(Date.now() + 3_600_000);
    const key = (await admin.keys(`${id}*`)).find((k) => k.endsWith(':paused-until'));
    expect(key).toBeDefined();
    expect(await admin.pttl(String(key))).toBeLessThanOrEqual(3_601_000);
    // A pause planted without a bound (as an older version could): a fresh replica still waits an hour at most.
    await admin.set(String(key), '99999999999000', 'PX', 60_000);
    const b = replica();
    await b.ready();
    await waitFor(() => (b.stats().pausedUntilMs ?? 0) > 0, 2_000);
    expect(b.stats().pausedUntilMs ?? 0).toBeLessThanOrEqual(Date.now() + 3_600_000);
  });

  it('keeps the second window by arrival at MoEngage when requests are slow: a slot is due a second after the answer', async () => {
    const a = replica({ inFlightMs: 2_000, maxConcurrent: 10 });
    const b = replica({ inFlightMs: 2_000, maxConcurrent: 10 });
    await Promise.all([a.ready(), b.ready()]);
    const arrivals: number[] = [];
    let seed = 11;
    const random = () => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const job = async () => {
      const latency = 200 + Math.floor(random() * 1_200);
      const arriveAfter = Math.floor(random() * latency);
      await sleep(arriveAfter);
      arrivals.push(Date.now());
      await sleep(latency - arriveAfter);
    };
    await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).schedule(5, job)));
    expect(arrivals).toHaveLength(24);
    expect(maxInWindow(arrivals, 1_000)).toBeLessThanOrEqual(LIMITS.perSecond);
  }, 30_000);

  it('gives an unused slot straight back to every replica', async () => {
    // A 10 s window, so a slot that did not come back at once would be plain to see.
    const limiter = replica({ windowMs: 10_000 });
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 6 }, () => limiter.schedule(5, async (slot) => slot.unused())));
    const starts: number[] = [];
    await Promise.all(Array.from({ length: LIMITS.perMinute }, () => limiter.schedule(5, recorded(starts))));
    // 18 starts 220 ms apart (~3.7 s): the 7th used job did not wait for the first unused slots to come back.
    expect(Math.max(...starts) - t0).toBeLessThan(5_000);
    expect(await sharedState()).toMatchObject({ queued: 0, slots: LIMITS.perMinute });
  });
});

describe('Redis losing the slots (a failover that dropped the last writes, a restart without persistence)', () => {
  it('writes its own slots back after the reconnect, so the windows still hold', async () => {
    const redis = connectRedis();
    const limiter = replica({ redis });
    await limiter.ready();
    const starts: number[] = [];
    await Promise.all(Array.from({ length: LIMITS.perSecond }, () => limiter.schedule(5, recorded(starts))));
    // Redis forgets every slot, and the connection drops and comes back, as across a failover.
    await admin.del(`${id}:slots`);
    const back = new Promise((resolve) => redis.once('ready', resolve));
    redis.disconnect(true);
    await back;
    await Promise.all(Array.from({ length: LIMITS.perSecond }, () => limiter.schedule(5, recorded(starts))));
    for (const w of WINDOWS) expect(maxInWindow(starts, w.ms)).toBeLessThanOrEqual(w.limit);
    expect(errors.some((e) => /written back after a reconnect/.test(String(e)))).toBe(true);
  });
});
