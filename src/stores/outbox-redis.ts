import type { Redis } from 'ioredis';
import type { Outbox, OutboxEntry } from '../core/outbox.ts';

/**
 * The outbox replicas share. Per queue (a request): a list of entries in order, a hash of its targets' ranks and
 * counters, and a lease key naming the replica sending it. One sorted set says when each queue is next due; a
 * claimed queue's score moves past its lease, so the scan of due queues never walks ones being sent. Every step
 * is one Lua script; the scripts build per-queue keys from the prefix, so one prefix lives on one Redis node (in
 * a cluster, a hash tag in the prefix), as the request store's do. The payload travels as a JSON string inside
 * the entry, untouched by Lua's cjson (which would turn an empty array into an object).
 */

// The merge rule of planEnqueue (core/outbox.ts), restated; the shared suite holds the two to one behaviour.
// KEYS list, meta, due, seq; ARGV id, now, ttl ms, entries (JSON: target?, rank?, payload string)…
const ENQUEUE = `
local list, meta, due = KEYS[1], KEYS[2], KEYS[3]
local id, now = ARGV[1], tonumber(ARGV[2])
for i = 4, #ARGV do
  local e = cjson.decode(ARGV[i])
  local keep = true
  if type(e.target) == 'string' then
    local rank = tonumber(e.rank) or 0
    local prev = redis.call('HGET', meta, 'rank:' .. e.target)
    if prev and tonumber(prev) > rank then
      keep = false
    else
      redis.call('HSET', meta, 'rank:' .. e.target, rank)
      for _, raw in ipairs(redis.call('LRANGE', list, 0, -1)) do
        if cjson.decode(raw).target == e.target then redis.call('LREM', list, 1, raw) end
      end
    end
  end
  if keep then
    e.seq = redis.call('INCR', KEYS[4])
    e.createdAt = now
    redis.call('RPUSH', list, cjson.encode(e))
  end
end
redis.call('PEXPIRE', meta, ARGV[3])
if redis.call('LLEN', list) > 0 then
  redis.call('PEXPIRE', list, ARGV[3])
  redis.call('ZADD', due, 'NX', now, id)
end
return 1`;

// KEYS due; ARGV now, max, lease ms, holder, lease key prefix, list key prefix
const CLAIM = `
local now, max, leaseMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, max * 4)) do
  if #out >= max then break end
  if redis.call('LLEN', ARGV[6] .. id) == 0 then
    redis.call('ZREM', KEYS[1], id)
  elseif redis.call('SET', ARGV[5] .. id, ARGV[4], 'PX', leaseMs, 'NX') then
    redis.call('ZADD', KEYS[1], 'XX', now + leaseMs, id)
    out[#out + 1] = id
  end
end
return out`;

// KEYS list, meta, lease, due; ARGV holder, seq, lease ms, dropped ('1'), id, now
const DONE = `
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
local seq = tonumber(ARGV[2])
local removed = 0
for _, raw in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if cjson.decode(raw).seq == seq then
    removed = redis.call('LREM', KEYS[1], 1, raw)
    break
  end
end
if removed > 0 and ARGV[4] == '1' then redis.call('HINCRBY', KEYS[2], 'dropped', 1) end
redis.call('HSET', KEYS[2], 'failures', 0)
redis.call('PEXPIRE', KEYS[3], ARGV[3])
if redis.call('LLEN', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[4], ARGV[5])
else
  redis.call('ZADD', KEYS[4], 'XX', tonumber(ARGV[6]) + tonumber(ARGV[3]), ARGV[5])
end
return 1`;

// KEYS lease, due; ARGV holder, lease ms, id, now
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'XX', tonumber(ARGV[4]) + tonumber(ARGV[2]), ARGV[3])
return 1`;

// KEYS lease, due, meta; ARGV holder, id, due at, failed ('1')
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if ARGV[4] == '1' then redis.call('HINCRBY', KEYS[3], 'failures', 1) end
redis.call('ZADD', KEYS[2], 'XX', ARGV[3], ARGV[2])
return 1`;

// KEYS due; ARGV list key prefix. Depth and the oldest entry over the first 10,000 queues.
const STATS = `
local depth, oldest = 0, false
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, 9999)) do
  local list = ARGV[1] .. id
  depth = depth + redis.call('LLEN', list)
  local head = redis.call('LINDEX', list, 0)
  if head then
    local at = tonumber(cjson.decode(head).createdAt)
    if at and (not oldest or at < oldest) then oldest = at end
  end
end
return {depth, oldest and tostring(oldest) or ''}`;

interface Scripts {
  outboxEnqueue(...args: (string | number)[]): Promise<number>;
  outboxClaim(due: string, ...args: (string | number)[]): Promise<string[]>;
  outboxDone(...args: (string | number)[]): Promise<number>;
  outboxRenew(...args: (string | number)[]): Promise<number>;
  outboxRelease(...args: (string | number)[]): Promise<number>;
  outboxStats(due: string, listPrefix: string): Promise<[number, string]>;
}

export function createRedisOutbox(options: {
  redis: Redis;
  keyPrefix: string;
  /** How long a queue's entries and ranks are kept after its last entry was queued (the drainer's age limit). */
  retainMs?: number;
  now?: () => number;
}): Outbox {
  const retainMs = options.retainMs ?? 25 * 3_600_000;
  const now = options.now ?? Date.now;
  const p = `${options.keyPrefix}outbox:`;
  const list = (id: string) => `${p}q:${id}`;
  const meta = (id: string) => `${p}m:${id}`;
  const lease = (id: string) => `${p}lease:${id}`;
  const due = `${p}due`;
  const redis = options.redis;
  redis.defineCommand('outboxEnqueue', { numberOfKeys: 4, lua: ENQUEUE });
  redis.defineCommand('outboxClaim', { numberOfKeys: 1, lua: CLAIM });
  redis.defineCommand('outboxDone', { numberOfKeys: 4, lua: DONE });
  redis.defineCommand('outboxRenew', { numberOfKeys: 2, lua: RENEW });
  redis.defineCommand('outboxRelease', { numberOfKeys: 3, lua: RELEASE });
  redis.defineCommand('outboxStats', { numberOfKeys: 1, lua: STATS });
  const scripts = redis as unknown as Scripts;

  return {
    async enqueue(id, entries) {
      const encoded = entries.map((e) =>
        JSON.stringify({
          ...(e.target === undefined ? {} : { target: e.target, rank: e.rank ?? 0 }),
          payload: JSON.stringify(e.payload),
        }),
      );
      await scripts.outboxEnqueue(list(id), meta(id), due, `${p}seq`, id, now(), retainMs, ...encoded);
    },
    async claim(holder, max, leaseMs) {
      return scripts.outboxClaim(due, now(), max, leaseMs, holder, `${p}lease:`, `${p}q:`);
    },
    async peek(id, limit) {
      const [raws, counts] = await Promise.all([
        redis.lrange(list(id), 0, limit - 1),
        redis.hmget(meta(id), 'dropped', 'failures'),
      ]);
      const entries = raws.map((raw): OutboxEntry => {
        const e = JSON.parse(raw) as {
          seq: number;
          createdAt: number;
          target?: string;
          rank?: number;
          payload: string;
        };
        return {
          seq: e.seq,
          createdAt: e.createdAt,
          payload: JSON.parse(e.payload),
          ...(typeof e.target === 'string' ? { target: e.target, rank: e.rank ?? 0 } : {}),
        };
      });
      return { entries, dropped: Number(counts[0] ?? 0), failures: Number(counts[1] ?? 0) };
    },
    async done(id, seq, holder, leaseMs, dropped = false) {
      const ok = await scripts.outboxDone(
        list(id),
        meta(id),
        lease(id),
        due,
        holder,
        seq,
        leaseMs,
        dropped ? '1' : '0',
        id,
        now(),
      );
      return ok === 1;
    },
    async renew(id, holder, leaseMs) {
      return (await scripts.outboxRenew(lease(id), due, holder, leaseMs, id, now())) === 1;
    },
    async release(id, holder, retryAt) {
      await scripts.outboxRelease(
        lease(id),
        due,
        meta(id),
        holder,
        id,
        retryAt ?? now(),
        retryAt === undefined ? '0' : '1',
      );
    },
    async stats() {
      const [depth, oldest] = await scripts.outboxStats(due, `${p}q:`);
      return { depth: Number(depth), oldestAt: oldest === '' ? undefined : Number(oldest) };
    },
  };
}
