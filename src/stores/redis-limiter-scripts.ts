import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RateLimits } from '../moengage/limiter.ts';

// The Lua scripts of the Redis-shared limiter (redis-limiter.ts) and typed calls to them: each runs as one
// atomic step on Redis, which is what lets every replica share one queue, the windows' slots and the pause.

/*
 * Every script gets the same KEYS and the same first four ARGV (perMinute, perSecond, windowMs, marginMs):
 *  1 slots: member -> due time (ms)       4 queue: member -> order score (one queue for every replica)
 *  2 config (the first replica's limits)  5 alive: member -> until when its replica vouches for it
 *  3 the shared pause (ms timestamp)      6 fairness: v:<priority> -> virtual time, fin:<priority> (a zset)
 * ARGV[5] is the wake-up channel. A queue member is `<seq, 16 digits>|<replica>|<uuid>`: ZSET ties sort by
 * member, so within one score the earlier arrival comes first, and the replica that may claim it is readable.
 * Times inside the scripts are Redis's own clock (TIME), so replicas with skewed clocks agree on them. Only the
 * pause compares with a replica's clock: it comes from that replica's view of a Retry-After.
 */
const PRELUDE = `
local function config()
  if redis.call('EXISTS', KEYS[2]) == 0 then
    redis.call('HSET', KEYS[2], 'perMinute', ARGV[1], 'perSecond', ARGV[2], 'windowMs', ARGV[3], 'marginMs', ARGV[4])
  end
  local c = redis.call('HMGET', KEYS[2], 'perMinute', 'perSecond', 'windowMs', 'marginMs')
  return tonumber(c[1]), tonumber(c[2]), tonumber(c[3]), tonumber(c[4])
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function int(n) return string.format('%d', n) end
local function wake() redis.call('PUBLISH', ARGV[5], '1') end
-- A member leaves the queue (started, withdrawn or pruned): once its requester has nothing queued at that
-- priority, the requester's turn is forgotten, so requests withdrawn or lost with a dead replica do not push
-- its next ones behind everyone else's.
local function forget(member)
  redis.call('ZREM', KEYS[4], member)
  redis.call('ZREM', KEYS[5], member)
  local who = redis.call('HGET', KEYS[6] .. ':who', member)
  if not who then return end
  redis.call('HDEL', KEYS[6] .. ':who', member)
  if redis.call('HINCRBY', KEYS[6] .. ':queued', who, -1) <= 0 then
    redis.call('HDEL', KEYS[6] .. ':queued', who)
    local bar = string.find(who, '|', 1, true)
    redis.call('ZREM', KEYS[6] .. ':fin:' .. string.sub(who, 1, bar - 1), string.sub(who, bar + 1))
  end
end
-- A waiter whose replica stopped vouching for it (that replica died) leaves the queue.
local function prune(now)
  local dead = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', int(now))
  if #dead == 0 then return 0 end
  for i = 1, #dead do forget(dead[i]) end
  return #dead
end
`;

/*
 * Queues one request: one order for all replicas, by priority, then by start tag (start-time fair queueing:
 * a requester's next request is tagged one after its previous one, and never before the tag last served, so
 * requesters with work queued take turns and a requester alone runs back to back), then by arrival.
 * ARGV[6..] replica, requester, priority, uuid, aliveMs. Replies with the member.
 */
const ENQUEUE = `
local now = now_ms()
local seq = redis.call('INCR', KEYS[6] .. ':seq')
local p = ARGV[8]
local fin = KEYS[6] .. ':fin:' .. p
local v = tonumber(redis.call('HGET', KEYS[6], 'v:' .. p) or '0')
redis.call('ZREMRANGEBYSCORE', fin, '-inf', '(' .. int(v))
local start = math.max(v, tonumber(redis.call('ZSCORE', fin, ARGV[7]) or '0'))
redis.call('ZADD', fin, int(start + 1), ARGV[7])
local member = string.format('%016d', seq) .. '|' .. ARGV[6] .. '|' .. ARGV[9]
redis.call('ZADD', KEYS[4], int(tonumber(p) * 1e13 + start), member)
redis.call('ZADD', KEYS[5], int(now + tonumber(ARGV[10])), member)
redis.call('HSET', KEYS[6] .. ':who', member, p .. '|' .. ARGV[7])
redis.call('HINCRBY', KEYS[6] .. ':queued', p .. '|' .. ARGV[7], 1)
return member`;

/*
 * Grants this replica's requests among the first \`free\` of the queue, free being what both windows have left
 * (a slot counts in the second window until a second after its answer, in the long one until windowMs +
 * marginMs after it; in flight, as if answered at its deadline, since a request may arrive at MoEngage any time
 * before its answer). A granted request's slot is recorded in flight. The reply says what to do next:
 *  {'ok', member...}    started these (there may be more to claim: claim again);
 *  {'wait', ms}         both windows are full for at least ms (or until an answer, which wakes everyone);
 *  {'behind', 0}        what is free belongs to requests of other replicas, now woken;
 *  {'paused', untilMs}  the shared pause.
 * ARGV[6..] replica, clientNowMs, localPausedUntilMs, inFlightMs, maxGrant, secondMarginMs
 */
const CLAIM = `
local per_minute, per_second, window_ms, margin_ms = config()
local hold = window_ms + margin_ms
local client_now = tonumber(ARGV[7])
-- A stored pause is believed for MoEngage's longest window (an hour) at most, whoever wrote it.
local stored = math.min(tonumber(redis.call('GET', KEYS[3]) or '0') or 0, client_now + 3600000)
local paused = math.max(stored, tonumber(ARGV[8]))
if paused > client_now then return {'paused', int(paused)} end
local now = now_ms()
if prune(now) > 0 then wake() end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', int(now))
local second_margin = tonumber(ARGV[11])
-- In the second window: answered less than 1 s + margin ago (due > now + hold - 1000 - margin), or in flight.
local second_from = now + hold - 1000 - second_margin
local used_second = redis.call('ZCOUNT', KEYS[1], '(' .. int(second_from), '+inf')
local used_minute = redis.call('ZCARD', KEYS[1])
local free = math.min(per_second - used_second, per_minute - used_minute)
if free <= 0 then
  local at = nil
  if used_minute >= per_minute then
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    at = tonumber(first[2])
  end
  if used_second >= per_second then
    local first = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. int(second_from), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
    local s = tonumber(first[2]) - hold + 1000 + second_margin
    if at == nil or s > at then at = s end
  end
  return {'wait', int(math.max(1, at - now))}
end
local top = redis.call('ZRANGE', KEYS[4], 0, free - 1, 'WITHSCORES')
local me = '|' .. ARGV[6] .. '|'
local max_grant = tonumber(ARGV[10])
local granted = {'ok'}
local others = false
for i = 1, #top, 2 do
  local member, score = top[i], tonumber(top[i + 1])
  if string.find(member, me, 17, true) == 17 and #granted - 1 < max_grant then
    forget(member)
    redis.call('ZADD', KEYS[1], int(now + tonumber(ARGV[9]) + hold), member)
    local p = math.floor(score / 1e13)
    local tag = score - p * 1e13
    local vkey = 'v:' .. int(p)
    if tag > tonumber(redis.call('HGET', KEYS[6], vkey) or '0') then redis.call('HSET', KEYS[6], vkey, int(tag)) end
    granted[#granted + 1] = member
  else
    others = true
  end
end
if others then wake() end
if #granted == 1 then return {'behind', 0} end
return granted`;

// The answer came (or the send failed): the slot is due one window after now, not after its deadline. A slot
// already gone (given back, or popped as due) is left alone. ARGV[6] member
const ANSWERED = `
local _, _, window_ms, margin_ms = config()
if redis.call('ZADD', KEYS[1], 'XX', 'CH', int(now_ms() + window_ms + margin_ms), ARGV[6]) == 1 then wake() end
return 1`;

// A slot its request did not use after all comes back at once. ARGV[6] member
const UNUSED = `
if redis.call('ZREM', KEYS[1], ARGV[6]) == 1 then wake() end
return 1`;

// This replica still vouches for its waiting requests; replies with those no longer queued (pruned while this
// replica was stalled), which it queues again. ARGV[6] aliveMs, ARGV[7..] members
const ALIVE = `
local until_ms = int(now_ms() + tonumber(ARGV[6]))
local lost = {}
for i = 7, #ARGV do
  if redis.call('ZSCORE', KEYS[4], ARGV[i]) then
    redis.call('ZADD', KEYS[5], until_ms, ARGV[i])
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return lost`;

// Requests withdrawn before they started (the replica stops). ARGV[6..] members
const LEAVE = `
for i = 6, #ARGV do forget(ARGV[i]) end
wake()
return 1`;

// ARGV[6..] untilMs, ttlMs
const PAUSE = `
if tonumber(ARGV[6]) > (tonumber(redis.call('GET', KEYS[3]) or '0') or 0) then
  redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7])
end
return 1`;

const READ_PAUSE = `
return tonumber(redis.call('GET', KEYS[3]) or '0') or 0`;

interface LuaScript {
  lua: string;
  sha: string;
}

function script(body: string): LuaScript {
  const lua = `${PRELUDE}\n${body}`;
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

// The slots a replica holds, written back after Redis lost them (a failover that dropped the last writes, a
// restart without persistence): each member with the time it still counts, from the replica's own record. NX: a
// slot Redis still has is left as it is. ARGV[6..] member, remaining ms, member, remaining ms, …
const RESEED = `
local now = now_ms()
local added = 0
for i = 6, #ARGV, 2 do
  added = added + redis.call('ZADD', KEYS[1], 'NX', int(now + tonumber(ARGV[i + 1])), ARGV[i])
end
return added`;

const SCRIPTS = {
  reseed: script(RESEED),
  enqueue: script(ENQUEUE),
  claim: script(CLAIM),
  answered: script(ANSWERED),
  unused: script(UNUSED),
  alive: script(ALIVE),
  leave: script(LEAVE),
  pause: script(PAUSE),
  readPause: script(READ_PAUSE),
};

export interface LimiterScriptsOptions {
  client: Redis;
  /** The limiter's id: the keys are `${id}:*`. */
  id: string;
  limits: RateLimits;
  windowMs: number;
  marginMs: number;
}

export type ClaimReply =
  | { kind: 'ok'; members: string[] }
  | { kind: 'wait'; ms: number }
  | { kind: 'behind' }
  | { kind: 'paused'; untilMs: number };

/** One call per script, with its ARGV[6..] as parameters and its reply typed. */
export interface LimiterScripts {
  /** The pub/sub channel every replica listens to: something changed that may let a queued request start. */
  channel: string;
  enqueue(replica: string, requester: string, priority: number, aliveMs: number): Promise<string>;
  claim(args: {
    replica: string;
    clientNowMs: number;
    localPausedUntilMs: number;
    inFlightMs: number;
    maxGrant: number;
    secondMarginMs: number;
  }): Promise<ClaimReply>;
  answered(member: string): Promise<unknown>;
  unused(member: string): Promise<unknown>;
  /** Writes back slots Redis lost; replies with how many it did not have. */
  reseed(slots: [member: string, remainingMs: number][]): Promise<number>;
  /** Refreshes the members' vouching; replies with the members no longer queued. */
  alive(members: string[], aliveMs: number): Promise<string[]>;
  leave(members: string[]): Promise<unknown>;
  pause(untilMs: number, ttlMs: number): Promise<unknown>;
  readPause(): Promise<number>;
}

export function limiterScripts(options: LimiterScriptsOptions): LimiterScripts {
  const { client, id, limits, windowMs, marginMs } = options;
  const keys = ['slots', 'config', 'paused-until', 'queue', 'alive', 'fair'].map((k) => `${id}:${k}`);
  const channel = `${id}:wake`;
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
    channel,
    enqueue: async (replica, requester, priority, aliveMs) =>
      String(await run(SCRIPTS.enqueue, [replica, requester, priority, randomUUID(), aliveMs])),
    claim: async (a) => {
      const reply = (await run(SCRIPTS.claim, [
        a.replica,
        a.clientNowMs,
        a.localPausedUntilMs,
        a.inFlightMs,
        a.maxGrant,
        a.secondMarginMs,
      ])) as string[];
      const [kind, ...rest] = reply;
      if (kind === 'ok') return { kind, members: rest };
      if (kind === 'wait') return { kind, ms: Number(rest[0]) };
      if (kind === 'paused') return { kind, untilMs: Number(rest[0]) };
      return { kind: 'behind' };
    },
    answered: (member) => run(SCRIPTS.answered, [member]),
    unused: (member) => run(SCRIPTS.unused, [member]),
    reseed: async (slots) => (slots.length === 0 ? 0 : Number(await run(SCRIPTS.reseed, slots.flat()))),
    alive: async (members, aliveMs) =>
      members.length === 0 ? [] : ((await run(SCRIPTS.alive, [aliveMs, ...members])) as string[]),
    leave: (members) => (members.length === 0 ? Promise.resolve() : run(SCRIPTS.leave, members)),
    pause: (untilMs, ttlMs) => run(SCRIPTS.pause, [untilMs, ttlMs]),
    readPause: async () => Number(await run(SCRIPTS.readPause)),
  };
}
