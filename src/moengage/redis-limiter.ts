import { createHash, randomUUID } from 'node:crypto';
import Bottleneck from 'bottleneck';
import { Redis, type RedisOptions } from 'ioredis';
import {
  type CallLimiter,
  type LimiterStats,
  MOENGAGE_LIMITS,
  type Priority,
  type SlidingLimiterOptions,
  type Slot,
} from './limiter.ts';

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

/*
 * Every script gets the same KEYS and the same first five ARGV (perMinute, perSecond, windowMs, marginMs, the
 * Bottleneck channel), so they read alike:
 *  1 Bottleneck's settings hash        5 our shared pause (ms timestamp)   9  Bottleneck's job weights
 *  2 our slots: member -> due time     6 Bottleneck's client_running       10 Bottleneck's job clients
 *  3 our config (first replica wins)   7 Bottleneck's client_last_seen     11 Bottleneck's job expirations
 *  4 our replicas: client -> last seen 8 Bottleneck's client_num_queued
 * Times inside the scripts are Redis's own clock (TIME), so replicas with skewed clocks agree on them. Only
 * the pause compares with a replica's clock: it comes from that replica's view of a Retry-After.
 */
const PRELUDE = `
local channel = ARGV[5]
-- The first replica's limits hold for all, like Bottleneck's settings (and come back if the key is lost).
local function config()
  if redis.call('EXISTS', KEYS[3]) == 0 then
    redis.call('HSET', KEYS[3], 'perMinute', ARGV[1], 'perSecond', ARGV[2], 'windowMs', ARGV[3], 'marginMs', ARGV[4])
  end
  local c = redis.call('HMGET', KEYS[3], 'perMinute', 'perSecond', 'windowMs', 'marginMs')
  return tonumber(c[1]), tonumber(c[2]), tonumber(c[3]), tonumber(c[4])
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function int(n) return string.format('%d', n) end
-- What Bottleneck's own process_tick publishes, so every replica drains its queue.
local function announce()
  local s = redis.call('HMGET', KEYS[1], 'maxConcurrent', 'running', 'reservoir')
  local mc, running, reservoir = tonumber(s[1]), tonumber(s[2]) or 0, tonumber(s[3])
  local cap = reservoir
  if mc ~= nil then cap = reservoir == nil and mc - running or math.min(mc - running, reservoir) end
  if cap == nil then
    redis.call('PUBLISH', channel, 'capacity:')
  elseif cap > 0 then
    redis.call('PUBLISH', channel, 'capacity:' .. int(cap))
  end
end
-- Never HINCRBY a missing settings hash: a half-made hash would stop Bottleneck from recreating it.
local function give_back()
  if redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call('HINCRBY', KEYS[1], 'reservoir', 1)
    announce()
  end
end
`;

const INIT = `
config()
return 1`;

/*
 * A job Bottleneck has started (its reservoir unit is taken) records its slot, due back windowMs + margin
 * later. This is also the hard check of both windows, on the slots themselves: should the reservoir ever
 * overstate what is left (Bottleneck's settings recreated, a replica wrongly taken for dead), the job is
 * refused and queued again instead of sent.
 * ARGV[6..] member, clientNowMs, localPausedUntilMs
 */
const CLAIM = `
local per_minute, per_second, window_ms, margin_ms = config()
local hold = window_ms + margin_ms
local paused = math.max(tonumber(redis.call('GET', KEYS[5]) or '0') or 0, tonumber(ARGV[8]))
if paused > tonumber(ARGV[7]) then
  give_back()
  return {'paused', paused}
end
local now = now_ms()
if redis.call('ZCOUNT', KEYS[2], '(' .. int(now), '+inf') >= per_minute then
  -- The window is full whatever the reservoir says: it said too much, so it is 0 now and this unit is gone.
  if redis.call('EXISTS', KEYS[1]) == 1 and (tonumber(redis.call('HGET', KEYS[1], 'reservoir')) or 0) > 0 then
    redis.call('HSET', KEYS[1], 'reservoir', 0)
  end
  return {'full', 0}
end
if redis.call('ZCOUNT', KEYS[2], int(now + hold - 1000), '+inf') >= per_second then
  give_back()
  return {'busy', 0}
end
redis.call('ZADD', KEYS[2], int(now + hold), ARGV[6])
return {'ok', now}`;

// A slot its job did not use after all comes back at once. ARGV[6] member
const UNUSED = `
if redis.call('ZREM', KEYS[2], ARGV[6]) == 1 then
  give_back()
  return 1
end
return 0`;

// A reservoir unit whose job never claimed its slot (the claim failed). ARGV[6..] none
const GIVE_BACK = `
give_back()
return 1`;

// ARGV[6..] untilMs, ttlMs
const PAUSE = `
if tonumber(ARGV[6]) > (tonumber(redis.call('GET', KEYS[5]) or '0') or 0) then
  redis.call('SET', KEYS[5], ARGV[6], 'PX', ARGV[7])
end
return 1`;

/*
 * Run by every replica every refillIntervalMs; whichever runs first does the work, and each due slot comes
 * back exactly once because popping it and adding it to the reservoir are one script.
 * - checks this replica in (or, leaving, out);
 * - pops the due slots into Bottleneck's reservoir;
 * - hands back what a replica that stopped checking in held: its running count (else maxConcurrent shrinks
 *   for good) and the reservoir units of its jobs that Bottleneck had registered but that never started
 *   (else the minute shrinks for good). The jobs it did start keep their slots, which come back when due.
 *   It gives back all its running jobs and then caps the reservoir at perMinute minus the slots still out,
 *   which takes the started ones off again;
 * - reports the shared pause.
 * ARGV[6..] client, leaving (1/0), replicaTimeoutMs
 */
const TICK = `
local per_minute = config()
local now = now_ms()
local me, leaving, timeout = ARGV[6], ARGV[7] == '1', tonumber(ARGV[8])
if leaving then redis.call('ZREM', KEYS[4], me) else redis.call('ZADD', KEYS[4], now, me) end
local returned = redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local freed_running = 0
local gone = {}
local any_gone = false
local running = redis.call('ZRANGE', KEYS[6], 0, -1, 'WITHSCORES')
for i = 1, #running, 2 do
  local client, weight = running[i], tonumber(running[i + 1])
  if weight > 0 then
    local dead = false
    if client == me then
      dead = leaving
    else
      local seen = redis.call('ZSCORE', KEYS[4], client)
      if not seen then
        redis.call('ZADD', KEYS[4], now, client)
      elseif tonumber(seen) < now - timeout then
        dead = true
      end
    end
    if dead then
      returned = returned + weight
      freed_running = freed_running + weight
      redis.call('ZADD', KEYS[6], 0, client)
      redis.call('ZREM', KEYS[4], client)
      redis.call('ZADD', KEYS[7], 'XX', 0, client)
      if redis.call('HEXISTS', KEYS[8], client) == 1 then redis.call('HSET', KEYS[8], client, 0) end
      gone[client] = true
      any_gone = true
    end
  end
end
if any_gone then
  local jobs = redis.call('HGETALL', KEYS[10])
  for i = 1, #jobs, 2 do
    if gone[jobs[i + 1]] then
      redis.call('HDEL', KEYS[10], jobs[i])
      redis.call('HDEL', KEYS[9], jobs[i])
      redis.call('ZREM', KEYS[11], jobs[i])
    end
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - 2 * timeout)
local paused = tonumber(redis.call('GET', KEYS[5]) or '0') or 0
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, paused} end
if freed_running > 0 then
  local r = tonumber(redis.call('HGET', KEYS[1], 'running')) or 0
  redis.call('HSET', KEYS[1], 'running', math.max(0, r - freed_running))
end
local raised = 0
local reservoir = tonumber(redis.call('HGET', KEYS[1], 'reservoir'))
if reservoir ~= nil then
  local ceiling = per_minute - redis.call('ZCARD', KEYS[2])
  local target = math.max(0, math.min(reservoir + returned, ceiling))
  if target ~= reservoir then redis.call('HSET', KEYS[1], 'reservoir', target) end
  if target > reservoir then raised = target - reservoir end
end
if raised > 0 or freed_running > 0 then announce() end
return {raised, paused}`;

interface LuaScript {
  lua: string;
  sha: string;
}

function script(body: string): LuaScript {
  const lua = `${PRELUDE}\n${body}`;
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

const SCRIPTS = {
  init: script(INIT),
  claim: script(CLAIM),
  unused: script(UNUSED),
  giveBack: script(GIVE_BACK),
  pause: script(PAUSE),
  tick: script(TICK),
};

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
 *   of its slot re-checks both windows on the slots themselves (see CLAIM).
 * Bottleneck's `timeout` stays unset (its keys would expire) and `clearDatastore` is never used (it wipes the
 * other replicas' state). The first replica to use an `id` sets the limits for all, as Bottleneck does. On
 * Redis 7 it needs the Bottleneck patch in patches/ (applied by postinstall) to recover lost settings or a
 * dropped client registration. One Redis node: the scripts touch Bottleneck's keys and ours together.
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
  const marginMs = options.slotReturnMarginMs ?? 1_000;
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
  const b = channel; // Bottleneck's keys are b_<id>_*
  const keys = [
    `${b}_settings`,
    `${id}:slots`,
    `${id}:config`,
    `${id}:replicas`,
    `${id}:paused-until`,
    `${b}_client_running`,
    `${b}_client_last_seen`,
    `${b}_client_num_queued`,
    `${b}_job_weights`,
    `${b}_job_clients`,
    `${b}_job_expirations`,
  ];
  const common = [limits.perMinute, limits.perSecond, windowMs, marginMs, channel];
  const run = async (s: LuaScript, args: (string | number)[] = []): Promise<unknown> => {
    const all = [...keys, ...common, ...args];
    try {
      return await client.evalsha(s.sha, keys.length, ...all);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return client.eval(s.lua, keys.length, ...all);
    }
  };

  let clientId = '';
  let pausedUntilMs = 0;
  let deferred = 0;
  let stopped = false;
  let initialized = false;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  const jobs = new Set<Promise<unknown>>();
  let announceStop: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => {
    announceStop = resolve;
  });

  const tick = async (leaving = false) => {
    const reply = (await run(SCRIPTS.tick, [clientId, leaving ? '1' : '0', replicaTimeoutMs])) as [
      number,
      number,
    ];
    pausedUntilMs = Math.max(pausedUntilMs, Number(reply[1]));
  };

  const init = (async () => {
    await bottleneck.ready();
    // Bottleneck's id for this replica, as it appears in its client_* keys (the method is not in its typings).
    clientId = (bottleneck as unknown as { channel_client(): string })
      .channel_client()
      .slice(channel.length + 1);
    await run(SCRIPTS.init);
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
  const runJob = async <T>(member: string, task: (slot: Slot) => Promise<T>): Promise<T | typeof DEFER> => {
    let verdict: [string, number];
    try {
      verdict = (await run(SCRIPTS.claim, [member, Date.now(), pausedUntilMs])) as [string, number];
    } catch (error) {
      // Nothing is sent. Whether the claim went through is unknown: give the unit back in case it did not (if
      // it did, the slot check and the reservoir's cap at the next refill take the extra unit off again).
      await run(SCRIPTS.giveBack).catch(report);
      throw error;
    }
    if (verdict[0] === 'paused') pausedUntilMs = Math.max(pausedUntilMs, Number(verdict[1]));
    if (verdict[0] !== 'ok') return DEFER;
    let givenBack: Promise<unknown> | undefined;
    try {
      return await task({
        unused() {
          givenBack ??= run(SCRIPTS.unused, [member]).catch(report);
        },
      });
    } finally {
      await givenBack;
    }
  };

  const schedule = async <T>(priority: Priority, task: (slot: Slot) => Promise<T>): Promise<T> => {
    await Promise.race([init, stopSignal]);
    for (;;) {
      if (stopped) throw new Error('the limiter is stopped');
      if (Date.now() < pausedUntilMs) await waitOutPause();
      const member = randomUUID();
      const job = bottleneck.schedule({ priority, id: member }, () => runJob(member, task));
      jobs.add(job);
      try {
        const result = await job;
        if (result !== DEFER) return result as T;
      } finally {
        jobs.delete(job);
      }
    }
  };
  const waitOutPause = async () => {
    deferred += 1;
    try {
      await sleep(pausedUntilMs - Date.now());
    } finally {
      deferred -= 1;
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
    // IORedisConnection opened the subscriber (a duplicate of the client) and does not say so in its typings.
    const { subscriber } = connection as unknown as { subscriber?: Redis };
    await closeAll(ownsClient ? [client, subscriber] : [subscriber]);
  };

  return {
    schedule,
    ready: async () => {
      await init;
    },
    pauseUntil(untilMs) {
      pausedUntilMs = Math.max(pausedUntilMs, untilMs);
      const ttlMs = Math.max(1, Math.ceil(untilMs - Date.now())) + 1_000;
      void init.then(() => run(SCRIPTS.pause, [Math.ceil(untilMs), ttlMs])).catch(report);
    },
    stats(): LimiterStats {
      const counts = bottleneck.counts();
      return {
        queued: (counts.RECEIVED ?? 0) + (counts.QUEUED ?? 0) + deferred,
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
