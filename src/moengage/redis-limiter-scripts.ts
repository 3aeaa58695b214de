import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RateLimits } from './limiter.ts';

// The Lua scripts of the Redis-shared limiter (redis-limiter.ts) and typed calls to them: each runs as one
// atomic step on Redis, which is what lets every replica share the windows, the slots and the pause.

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
-- A stored pause is believed for MoEngage's longest window (an hour) at most, whoever wrote it.
local stored = math.min(tonumber(redis.call('GET', KEYS[5]) or '0') or 0, tonumber(ARGV[7]) + 3600000)
local paused = math.max(stored, tonumber(ARGV[8]))
if paused > tonumber(ARGV[7]) then
  give_back()
  return {'paused', paused}
end
local now = now_ms()
-- One order for every replica: a RESUME (priority 5 and up) yields while a PAUSE or STOP waits anywhere.
if tonumber(ARGV[10]) >= 5 and redis.call('ZCOUNT', KEYS[12], '(' .. int(now), '+inf') > 0 then
  give_back()
  return {'yield', 0}
end
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
-- In flight, the slot counts as if answered at its deadline (ARGV[9]): a request may arrive at MoEngage any time
-- before its answer. ANSWERED moves it to one window after the real answer.
redis.call('ZADD', KEYS[2], int(now + tonumber(ARGV[9]) + hold), ARGV[6])
return {'ok', now}`;

// The answer came (or the send failed): the slot is due one window after now, not after its deadline. A slot
// already gone (given back, or popped as due) is left alone. ARGV[6] member
const ANSWERED = `
local _, _, window_ms, margin_ms = config()
redis.call('ZADD', KEYS[2], 'XX', int(now_ms() + window_ms + margin_ms), ARGV[6])
return 1`;

// An urgent job (PAUSE, STOP) waits on some replica until ARGV[7] (refreshed while it waits). ARGV[6] member
const URGENT = `
if ARGV[7] == '0' then redis.call('ZREM', KEYS[12], ARGV[6]) else redis.call('ZADD', KEYS[12], ARGV[7], ARGV[6]) end
redis.call('ZREMRANGEBYSCORE', KEYS[12], '-inf', int(now_ms()))
return 1`;

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
  answered: script(ANSWERED),
  urgent: script(URGENT),
  unused: script(UNUSED),
  giveBack: script(GIVE_BACK),
  pause: script(PAUSE),
  tick: script(TICK),
};

export interface LimiterScriptsOptions {
  client: Redis;
  /** The limiter's id: our keys are `${id}:*`. */
  id: string;
  /** Bottleneck's channel for that id, also the prefix of its keys (b_<id>). */
  channel: string;
  limits: RateLimits;
  windowMs: number;
  marginMs: number;
}

/** One call per script, with its ARGV[6..] as parameters and its reply typed. */
export interface LimiterScripts {
  init(): Promise<unknown>;
  /** `ok` with Redis's time; `paused` with the shared pause; `full` or `busy`: the job is to be queued again. */
  claim(
    member: string,
    clientNowMs: number,
    localPausedUntilMs: number,
    inFlightMs: number,
    priority: number,
  ): Promise<[string, number]>;
  /** Marks an urgent job as waiting until `untilMs` (0: no longer waiting). */
  urgent(member: string, untilMs: number): Promise<unknown>;
  /** The slot's request was answered: it comes back one window from now. */
  answered(member: string): Promise<unknown>;
  unused(member: string): Promise<unknown>;
  giveBack(): Promise<unknown>;
  pause(untilMs: number, ttlMs: number): Promise<unknown>;
  /** Replies with the reservoir units added and the shared pause. */
  tick(clientId: string, leaving: boolean, replicaTimeoutMs: number): Promise<[number, number]>;
}

export function limiterScripts(options: LimiterScriptsOptions): LimiterScripts {
  const { client, id, channel, limits, windowMs, marginMs } = options;
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
    `${id}:urgent`,
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

  return {
    init: () => run(SCRIPTS.init),
    claim: (member, clientNowMs, localPausedUntilMs, inFlightMs, priority) =>
      run(SCRIPTS.claim, [member, clientNowMs, localPausedUntilMs, inFlightMs, priority]) as Promise<
        [string, number]
      >,
    urgent: (member, untilMs) => run(SCRIPTS.urgent, [member, untilMs]),
    answered: (member) => run(SCRIPTS.answered, [member]),
    unused: (member) => run(SCRIPTS.unused, [member]),
    giveBack: () => run(SCRIPTS.giveBack),
    pause: (untilMs, ttlMs) => run(SCRIPTS.pause, [untilMs, ttlMs]),
    tick: (clientId, leaving, replicaTimeoutMs) =>
      run(SCRIPTS.tick, [clientId, leaving ? '1' : '0', replicaTimeoutMs]) as Promise<[number, number]>,
  };
}
