import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import {
  type CallLimiter,
  type LimiterStats,
  MOENGAGE_LIMITS,
  type Priority,
  type SlidingLimiterOptions,
  type Slot,
} from '../moengage/limiter.ts';
import { boundedRetryAt } from '../moengage/retry-policy.ts';
import { type ClaimReply, limiterScripts } from './redis-limiter-scripts.ts';

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
  /** A queued request whose replica has not vouched for it this long (the replica died) leaves the queue. */
  replicaTimeoutMs?: number;
  /** How often a replica vouches for its queued requests, reads the shared pause and claims again. */
  heartbeatMs?: number;
  /** How long the shared queue may stay out of reach before the requests waiting in it fail. */
  unavailableMs?: number;
  /** Errors of the background work (claims, slot returns, the Redis connections). */
  onError?: (error: unknown) => void;
}

export interface RedisCallLimiter extends CallLimiter {
  /** Resolves once the limiter listens to the other replicas; `schedule` waits for it on its own. */
  ready(): Promise<void>;
}

const HOUR_MS = 3_600_000;

function isClient(value: RedisSlidingLimiterOptions['redis']): value is Redis {
  return typeof value === 'object' && value !== null && typeof (value as Redis).duplicate === 'function';
}

interface Job {
  priority: Priority;
  key: string;
  task: (slot: Slot) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * The sliding-window limiter of `limiter.ts` for every replica at once, through Redis: one queue, one set of
 * slots, one pause (the scripts are in redis-limiter-scripts.ts).
 * - Every request waits in one Redis queue ordered by priority (PAUSE/STOP before RESUME), then by requester's
 *   turn (start-time fair queueing), then by arrival: an urgent PAUSE queued on replica A overtakes a bulk
 *   RESUME queued on B, and one requester cannot hold the queue against another wherever each is served.
 * - A slot of each window is taken when a request starts and is due back one window after its *answer* (in
 *   flight, after its deadline), which bounds arrivals at MoEngage whatever the latency; bursts of up to the
 *   per-second limit start at once.
 * - Nobody polls: a replica claims when its request is queued, when another replica says something changed
 *   (a request started, answered or withdrawn: pub/sub), when the earliest slot is due (the claim says when),
 *   and on a heartbeat that also vouches for its queued requests. A dead replica's queued requests leave the
 *   queue once nobody vouches for them; its in-flight slots come back after their deadline.
 * This replaced Bottleneck's Redis datastore here: Bottleneck spaces starts by time (minTime, 110 ms) and keeps
 * its queue and priorities per replica, and neither could express "a slot comes back after the answer" or one
 * order across replicas. Its reservoir accounting also needed a patch to survive lost keys on Redis 7.
 */
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
  const marginMs = options.slotReturnMarginMs ?? 50;
  const inFlightMs = options.inFlightMs ?? 10_000;
  const aliveMs = options.replicaTimeoutMs ?? 5_000;
  const heartbeatMs = options.heartbeatMs ?? Math.max(50, Math.floor(aliveMs / 3));
  const unavailableMs = options.unavailableMs ?? 5_000;
  const maxConcurrent = options.maxConcurrent ?? limits.perSecond;
  const report = options.onError ?? (() => undefined);
  const replica = randomUUID();

  const ownsClient = !isClient(options.redis);
  const client = isClient(options.redis)
    ? options.redis
    : typeof options.redis === 'string'
      ? new Redis(options.redis)
      : new Redis(options.redis);
  const scripts = limiterScripts({ client, id: options.id, limits, windowMs, marginMs });
  const subscriber = client.duplicate();
  subscriber.on('error', report);

  const waiting = new Map<string, Job>();
  const inFlight = new Set<Promise<unknown>>();
  let running = 0;
  let pausedUntilMs = 0;
  let stopped = false;
  let claiming: Promise<void> | undefined;
  let claimAgain = false;
  let wakeTimer: NodeJS.Timeout | undefined;
  let failingSince: number | undefined;

  // ioredis resubscribes after a reconnect without handling that command's promise (redis/ioredis#2187, merged
  // after 6.0.0): if the connection closes before Redis answers, that is an unhandled rejection, which ends a
  // Node process. So the subscriber resubscribes itself, handled, and claims at once (it may have missed news).
  subscriber.options.autoResubscribe = false;
  let subscribed: Promise<unknown> = Promise.resolve();
  subscriber.on('ready', () => {
    subscribed = subscriber.subscribe(scripts.channel).catch((error: unknown) => {
      if (!stopped) report(error);
    });
    kick();
  });
  subscriber.on('message', () => kick());

  const wakeIn = (ms: number) => {
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeTimer = setTimeout(
      () => {
        wakeTimer = undefined;
        kick();
      },
      Math.max(1, ms),
    );
    wakeTimer.unref();
  };

  // This replica's own slots and when each is due back (its clock): what it writes back when Redis has lost them
  // (a failover that dropped the last writes, a restart without persistence), so a reconnect is not a fresh
  // window that lets a second burst through (MoEngage would answer it 429).
  const mine = new Map<string, number>();
  const hold = (member: string, ms: number) => {
    const now = Date.now();
    for (const [m, due] of mine) if (due <= now) mine.delete(m);
    mine.set(member, now + ms);
  };
  let reseedNeeded = false;
  let connectedOnce = false;
  client.on('ready', () => {
    if (connectedOnce) reseedNeeded = true;
    connectedOnce = true;
  });
  if (client.status === 'ready') connectedOnce = true;
  const reseed = async () => {
    if (!reseedNeeded) return;
    reseedNeeded = false;
    const now = Date.now();
    const slots = [...mine]
      .filter(([, due]) => due > now)
      .map(([m, due]) => [m, due - now] as [string, number]);
    try {
      const added = await scripts.reseed(slots);
      if (added > 0)
        report(new Error(`limiter: ${added} slots Redis had lost were written back after a reconnect`));
    } catch (error) {
      reseedNeeded = true;
      throw error;
    }
  };

  const start = (member: string, job: Job) => {
    running += 1;
    let returned = false;
    hold(member, inFlightMs + windowMs + marginMs);
    const slot: Slot = {
      unused() {
        if (returned) return;
        returned = true;
        mine.delete(member);
        void scripts.unused(member).catch(report);
      },
    };
    const settle = (ok: boolean, value: unknown) => {
      running -= 1;
      // Answered: the slot is due one window from now, for every replica.
      if (!returned) hold(member, windowMs + marginMs);
      const answered = returned ? Promise.resolve() : scripts.answered(member).catch(report);
      returned = true;
      if (ok) job.resolve(value);
      else job.reject(value as Error);
      // After the caller has heard this answer (a 401 or a 429 must stop the next start, not follow it).
      void answered.then(() => setImmediate(kick));
    };
    const done = job.task(slot).then(
      (value) => settle(true, value),
      (error: unknown) => settle(false, error),
    );
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };

  const failWaiting = (error: Error) => {
    for (const job of waiting.values()) job.reject(error);
    waiting.clear();
  };

  const claimOnce = async (): Promise<boolean> => {
    if (stopped || waiting.size === 0) return false;
    const now = Date.now();
    if (now < pausedUntilMs) {
      wakeIn(pausedUntilMs - now);
      return false;
    }
    if (running >= maxConcurrent) return false; // a finishing request claims again
    let reply: ClaimReply;
    try {
      await reseed();
      reply = await scripts.claim({
        replica,
        clientNowMs: now,
        localPausedUntilMs: pausedUntilMs,
        inFlightMs,
        maxGrant: maxConcurrent - running,
        secondMarginMs: marginMs,
      });
      failingSince = undefined;
    } catch (error) {
      report(error);
      failingSince ??= now;
      if (Date.now() - failingSince >= unavailableMs) {
        const members = [...waiting.keys()];
        failWaiting(
          new Error(`the shared rate limiter in Redis did not answer: ${(error as Error).message}`),
        );
        void scripts.leave(members).catch(() => undefined);
        return false;
      }
      wakeIn(Math.min(500, heartbeatMs));
      return false;
    }
    if (reply.kind === 'ok') {
      for (const member of reply.members) {
        const job = waiting.get(member);
        // Withdrawn meanwhile (the limiter stopped): its slot was never used.
        if (!job) void scripts.unused(member).catch(report);
        else {
          waiting.delete(member);
          start(member, job);
        }
      }
      return true;
    }
    if (reply.kind === 'wait') wakeIn(reply.ms);
    else if (reply.kind === 'paused') {
      pausedUntilMs = Math.max(pausedUntilMs, boundedRetryAt(reply.untilMs, Date.now()).atMs);
      wakeIn(pausedUntilMs - Date.now());
    }
    // 'behind': the replicas whose requests come first were woken; their starts wake us (and the heartbeat).
    return false;
  };

  function kick() {
    if (claiming) {
      claimAgain = true;
      return;
    }
    claiming = (async () => {
      do {
        claimAgain = false;
        while (await claimOnce()) {
          // Granted some: there may be more free slots for this replica's next requests.
        }
      } while (claimAgain);
    })()
      .catch(report)
      .finally(() => {
        claiming = undefined;
        // A wake-up that came while the loop was ending is not lost.
        if (claimAgain) kick();
      });
  }

  const heartbeat = async () => {
    const members = [...waiting.keys()];
    const lost = await scripts.alive(members, aliveMs);
    // Pruned while this replica was stalled longer than replicaTimeoutMs: queued again, at the back.
    for (const member of lost) {
      const job = waiting.get(member);
      if (!job || stopped) continue;
      // The old entry goes only once the new one is queued: if queueing fails, the job is still here, and the
      // next heartbeat (or the failing claims) deal with it; nothing is left neither queued nor settled.
      const queued = await scripts.enqueue(replica, job.key, job.priority, aliveMs);
      if (stopped || waiting.get(member) !== job) {
        void scripts.leave([queued]).catch(report);
        continue;
      }
      waiting.delete(member);
      waiting.set(queued, job);
    }
    pausedUntilMs = Math.max(pausedUntilMs, boundedRetryAt(await scripts.readPause(), Date.now()).atMs);
    if (waiting.size > 0) kick();
  };
  let beating: Promise<void> | undefined;
  const heartbeatTimer = setInterval(() => {
    if (beating || stopped) return;
    beating = heartbeat()
      .catch(report)
      .finally(() => {
        beating = undefined;
      });
  }, heartbeatMs);
  heartbeatTimer.unref();

  const init = (async () => {
    await subscriber.ping();
    await subscribed;
    pausedUntilMs = Math.max(pausedUntilMs, boundedRetryAt(await scripts.readPause(), Date.now()).atMs);
  })();
  init.catch(report);

  const schedule = async <T>(priority: Priority, task: (slot: Slot) => Promise<T>, key = ''): Promise<T> => {
    if (stopped) throw new Error('the limiter is stopped');
    await init;
    const member = await scripts.enqueue(replica, key, priority, aliveMs);
    return new Promise<T>((resolve, reject) => {
      if (stopped) {
        void scripts.leave([member]).catch(report);
        reject(new Error('the limiter is stopped'));
        return;
      }
      waiting.set(member, {
        priority,
        key,
        task: task as (slot: Slot) => Promise<unknown>,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      kick();
    });
  };

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    stopped = true;
    clearInterval(heartbeatTimer);
    if (wakeTimer) clearTimeout(wakeTimer);
    // What never started leaves the shared queue now (not after replicaTimeoutMs) and is refused, so no caller
    // waits for a slot that will not come. What runs is waited for: its answer dates its slot.
    const members = [...waiting.keys()];
    failWaiting(new Error('the limiter is stopped'));
    await scripts.leave(members).catch(report);
    await Promise.race([
      Promise.allSettled([...inFlight]),
      new Promise((resolve) => setTimeout(resolve, inFlightMs).unref()),
    ]);
    await Promise.allSettled([claiming, beating]);
    await closeAll(ownsClient ? [client, subscriber] : [subscriber]);
  };

  return {
    limits,
    schedule,
    ready: async () => {
      await init;
    },
    pauseUntil(requestedMs) {
      // Never longer than MoEngage's longest window, whoever asks (a stored pause cannot outlive the cap).
      const untilMs = boundedRetryAt(requestedMs, Date.now()).atMs;
      pausedUntilMs = Math.max(pausedUntilMs, untilMs);
      const ttlMs = Math.max(1, Math.ceil(untilMs - Date.now())) + 1_000;
      void scripts.pause(Math.ceil(untilMs), ttlMs).catch(report);
    },
    async usage() {
      // Slots not yet due back: requests in flight or answered within the window (every replica's).
      const minute = await client.zcount(`${options.id}:slots`, `(${Date.now()}`, '+inf');
      return { minute, perMinute: limits.perMinute };
    },
    stats(): LimiterStats {
      return {
        queued: waiting.size,
        running,
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
