import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keyedSerial } from '../core/serial.ts';
import {
  type ApproveResult,
  type DecideResult,
  keepUntilOf,
  type RequestStore,
  requestFromJson,
  runDueOf,
} from '../core/store.ts';

/**
 * The store several bot replicas share. Every read-modify-write is one Lua script, so Redis runs it without
 * interleaving: the first `decide` for a request wins on whichever replica it lands, every other one is told
 * who won. Requests are JSON strings that expire on their own `retainMs` after their `expiresAt`, long enough
 * for late clicks to get a precise answer. Scripts build the request keys from the prefix, so one prefix must
 * live on one Redis node: a cluster-mode endpoint is refused at start (see docs/operating.md, "Redis as operators run it").
 */

// KEYS[1] request, KEYS[2] pending index, KEYS[3] runs index; ARGV json, ttl ms, id, expiresAt, index?, run due
// ('' = none: a request created confirmed, a RESUME a PAUSE scheduled, is due at once)
const CREATE = `
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 0 end
if ARGV[5] == '1' then redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3]) end
if ARGV[6] ~= '' then redis.call('ZADD', KEYS[3], ARGV[6], ARGV[3]) end
return 1`;

// The rule of decideTransition, restated; the shared test suite holds the two to the same behaviour.
// KEYS[1] request, KEYS[2] pending index; ARGV to, by, now, id, claim (unique per call)
// The claim makes a re-sent call idempotent: ioredis re-sends commands whose reply was lost in a reconnect, and
// the winner's own re-send must hear 'ok', not 'already decided (by you)', or a confirmed request never runs.
const DECIDE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {'not_found'} end
local r = cjson.decode(raw)
local to, now = ARGV[1], tonumber(ARGV[3])
if r.state ~= 'pending' then
  if r.claim == ARGV[5] then return {'ok', raw} end
  return {'already_decided', raw}
end
local due = now >= r.expiresAt
if to == 'expired' and not due then return {'not_due', raw} end
if to ~= 'expired' and due then return {'expired', raw} end
r.state = to
r.decidedBy = ARGV[2]
r.decidedAt = now
r.claim = ARGV[5]
local out = cjson.encode(r)
redis.call('SET', KEYS[1], out, 'KEEPTTL')
redis.call('ZREM', KEYS[2], ARGV[4])
if to == 'confirmed' then redis.call('ZADD', KEYS[3], 0, ARGV[4]) end
return {'ok', out}`;

// The rule of approveTransition, restated. KEYS[1] request, KEYS[2] pending index; ARGV by, at, rules (JSON
// array), id, claim. A re-sent call (same claim) hears what the first one did.
const APPROVE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {'not_found'} end
local r = cjson.decode(raw)
local by, at, claim = ARGV[1], tonumber(ARGV[2]), ARGV[5]
if r.state ~= 'pending' then
  if r.claim == claim then return {'ok', raw, '1'} end
  return {'already_decided', raw}
end
if at >= r.expiresAt then return {'expired', raw} end
local approvals = r.approvals
if type(approvals) ~= 'table' then approvals = {} end
for _, a in ipairs(approvals) do
  if a.by == by then
    if a.claim == claim then return {'ok', raw, '0'} end
    return {'already_approved', raw}
  end
end
approvals[#approvals + 1] = { by = by, at = at, rules = cjson.decode(ARGV[3]), claim = claim }
r.approvals = approvals
-- Confirmed once one grant of each part (the request's own; a PAUSE for a while's RESUME) is satisfied.
local done = false
if type(r.grants) == 'table' then
  local parts = {}
  for _, g in ipairs(r.grants) do
    local part = g.part or 'own'
    if parts[part] == nil then parts[part] = false end
    local n = 0
    for _, a in ipairs(approvals) do
      if type(a.rules) == 'table' then
        for _, name in ipairs(a.rules) do
          if name == g.rule then n = n + 1 break end
        end
      end
    end
    if n >= g.needed then parts[part] = true end
  end
  done = next(parts) ~= nil
  for _, ok in pairs(parts) do
    if not ok then done = false end
  end
end
if done then
  r.state = 'confirmed'
  r.decidedBy = by
  r.decidedAt = at
  r.claim = claim
  redis.call('ZREM', KEYS[2], ARGV[4])
  redis.call('ZADD', KEYS[3], 0, ARGV[4])
end
local out = cjson.encode(r)
redis.call('SET', KEYS[1], out, 'KEEPTTL')
if done then return {'ok', out, '1'} end
return {'ok', out, '0'}`;

// Compare-and-set, the atomic step of update(): the new JSON replaces the stored one only if that is still what
// the caller read; else the caller re-reads and re-applies its pure step. Keeps the runs index in step.
// Work still due (a run, a scheduled RESUME) keeps the request at least that long: ARGV[5], its TTL then.
// KEYS[1] request, KEYS[2] runs index; ARGV expected, next, id, run due ('' = not a run to take over), keep ms
const REPLACE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {'not_found'} end
if raw ~= ARGV[1] then return {'conflict', raw} end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
if ARGV[5] ~= '' and redis.call('PTTL', KEYS[1]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
if ARGV[4] == '' then redis.call('ZREM', KEYS[2], ARGV[3]) else redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3]) end
return {'ok'}`;

// KEYS[1] pending index; ARGV now, request key prefix, offset, count (-1: all). Soonest first, ties by id (the
// sorted set's own order). Drops ids whose request has already vanished (TTL).
const DUE = `
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', ARGV[3], ARGV[4])) do
  local raw = redis.call('GET', ARGV[2] .. id)
  if raw then out[#out + 1] = raw else redis.call('ZREM', KEYS[1], id) end
end
return out`;

// KEYS[1] holds hash; ARGV key, request id. Compare-and-delete.
const RELEASE = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1`;

interface Scripts {
  campaignRequestRelease(holds: string, key: string, requestId: string): Promise<number>;
  campaignRequestCreate(
    key: string,
    pending: string,
    runs: string,
    json: string,
    ttlMs: number,
    id: string,
    expiresAt: number,
    index: '0' | '1',
    due: string,
  ): Promise<number>;
  campaignRequestDecide(
    key: string,
    pending: string,
    runs: string,
    to: string,
    by: string,
    now: number,
    id: string,
    claim: string,
  ): Promise<string[]>;
  campaignRequestApprove(
    key: string,
    pending: string,
    runs: string,
    by: string,
    at: number,
    rules: string,
    id: string,
    claim: string,
  ): Promise<string[]>;
  campaignRequestReplace(
    key: string,
    runs: string,
    expected: string,
    next: string,
    id: string,
    due: string,
    keepMs: string,
  ): Promise<string[]>;
  campaignRequestDue(
    pending: string,
    now: number,
    reqPrefix: string,
    offset: number,
    count: number,
  ): Promise<string[]>;
}

export function createRedisStore(options: {
  redis: Redis;
  keyPrefix: string;
  retainMs?: number;
  now?: () => number;
}): RequestStore {
  const retainMs = options.retainMs ?? 24 * 3_600_000;
  const now = options.now ?? Date.now;
  const reqPrefix = `${options.keyPrefix}req:`;
  const pending = `${options.keyPrefix}pending`;
  const runs = `${options.keyPrefix}runs`;
  const key = (id: string) => `${reqPrefix}${id}`;

  // defineCommand loads each script once per connection and sends EVALSHA, falling back to EVAL on NOSCRIPT.
  const redis = options.redis;
  redis.defineCommand('campaignRequestCreate', { numberOfKeys: 3, lua: CREATE });
  redis.defineCommand('campaignRequestDecide', { numberOfKeys: 3, lua: DECIDE });
  redis.defineCommand('campaignRequestApprove', { numberOfKeys: 3, lua: APPROVE });
  redis.defineCommand('campaignRequestReplace', { numberOfKeys: 2, lua: REPLACE });
  redis.defineCommand('campaignRequestDue', { numberOfKeys: 1, lua: DUE });
  redis.defineCommand('campaignRequestRelease', { numberOfKeys: 1, lua: RELEASE });
  const holds = `${options.keyPrefix}holds`;
  const scripts = redis as unknown as Scripts;

  const replace: RequestStore['update'] = async (id, step) => {
    // Optimistic: read, apply the pure step, replace only if nothing changed meanwhile; else again. Bounded:
    // a request is changed by a handful of writers at most (its runner, a takeover, a late click).
    for (let attempt = 0; attempt < 50; attempt++) {
      // Another replica wrote in between (a takeover, a renewal): a little jitter before reading again.
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 5 * attempt)));
      const raw = await redis.get(key(id));
      if (raw === null) return undefined;
      const current = requestFromJson(raw);
      const { next, value } = step(current);
      if (!next) return { value, request: current };
      const due = runDueOf(next);
      const keep = keepUntilOf(next);
      const [outcome] = await scripts.campaignRequestReplace(
        key(id),
        runs,
        raw,
        JSON.stringify(next),
        id,
        due === undefined ? '' : String(due),
        keep === undefined ? '' : String(Math.max(1, Math.ceil(keep - now() + retainMs))),
      );
      if (outcome === 'ok') return { value, request: next };
      if (outcome === 'not_found') return undefined;
    }
    throw new Error(`request ${id}: too many concurrent updates`);
  };

  // Updates of one request from this process go one after the other (a run's chunks record concurrently), so
  // the compare-and-set only ever races another replica, not this one's own writes.
  const inOrder = keyedSerial();
  const update: RequestStore['update'] = (id, step) => inOrder(id, () => replace(id, step));

  const hold = async (key: string, requestId: string): Promise<string | undefined> => {
    // HSETNX then HGET is not one step, but a holder is only ever replaced by release (compare-and-delete):
    // the HGET after a refused HSETNX reads the holder that refused it, or none if it let go meanwhile.
    for (;;) {
      if ((await redis.hsetnx(holds, key, requestId)) === 1) return undefined;
      const holder = await redis.hget(holds, key);
      if (holder !== null) return holder;
    }
  };

  return {
    async create(request) {
      // A request created already past its time is still kept retainMs, so it can be told 'expired'.
      const ttlMs = Math.max(1, Math.ceil(Math.max(0, request.expiresAt - now()) + retainMs));
      const index = request.state === 'pending' ? '1' : '0';
      const json = JSON.stringify(request);
      const due = runDueOf(request);
      const created = await scripts.campaignRequestCreate(
        key(request.id),
        pending,
        runs,
        json,
        ttlMs,
        request.id,
        request.expiresAt,
        index,
        due === undefined ? '' : String(due),
      );
      if (created !== 1) throw new Error(`request ${request.id} already exists`);
    },
    async get(id) {
      const raw = await redis.get(key(id));
      return raw === null ? undefined : requestFromJson(raw);
    },
    async setMessageTs(id, ts) {
      // The same compare-and-set as every other update: never writes back a stale 'pending' over a decision.
      await update(id, (r) => ({ next: { ...r, messageTs: ts }, value: undefined }));
    },
    async decide(id, to, by, at): Promise<DecideResult> {
      const claim = randomUUID();
      const [outcome, raw] = await scripts.campaignRequestDecide(
        key(id),
        pending,
        runs,
        to,
        by,
        at,
        id,
        claim,
      );
      if (outcome === 'not_found' || raw === undefined) return { ok: false, reason: 'not_found' };
      if (outcome === 'ok') return { ok: true, request: requestFromJson(raw) };
      if (outcome === 'already_decided' || outcome === 'expired' || outcome === 'not_due')
        return { ok: false, reason: outcome, request: requestFromJson(raw) };
      throw new Error(`unexpected decide outcome from Redis: ${outcome}`);
    },
    async approve(id, approval): Promise<ApproveResult> {
      const claim = randomUUID();
      const [outcome, raw, done] = await scripts.campaignRequestApprove(
        key(id),
        pending,
        runs,
        approval.by,
        approval.at,
        JSON.stringify(approval.rules),
        id,
        claim,
      );
      if (outcome === 'not_found' || raw === undefined) return { ok: false, reason: 'not_found' };
      if (outcome === 'ok') return { ok: true, request: requestFromJson(raw), confirmed: done === '1' };
      if (outcome === 'already_decided' || outcome === 'expired' || outcome === 'already_approved')
        return { ok: false, reason: outcome, request: requestFromJson(raw) };
      throw new Error(`unexpected approve outcome from Redis: ${outcome}`);
    },
    update,
    async runsDue(at) {
      return redis.zrangebyscore(runs, '-inf', at);
    },
    hold,
    async release(key, requestId) {
      return (await scripts.campaignRequestRelease(holds, key, requestId)) === 1;
    },
    async holders() {
      return new Map(Object.entries(await redis.hgetall(holds)));
    },
    async dueForExpiry(at, page) {
      const raws = await scripts.campaignRequestDue(
        pending,
        at,
        reqPrefix,
        page?.offset ?? 0,
        page?.limit ?? -1,
      );
      return raws.map(requestFromJson).filter((r) => r.state === 'pending');
    },
  };
}
