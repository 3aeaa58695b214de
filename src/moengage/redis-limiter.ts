import { randomUUID } from 'node:crypto';
import Bottleneck from 'bottleneck';
import { Redis, type RedisOptions } from 'ioredis';
import {
  type CallLimiter,
  type LimiterStats,
  MOENGAGE_LIMITS,
  type Priority,
  type SlidingLimiterOptions,
  type Slot,
  waitOutPause,
} from './limiter.ts';
import { limiterScripts } from './redis-limiter-scripts.ts';
import { boundedRetryAt } from './retry-policy.ts';

export interface RedisSlidingLimiterOptions extends SlidingLimiterOptions {
  /**
   * An ioredis client to share (the limiter adds one subscriber connection of its own and leaves the client
   * open on `stop()`), or the options / URL of a connection the limiter opens and closes itself.
   */
  redis: Redis | RedisOptions | string;
  /** Shared by every replica that talks to the same MoEngage workspace, e.g. `${keyPrefix}moengage`. */
  id: string;
  /** The long sliding window that `limits.perMinute` applies to; tests shorten it. */
  windowMs?: number;
  /** The longest a request may be in flight (the client's deadline): until answered, its slot counts to then. */
  inFlightMs?: number;
  /** A replica that has not checked in for this long is taken for dead and what it held is handed back. */
  replicaTimeoutMs?: number;
  /** How often each replica hands back the slots that are due (and checks in). */
  refillIntervalMs?: number;
  /** Errors of the background work (refills, slot returns, the Redis connections). */
  onError?: (error: unknown) => void;
}

export interface RedisCallLimiter extends CallLimiter {
  /** Resolves once the limiter is registered in Redis; `schedule` waits for it on its own. */
  ready(): Promise<void>;
}

const HOUR_MS = 3_600_000;

function isClient(value: RedisSlidingLimiterOptions['redis']): value is Redis {
  return typeof value === 'object' && value !== null && typeof (value as Redis).duplicate === 'function';
}

/**
 * The sliding-window limiter of `limiter.ts`, shared by every replica through Redis, so the windows hold for
 * the sum of their requests:
 * - Bottleneck with its Redis datastore keeps the shared settings: `minTime` spacing (the 1 s window),
 *   `maxConcurrent` for all replicas together (so at most that many in flight on any one replica's pool), and
 *   a reservoir of `perMinute` slots (the `windowMs` window; the hour follows, as the limits nest). Its queue,
 *   and so the priorities, are per replica;
 * - a used slot does not come back by one process's timer (a dead replica would take its pending returns with
 *   it): its job records it in a Redis sorted set scored by its due time, and every replica pops the due ones
 *   into the reservoir with one atomic script, so each comes back exactly once whoever is still alive;
 * - that script also gives back what a replica that stopped checking in held (see TICK), and the job's claim
 *   of its slot re-checks both windows on the slots themselves (see CLAIM; both in redis-limiter-scripts.ts).
 * Bottleneck's `timeout` stays unset (its keys would expire) and `clearDatastore` is never used (it wipes the
 * other replicas' state). The first replica to use an `id` sets the limits for all, as Bottleneck does. On
 * Redis 7 it needs the Bottleneck patch in patches/ (applied by postinstall) to recover lost settings or a
 * dropped client registration. One Redis node: the scripts touch Bottleneck's keys and ours together.
 */
/** How long an urgent job's mark lasts unrefreshed (a dead replica's expires), and a yielding job's pause. */
const URGENT_MARK_MS = 3_000;
const YIELD_MS = 50;

export function createRedisSlidingLimiter(options: RedisSlidingLimiterOptions): RedisCallLimiter {
  const limits = options.limits ?? MOENGAGE_LIMITS;
  const windowMs = options.windowMs ?? 60_000;
  if (!(windowMs >= 1_000)) throw new RangeError('windowMs must be at least 1000');
  if (
    limits.perMinute * Math.ceil(HOUR_MS / windowMs) > limits.perHour ||
    (limits.perSecond * windowMs) / 1_000 < limits.perMinute
  ) {
    throw new RangeError(
      'rate limits must nest: perSecond per second over windowMs >= perMinute, and perMinute per windowMs over an hour <= perHour',
    );
  }
  const marginMs = options.slotReturnMarginMs ?? 1_000;
  const inFlightMs = options.inFlightMs ?? 10_000;
  const replicaTimeoutMs = options.replicaTimeoutMs ?? 15_000;
  const refillIntervalMs = options.refillIntervalMs ?? 200;
  const report = options.onError ?? (() => undefined);
  const { id } = options;

  const ownsClient = !isClient(options.redis);
  const client = isClient(options.redis)
    ? options.redis
    : typeof options.redis === 'string'
      ? new Redis(options.redis)
      : new Redis(options.redis);
  const connection = new Bottleneck.IORedisConnection({ client, Redis });
  connection.on('error', report);
  const bottleneck = new Bottleneck({
    id,
    connection,
    minTime: Math.ceil(1_100 / limits.perSecond),
    maxConcurrent: options.maxConcurrent ?? 10,
    reservoir: limits.perMinute,
  });
  bottleneck.on('error', report);

  const channel = bottleneck.channel();
  const scripts = limiterScripts({ client, id, channel, limits, windowMs, marginMs });

  let clientId = '';
  let pausedUntilMs = 0;
  const deferred = { count: 0 };
  let stopped = false;
  let initialized = false;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  const jobs = new Set<Promise<unknown>>();
  let announceStop: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => {
    announceStop = resolve;
  });

  // ioredis resubscribes after a reconnect without handling that command's promise (redis/ioredis#2187, merged
  // after 6.0.0): if the connection closes before Redis answers (stop() during the reconnect handshake, or Redis
  // gone again) it is an unhandled rejection, which ends a Node process. So Bottleneck's subscriber (a duplicate
  // of the client, opened by IORedisConnection and missing from its typings) is resubscribed here, handled.
  const { subscriber } = connection as unknown as { subscriber: Redis };
  subscriber.options.autoResubscribe = false;
  subscriber.on('ready', () => {
    const channels = [channel, (bottleneck as unknown as { channel_client(): string }).channel_client()];
    subscriber.subscribe(...channels).catch((error: unknown) => {
      if (!stopped) report(error);
    });
  });

  const tick = async (leaving = false) => {
    const reply = await scripts.tick(clientId, leaving, replicaTimeoutMs);
    // Even a pause stored by another (older) replica is believed for an hour at most.
    pausedUntilMs = Math.max(pausedUntilMs, boundedRetryAt(Number(reply[1]), Date.now()).atMs);
  };

  const init = (async () => {
    await bottleneck.ready();
    // Bottleneck's id for this replica, as it appears in its client_* keys (the method is not in its typings).
    clientId = (bottleneck as unknown as { channel_client(): string })
      .channel_client()
      .slice(channel.length + 1);
    await scripts.init();
    await tick();
    initialized = true;
    if (stopped) return;
    timer = setInterval(() => {
      if (ticking || stopped) return;
      ticking = tick()
        .catch(report)
        .finally(() => {
          ticking = undefined;
        });
    }, refillIntervalMs);
    timer.unref();
  })();
  init.catch(report);

  const DEFER = Symbol('defer');
  const runJob = async <T>(
    member: string,
    priority: Priority,
    task: (slot: Slot) => Promise<T>,
    onStart?: () => void,
  ): Promise<T | typeof DEFER> => {
    let verdict: [string, number];
    try {
      verdict = await scripts.claim(member, Date.now(), pausedUntilMs, inFlightMs, priority);
    } catch (error) {
      // Nothing is sent. Whether the claim went through is unknown: give the unit back in case it did not (if
      // it did, the slot check and the reservoir's cap at the next refill take the extra unit off again).
      await scripts.giveBack().catch(report);
      throw error;
    }
    if (verdict[0] === 'paused') pausedUntilMs = Math.max(pausedUntilMs, Number(verdict[1]));
    if (verdict[0] !== 'ok') return DEFER;
    onStart?.();
    let givenBack: Promise<unknown> | undefined;
    try {
      return await task({
        unused() {
          givenBack ??= scripts.unused(member).catch(report);
        },
      });
    } finally {
      // Answered (or failed): the slot is due one window from now, which bounds arrivals, not starts.
      if (givenBack) await givenBack;
      else await scripts.answered(member).catch(report);
    }
  };

  const schedule = async <T>(priority: Priority, task: (slot: Slot) => Promise<T>): Promise<T> => {
    await Promise.race([init, stopSignal]);
    // A PAUSE or STOP waiting here makes every replica's RESUMEs yield until it has started (one order across
    // replicas); the mark is refreshed while it waits, so a replica that dies holds nobody up for long.
    const urgent = priority < 5 ? `urgent:${randomUUID()}` : undefined;
    const mark = () => urgent && scripts.urgent(urgent, Date.now() + URGENT_MARK_MS).catch(report);
    const refresh = urgent ? setInterval(mark, URGENT_MARK_MS / 3) : undefined;
    refresh?.unref();
    if (urgent) await mark();
    let started = false;
    const onStart = () => {
      started = true;
      clearInterval(refresh);
      if (urgent) void scripts.urgent(urgent, 0).catch(report);
    };
    try {
      for (;;) {
        if (stopped) throw new Error('the limiter is stopped');
        if (Date.now() < pausedUntilMs) await waitOutPause(pausedUntilMs, deferred);
        const member = randomUUID();
        const job = bottleneck.schedule({ priority, id: member }, () =>
          runJob(member, priority, task, onStart),
        );
        jobs.add(job);
        try {
          const result = await job;
          if (result !== DEFER) return result as T;
        } finally {
          jobs.delete(job);
        }
        // Deferred (yielded to an urgent job elsewhere, or a window full): not straight back into the queue.
        if (priority >= 5) await new Promise((r) => setTimeout(r, YIELD_MS));
      }
    } finally {
      clearInterval(refresh);
      if (urgent && !started) await scripts.urgent(urgent, 0).catch(report);
    }
  };

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    stopped = true;
    clearInterval(timer);
    announceStop();
    if (initialized) {
      await bottleneck.stop({ dropWaitingJobs: true }).catch(() => undefined);
      // A job's promise settles after Bottleneck has freed it in Redis: then only the dropped jobs, which
      // never started, still count as ours, and leaving hands their units back now rather than after
      // replicaTimeoutMs. Their slots are not ours to return: those come back when due.
      await Promise.allSettled([...jobs]);
      await ticking;
      await tick(true).catch(report);
      // Clears Bottleneck's heartbeat. Marked terminated first (the connection object is this limiter's own),
      // Bottleneck skips its unsubscribe calls, whose promises it drops: one failing would be an unhandled
      // rejection. Closing the subscriber below ends the subscriptions anyway.
      (connection as unknown as { terminated: boolean }).terminated = true;
      bottleneck.disconnect();
    }
    await closeAll(ownsClient ? [client, subscriber] : [subscriber]);
  };

  return {
    schedule,
    ready: async () => {
      await init;
    },
    pauseUntil(requestedMs) {
      // Never longer than MoEngage's longest window, whoever asks (a stored pause cannot outlive the cap).
      const untilMs = boundedRetryAt(requestedMs, Date.now()).atMs;
      pausedUntilMs = Math.max(pausedUntilMs, untilMs);
      const ttlMs = Math.max(1, Math.ceil(untilMs - Date.now())) + 1_000;
      void init.then(() => scripts.pause(Math.ceil(untilMs), ttlMs)).catch(report);
    },
    stats(): LimiterStats {
      const counts = bottleneck.counts();
      return {
        queued: (counts.RECEIVED ?? 0) + (counts.QUEUED ?? 0) + deferred.count,
        running: (counts.RUNNING ?? 0) + (counts.EXECUTING ?? 0),
        pausedUntilMs: pausedUntilMs > Date.now() ? pausedUntilMs : undefined,
      };
    },
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}

async function closeAll(clients: (Redis | undefined)[]): Promise<void> {
  await Promise.all(
    clients.map(async (c) => {
      if (!c || c.status === 'end') return;
      if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
      else c.disconnect();
    }),
  );
}
