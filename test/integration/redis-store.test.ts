import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/core/audit.ts';
import type { CampaignActionRequest, DecideResult, RequestStore } from '../../src/core/store.ts';
import { createRedisAuditTrail } from '../../src/stores/audit-trail.ts';
import { createMemoryStore } from '../../src/stores/memory-store.ts';
import { createRedisStore } from '../../src/stores/redis-store.ts';
import { openSqlite, type Sqlite } from '../../src/stores/sqlite.ts';
import { createSqliteStore } from '../../src/stores/sqlite-store.ts';
import { CHANNEL, hasButtons, messageText, startHarness } from '../support/bot-harness.ts';
import { cleanup, connectRedis, uniquePrefix } from '../support/redis.ts';

const MINUTE = 60_000;

// Connections and prefixes this file opened, closed and deleted in afterAll whatever happens.
const connections: Redis[] = [];
const prefixes: string[] = [];

function connect(): Redis {
  const r = connectRedis();
  connections.push(r);
  return r;
}

function prefix(name: string): string {
  const p = uniquePrefix(name);
  prefixes.push(p);
  return p;
}

const redis = connect();

/**
 * Run before every Redis-backed test, not once in beforeAll: a failed beforeAll marks the tests skipped, and
 * CI must see them fail when Redis does not answer.
 */
async function redisAnswers() {
  expect(await redis.ping()).toBe('PONG');
}

afterAll(async () => {
  try {
    if (redis.status === 'ready') for (const p of prefixes) await cleanup(redis, p);
  } finally {
    await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
});

function request(overrides: Partial<CampaignActionRequest> = {}): CampaignActionRequest {
  const createdAt = Date.now();
  return {
    id: randomUUID(),
    action: 'PAUSE',
    campaignIds: ['camp_001', 'camp_002'],
    reason: 'INC-1 test',
    requestedBy: 'UALICE',
    channelId: CHANNEL,
    source: 'slash_command',
    grants: [{ rule: 'oncall', needed: 1, requesterMayApprove: true }],
    approvals: [],
    createdAt,
    expiresAt: createdAt + 5 * MINUTE,
    messageTs: undefined,
    state: 'pending',
    decidedBy: undefined,
    decidedAt: undefined,
    ...overrides,
  };
}

interface StoreKind {
  name: string;
  /** A store, and `n` replicas sharing its data (for Redis, each on its own connection). */
  make(options?: { retainMs?: number; now?: () => number }): Promise<{
    store: RequestStore;
    replicas(n: number): RequestStore[];
    /** Redis: the key prefix. */
    prefix?: string;
  }>;
}

// SQLite files this file made, removed in afterAll.
const sqliteDir = mkdtempSync(join(tmpdir(), 'campaign-bot-store-'));
const sqlites: Sqlite[] = [];
afterAll(() => {
  for (const s of sqlites) s.close();
  rmSync(sqliteDir, { recursive: true, force: true });
});

const kinds: StoreKind[] = [
  {
    name: 'sqlite',
    async make(options = {}) {
      const path = join(sqliteDir, `${randomUUID()}.sqlite`);
      const open = () => {
        const s = openSqlite(path);
        sqlites.push(s);
        return createSqliteStore(s, options);
      };
      // Replicas are separate connections to one file, as separate processes would be.
      return { store: open(), replicas: (n) => Array.from({ length: n }, open) };
    },
  },
  {
    name: 'memory',
    async make(options = {}) {
      const store = createMemoryStore(options);
      return { store, replicas: (n) => Array.from({ length: n }, () => store) };
    },
  },
  {
    name: 'redis',
    async make(options = {}) {
      await redisAnswers();
      const keyPrefix = prefix('store');
      return {
        prefix: keyPrefix,
        store: createRedisStore({ redis, keyPrefix, ...options }),
        replicas: (n) =>
          Array.from({ length: n }, () => createRedisStore({ redis: connect(), keyPrefix, ...options })),
      };
    },
  },
];

describe.each(kinds)('$name request store', (kind) => {
  let store: RequestStore;
  let replicas: (n: number) => RequestStore[];
  beforeEach(async () => {
    ({ store, replicas } = await kind.make());
  });

  it('gives back exactly what was created, and undefined for an unknown id', async () => {
    const r = request({ campaignIds: ['camp_ü/"x"', 'once_001'] });
    await store.create(r);
    expect(await store.get(r.id)).toStrictEqual(r);
    expect(await store.get(randomUUID())).toBeUndefined();
  });

  it('keeps the shape through a decision, even an empty campaign list', async () => {
    const r = request({ campaignIds: [] });
    await store.create(r);
    const at = Date.now();
    await store.decide(r.id, 'cancelled', 'system', at);
    const expected = { ...r, state: 'cancelled', decidedBy: 'system', decidedAt: at };
    expect(await store.get(r.id)).toStrictEqual(expected);
  });

  it('refuses to create an id twice and keeps the first', async () => {
    const r = request();
    await store.create(r);
    await expect(store.create({ ...r, requestedBy: 'UEVE' })).rejects.toThrow(/already exists/);
    expect((await store.get(r.id))?.requestedBy).toBe('UALICE');
  });

  it('confirms once; later decisions are told who decided', async () => {
    const r = request();
    await store.create(r);
    const at = r.createdAt + 1_000;
    const first = await store.decide(r.id, 'confirmed', 'UBOB', at);
    expect(first).toStrictEqual({
      ok: true,
      request: { ...r, state: 'confirmed', decidedBy: 'UBOB', decidedAt: at },
    });
    for (const to of ['confirmed', 'cancelled', 'expired'] as const) {
      const again = await store.decide(r.id, to, 'UCAROL', r.expiresAt + 1);
      expect(again).toMatchObject({ ok: false, reason: 'already_decided' });
      expect(again.ok === false && again.reason !== 'not_found' && again.request).toMatchObject({
        state: 'confirmed',
        decidedBy: 'UBOB',
        decidedAt: at,
      });
    }
    expect(await store.get(r.id)).toMatchObject({ state: 'confirmed', decidedBy: 'UBOB' });
  });

  it('says not_found for an unknown id', async () => {
    expect(await store.decide(randomUUID(), 'confirmed', 'UBOB', Date.now())).toEqual({
      ok: false,
      reason: 'not_found',
    });
  });

  it('refuses confirm and cancel from expiresAt on, and expire before it', async () => {
    const r = request();
    await store.create(r);
    for (const at of [r.expiresAt, r.expiresAt + 1]) {
      for (const to of ['confirmed', 'cancelled'] as const) {
        expect(await store.decide(r.id, to, 'UBOB', at)).toStrictEqual({
          ok: false,
          reason: 'expired',
          request: r,
        });
      }
    }
    expect(await store.decide(r.id, 'expired', 'system', r.expiresAt - 1)).toStrictEqual({
      ok: false,
      reason: 'not_due',
      request: r,
    });
    expect(await store.decide(r.id, 'confirmed', 'UBOB', r.expiresAt - 1)).toMatchObject({ ok: true });
  });

  it('expires at exactly expiresAt; a late click is then already_decided', async () => {
    const r = request();
    await store.create(r);
    expect(await store.decide(r.id, 'expired', 'system', r.expiresAt)).toMatchObject({
      ok: true,
      request: { state: 'expired', decidedBy: 'system' },
    });
    expect(await store.decide(r.id, 'confirmed', 'UBOB', r.expiresAt + 10)).toMatchObject({
      ok: false,
      reason: 'already_decided',
      request: { state: 'expired' },
    });
  });

  it('lists only pending requests whose time is up, and drops them once expired', async () => {
    const t = Date.now();
    const soon = request({ expiresAt: t + 1_000 });
    const later = request({ expiresAt: t + 5_000 });
    const confirmed = request({ expiresAt: t + 1_000 });
    for (const r of [soon, later, confirmed]) await store.create(r);
    await store.decide(confirmed.id, 'confirmed', 'UBOB', t);
    await store.setMessageTs(soon.id, '1700000000.000100');

    expect(await store.dueForExpiry(t + 999)).toEqual([]);
    expect(await store.dueForExpiry(t + 1_000)).toStrictEqual([{ ...soon, messageTs: '1700000000.000100' }]);
    expect(await store.decide(soon.id, 'expired', 'system', t + 1_000)).toMatchObject({ ok: true });
    expect(await store.dueForExpiry(t + 1_000)).toEqual([]);
    expect((await store.dueForExpiry(t + 10_000)).map((r) => r.id)).toEqual([later.id]);
  });

  it('reads what is due a page at a time, soonest first, ties by id', async () => {
    const t = Date.now();
    const due = [3, 1, 2, 2, 5].map((s, i) =>
      request({ id: `req-${String.fromCharCode(104 - i)}-${randomUUID()}`, expiresAt: t + s * 1_000 }),
    );
    for (const r of due) await store.create(r);
    await store.create(request({ expiresAt: t + 60_000 }));
    const order = [...due]
      .sort((a, b) => a.expiresAt - b.expiresAt || (a.id < b.id ? -1 : 1))
      .map((r) => r.id);

    const ids = async (page?: { limit: number; offset?: number }) =>
      (await store.dueForExpiry(t + 10_000, page)).map((r) => r.id);
    expect(await ids()).toEqual(order);
    expect(await ids({ limit: 2 })).toEqual(order.slice(0, 2));
    expect(await ids({ limit: 2, offset: 2 })).toEqual(order.slice(2, 4));
    expect(await ids({ limit: 2, offset: 4 })).toEqual(order.slice(4));
    expect(await ids({ limit: 2, offset: 6 })).toEqual([]);
  });

  it('sets the message ts without touching the decision, and ignores an unknown id', async () => {
    const r = request();
    await store.create(r);
    await store.setMessageTs(r.id, '1700000000.000200');
    expect(await store.get(r.id)).toStrictEqual({ ...r, messageTs: '1700000000.000200' });
    await store.decide(r.id, 'confirmed', 'UBOB', r.createdAt);
    await store.setMessageTs(r.id, '1700000000.000300');
    expect(await store.get(r.id)).toMatchObject({
      state: 'confirmed',
      decidedBy: 'UBOB',
      messageTs: '1700000000.000300',
    });
    const unknown = randomUUID();
    await store.setMessageTs(unknown, '1700000000.000400');
    expect(await store.get(unknown)).toBeUndefined();
  });

  it('forgets a decided request retainMs after its time', async () => {
    let clock = Date.now();
    ({ store } = await kind.make({ retainMs: 100, now: () => clock }));
    const r = request({ createdAt: clock, expiresAt: clock + 50 });
    await store.create(r);
    expect(await store.decide(r.id, 'expired', 'system', r.expiresAt)).toMatchObject({ ok: true });
    expect(await store.get(r.id)).toBeDefined();
    await sleep(250); // Redis expires the key in real time; the memory store prunes by its clock.
    clock += 250;
    await store.create(request());
    expect(await store.get(r.id)).toBeUndefined();
    // The id is free again, as it is once pruned from memory.
    await store.create(r);
  });

  it('lets exactly one of 50 concurrent confirms from five replicas win, ten times over', async () => {
    const stores = replicas(5);
    for (let round = 0; round < 10; round++) {
      const r = request();
      await store.create(r);
      const at = Date.now();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (stores[i % 5] as RequestStore).decide(r.id, 'confirmed', `UCLICK${i}`, at),
        ),
      );
      const winners = results.filter((x): x is Extract<DecideResult, { ok: true }> => x.ok);
      expect(winners).toHaveLength(1);
      const winner = winners[0]?.request.decidedBy;
      expect(winner).toMatch(/^UCLICK\d+$/);
      for (const loser of results.filter((x) => !x.ok)) {
        expect(loser).toMatchObject({
          reason: 'already_decided',
          request: { state: 'confirmed', decidedBy: winner },
        });
      }
      expect(await store.get(r.id)).toMatchObject({ state: 'confirmed', decidedBy: winner });
      expect(await store.dueForExpiry(r.expiresAt + 1)).toEqual([]);
    }
  });

  it('confirms a 2-of-2 request on the second distinct approval, and counts an approver once', async () => {
    const r = request({ grants: [{ rule: 'leads', needed: 2, requesterMayApprove: false }] });
    await store.create(r);
    const at = Date.now();
    const first = await store.approve(r.id, { by: 'ULEAD1', at, rules: ['leads'] });
    expect(first).toMatchObject({
      ok: true,
      confirmed: false,
      request: { state: 'pending', approvals: [{ by: 'ULEAD1', rules: ['leads'] }] },
    });
    expect(await store.approve(r.id, { by: 'ULEAD1', at, rules: ['leads'] })).toMatchObject({
      ok: false,
      reason: 'already_approved',
    });
    // An approval that counts for another rule only does not complete this one.
    expect(await store.approve(r.id, { by: 'UOTHER', at, rules: ['elsewhere'] })).toMatchObject({
      ok: true,
      confirmed: false,
    });
    const second = await store.approve(r.id, { by: 'ULEAD2', at, rules: ['leads'] });
    expect(second).toMatchObject({
      ok: true,
      confirmed: true,
      request: { state: 'confirmed', decidedBy: 'ULEAD2' },
    });
    expect(await store.approve(r.id, { by: 'ULEAD3', at, rules: ['leads'] })).toMatchObject({
      ok: false,
      reason: 'already_decided',
    });
    expect(await store.approve(r.id, { by: 'ULEAD3', at: r.expiresAt, rules: ['leads'] })).toMatchObject({
      ok: false,
    });
    expect(await store.dueForExpiry(r.expiresAt + 1)).toEqual([]);
  });

  it('confirms a 2-of-2 request exactly once when approvers click at once on five replicas, ten times over', async () => {
    const stores = replicas(5);
    for (let round = 0; round < 10; round++) {
      const r = request({ grants: [{ rule: 'leads', needed: 2, requesterMayApprove: false }] });
      await store.create(r);
      const at = Date.now();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (stores[i % 5] as RequestStore).approve(r.id, { by: `ULEAD${i % 4}`, at, rules: ['leads'] }),
        ),
      );
      const confirming = results.filter((x) => x.ok && x.confirmed);
      expect(confirming).toHaveLength(1);
      expect(results.filter((x) => x.ok && !x.confirmed)).toHaveLength(1);
      const final = await store.get(r.id);
      expect(final?.approvals).toHaveLength(2);
      expect(final?.state).toBe('confirmed');
    }
  });

  it('refuses an approval once expiresAt has passed', async () => {
    const r = request();
    await store.create(r);
    expect(await store.approve(r.id, { by: 'UBOB', at: r.expiresAt, rules: ['oncall'] })).toMatchObject({
      ok: false,
      reason: 'expired',
    });
    expect(await store.approve('nope', { by: 'UBOB', at: r.createdAt, rules: ['oncall'] })).toEqual({
      ok: false,
      reason: 'not_found',
    });
  });

  it('never loses a decision to a concurrent setMessageTs', async () => {
    const [a, b] = replicas(2) as [RequestStore, RequestStore];
    for (let round = 0; round < 20; round++) {
      const r = request();
      await store.create(r);
      await Promise.all([
        a.setMessageTs(r.id, `1700000000.${round}`),
        b.decide(r.id, 'confirmed', 'UBOB', r.createdAt),
        a.setMessageTs(r.id, `1700000000.${round}`),
      ]);
      expect(await store.get(r.id)).toMatchObject({
        state: 'confirmed',
        decidedBy: 'UBOB',
        messageTs: `1700000000.${round}`,
      });
    }
  });

  it('lets one request at a time hold a key, across replicas, and only its holder let go', async () => {
    const [a, b, c] = replicas(3) as [RequestStore, RequestStore, RequestStore];
    const key = `freeze:all:${randomUUID()}`;
    const answers = await Promise.all([a.hold(key, 'r-a'), b.hold(key, 'r-b'), c.hold(key, 'r-c')]);
    const winners = answers.filter((x) => x === undefined);
    expect(winners).toHaveLength(1);
    const holder = ['r-a', 'r-b', 'r-c'][answers.indexOf(undefined)] as string;
    expect(answers.filter((x) => x !== undefined)).toEqual([holder, holder]);
    expect((await store.holders()).get(key)).toBe(holder);
    expect(await b.release(key, 'someone-else')).toBe(false);
    expect(await store.hold(key, 'r-d')).toBe(holder);
    expect(await c.release(key, holder)).toBe(true);
    expect((await store.holders()).has(key)).toBe(false);
    expect(await store.hold(key, 'r-d')).toBeUndefined();
    expect((await a.holders()).get(key)).toBe('r-d');
  });

  it('keeps a freeze that paused something far past the retention, and an ordinary request only that long', async () => {
    let t = Date.now();
    const made = await kind.make({ retainMs: 60_000, now: () => t });
    const freeze = request({ expiresAt: t, createdAt: t - 1_000 });
    const plain = request({ expiresAt: t, createdAt: t - 1_000 });
    for (const r of [freeze, plain]) {
      await made.store.create(r);
      await made.store.decide(r.id, 'confirmed', 'UBOB', r.createdAt);
      await made.store.update(r.id, (x) => ({
        next: {
          ...x,
          ...(x.id === freeze.id ? { freeze: { scope: { kind: 'all' as const } } } : {}),
          result: {
            applied: 1,
            failed: 0,
            completedAt: t,
            outcomes: [{ campaignId: 'camp_001', status: 'applied' }],
          },
        },
        value: true,
      }));
    }
    if (kind.name === 'redis') {
      // Redis keeps it by its TTL: a year and the retention.
      expect(await redis.pttl(`${made.prefix ?? ''}req:${freeze.id}`)).toBeGreaterThan(300 * 86_400_000);
      return;
    }
    t += 2 * 86_400_000;
    await made.store.create(request());
    expect(await made.store.get(freeze.id)).toBeDefined();
    expect(await made.store.get(plain.id)).toBeUndefined();
  });

  it('lists a finished PAUSE for a while as due from its reminder time, not before', async () => {
    const r = request();
    await store.create(r);
    await store.decide(r.id, 'confirmed', 'UBOB', r.createdAt);
    const at = r.createdAt;
    await store.update(r.id, (x) => ({
      next: {
        ...x,
        pauseFor: { ms: 3_600_000, text: 'for 1h' },
        result: {
          applied: 1,
          failed: 0,
          completedAt: at,
          outcomes: [{ campaignId: 'camp_001', status: 'applied' }],
        },
      },
      value: true,
    }));
    expect(await store.runsDue(at + 3_600_000 - 600_001)).not.toContain(r.id);
    expect(await store.runsDue(at + 3_600_000 - 600_000)).toContain(r.id);
  });
});

describe('Redis request store, Redis specifics', () => {
  it('answers ok to a re-sent winning decide (ioredis re-sends commands whose reply a reconnect lost)', async () => {
    await redisAnswers();
    const keyPrefix = prefix('claim');
    const store = createRedisStore({ redis, keyPrefix });
    const r = request();
    await store.create(r);
    type Decide = (...args: (string | number)[]) => Promise<string[]>;
    const decide = (redis as unknown as { campaignRequestDecide: Decide }).campaignRequestDecide.bind(redis);
    const args = [
      `${keyPrefix}req:${r.id}`,
      `${keyPrefix}pending`,
      `${keyPrefix}runs`,
      'confirmed',
      'UBOB',
      Date.now(),
      r.id,
    ];
    expect((await decide(...args, 'claim-1'))[0]).toBe('ok');
    // The same call again — what a re-send after a lost reply is — still hears it won.
    expect((await decide(...args, 'claim-1'))[0]).toBe('ok');
    expect((await decide(...args, 'claim-2'))[0]).toBe('already_decided');
    expect(await store.get(r.id)).not.toHaveProperty('claim');
  });

  beforeEach(redisAnswers);

  it('keeps the audit trail in a capped stream under the prefix, oldest first', async () => {
    const keyPrefix = prefix('audit');
    const trail = createRedisAuditTrail(redis, keyPrefix, { maxLength: 1_000 });
    const event: AuditEvent = {
      event: 'expired',
      requestId: 'r1',
      action: 'PAUSE',
      channel: CHANNEL,
      requestedBy: 'UALICE',
      onBehalfOf: undefined,
      campaignIds: ['a'],
      reason: undefined,
      source: 'test',
    };
    await trail.append(event, 1);
    await trail.append({ ...event, requestId: 'r2' }, 2);
    expect(await trail.recent(10)).toMatchObject([
      { requestId: 'r1', at: 1 },
      { requestId: 'r2', at: 2 },
    ]);
    expect(await redis.type(`${keyPrefix}audit`)).toBe('stream');
  });

  it('puts every key under the prefix: the request and the pending index', async () => {
    const keyPrefix = prefix('keys');
    const store = createRedisStore({ redis, keyPrefix });
    const r = request();
    await store.create(r);
    expect((await redis.keys(`${keyPrefix}*`)).sort()).toEqual([
      `${keyPrefix}pending`,
      `${keyPrefix}req:${r.id}`,
    ]);
    expect(await redis.zscore(`${keyPrefix}pending`, r.id)).toBe(String(r.expiresAt));
    await store.decide(r.id, 'confirmed', 'UBOB', r.createdAt);
    expect(await redis.zscore(`${keyPrefix}pending`, r.id)).toBeNull();
  });

  it('sets a TTL of expiresAt - now + retainMs and keeps it through decide and setMessageTs', async () => {
    const keyPrefix = prefix('ttl');
    const retainMs = 3_600_000;
    const store = createRedisStore({ redis, keyPrefix, retainMs });
    const r = request({ expiresAt: Date.now() + 10 * MINUTE });
    const expected = r.expiresAt - Date.now() + retainMs;
    await store.create(r);
    const key = `${keyPrefix}req:${r.id}`;
    const near = async () => {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(expected - 5_000);
      expect(ttl).toBeLessThanOrEqual(expected);
    };
    await near();
    await store.setMessageTs(r.id, '1700000000.000500');
    await near();
    await store.decide(r.id, 'confirmed', 'UBOB', r.createdAt);
    await near();
  });

  it('keeps a request created already past its time for retainMs, so it can still be told expired', async () => {
    const keyPrefix = prefix('late');
    const store = createRedisStore({ redis, keyPrefix, retainMs: MINUTE });
    const r = request({ expiresAt: Date.now() - 10 * MINUTE });
    await store.create(r);
    const ttl = await redis.pttl(`${keyPrefix}req:${r.id}`);
    expect(ttl).toBeGreaterThan(MINUTE - 5_000);
    expect(await store.decide(r.id, 'confirmed', 'UBOB', Date.now())).toMatchObject({ reason: 'expired' });
  });

  it('drops from the pending index a request whose key has vanished', async () => {
    const keyPrefix = prefix('vanished');
    const store = createRedisStore({ redis, keyPrefix });
    const r = request();
    await store.create(r);
    await redis.del(`${keyPrefix}req:${r.id}`);
    expect(await store.dueForExpiry(r.expiresAt)).toEqual([]);
    expect(await redis.zcard(`${keyPrefix}pending`)).toBe(0);
  });

  it('really races five separate connections', async () => {
    const conns = Array.from({ length: 5 }, () => connect());
    const ids = await Promise.all(conns.map((c) => c.client('ID')));
    expect(new Set(ids).size).toBe(5);
  });
});

describe('the bot on the Redis store', () => {
  beforeEach(redisAnswers);

  it('pauses campaigns end to end: command, teammate confirms, results in the thread', async () => {
    const keyPrefix = prefix('bot');
    const store = createRedisStore({ redis, keyPrefix });
    const h = await startHarness({}, { store });
    try {
      await h.command('UALICE', 'pause camp_001 camp_002');
      const message = await h.latestMessage();
      expect(hasButtons(message)).toBe(true);

      await h.click('UBOB', message, 'campaign_confirm');
      const [reply] = await h.slack.waitFor(() => {
        const t = h.slack.thread(CHANNEL, message.ts);
        return t.length > 0 && t;
      });
      expect(messageText(reply as never)).toContain('2 paused');
      await h.slack.waitFor(() => {
        const m = h.slack.message(CHANNEL, message.ts);
        return m && m.versions.length >= 3 && m;
      });
      expect(h.moengage.campaign('camp_001')?.status).toBe('PAUSED');
      expect(h.auditEvents().map((e) => e.event)).toEqual([
        'requested',
        'approved',
        'confirmed',
        'executed',
        'completed',
      ]);

      const [key] = await redis.keys(`${keyPrefix}req:*`);
      const stored = await store.get(String(key).slice(`${keyPrefix}req:`.length));
      expect(stored).toMatchObject({
        state: 'confirmed',
        decidedBy: 'UBOB',
        requestedBy: 'UALICE',
        messageTs: message.ts,
        campaignIds: ['camp_001', 'camp_002'],
      });
      expect(h.slack.unexpected).toEqual([]);
    } finally {
      await h.stop();
    }
  });
});
