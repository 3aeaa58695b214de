import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../src/auth/authorize.ts';
import { parseAccessPolicy } from '../../src/auth/policy-file.ts';
import type { AuditEvent } from '../../src/core/audit.ts';
import type { CampaignExecutor } from '../../src/lifecycle/execution-deps.ts';
import { createLifecycle } from '../../src/lifecycle/lifecycle.ts';
import { type Notifier, NotifyError, type RequestChange } from '../../src/lifecycle/notifier.ts';
import type { StatusChangeReport } from '../../src/moengage/types.ts';
import { createMemoryStore } from '../../src/requests/memory-store.ts';
import type { RequestStore } from '../../src/requests/model.ts';

/** A fake that has only the methods given: any other call throws, so an unexpected step fails the test. */
function strict<T extends object>(name: string, methods: Partial<T>): T {
  return new Proxy(methods as T, {
    get(target, prop) {
      if (prop === 'then') return undefined;
      const value = (target as Record<PropertyKey, unknown>)[prop];
      if (value === undefined) throw new Error(`${name}.${String(prop)} was not expected`);
      return value;
    },
  });
}

const POLICY = `
rules:
  - name: oncall
    actions: [PAUSE, RESUME]
    requesters: [UALICE, UBOB]
    channels: [CINC]
  - name: two-leads
    actions: [STOP]
    requesters: [UALICE]
    approvers: [ULEAD1, ULEAD2, UALICE]
    approvals: 2
    channels: [CINC]
  - name: robot
    actions: [PAUSE]
    requesters: [token:robot]
    channels: [CINC]
    auto_execute: true
`;

function report(action: 'PAUSE' | 'STOP', ids: readonly string[]): StatusChangeReport {
  return {
    action,
    outcomes: ids.map((campaignId) => ({ campaignId, status: 'applied', requestId: 'r1', attempts: 1 })),
    applied: ids.length,
    failed: 0,
    requests: 1,
    sends: [],
    elapsedMs: 5,
  };
}

function setup(
  over: { notifier?: Partial<Notifier>; moengage?: Partial<CampaignExecutor>; store?: RequestStore } = {},
) {
  let t = Date.now();
  const events: AuditEvent[] = [];
  const changes: RequestChange['kind'][] = [];
  const runs: string[][] = [];
  const notifier = strict<Notifier>('notifier', {
    post: async () => '1700000000.000100',
    update: async (_r, change) => {
      changes.push(change.kind);
    },
    ...over.notifier,
  });
  const moengage = strict<CampaignExecutor>('moengage', {
    chunkSize: 10,
    changeCampaignStatus: async (action, ids) => {
      runs.push([...ids]);
      return report(action as 'PAUSE' | 'STOP', ids);
    },
    ...over.moengage,
  });
  const policy = parseAccessPolicy(POLICY, { groups: new Map(), tokenNames: new Set(['robot']) });
  const groups = strict<{ membersOf(id: string): Promise<ReadonlySet<string>> }>('groups', {});
  const store = over.store ?? createMemoryStore({ now: () => t });
  const lifecycle = createLifecycle({
    store,
    moengage,
    notifier,
    authorize: createAuthorizer(policy, groups),
    groups: new Map(),
    proposalRules: { maxIds: 100 },
    ttlMs: 60_000,
    logger: pino({ level: 'silent' }),
    observe: (e) => events.push(e),
    now: () => t,
  });
  const propose = (actor: string, action: string, ids = ['c1', 'c2']) =>
    lifecycle.propose({
      actor: actor.startsWith('token:')
        ? { kind: 'token', name: actor.slice(6) }
        : { kind: 'user', id: actor },
      action,
      ids,
      reason: undefined,
      channelId: 'CINC',
      source: 'test',
    });
  const user = (id: string) => ({ kind: 'user', id }) as const;
  return { lifecycle, propose, user, events, changes, runs, store, advance: (ms: number) => (t += ms) };
}

describe('the lifecycle, with fakes that fail on any unexpected call', () => {
  it('refuses before storing, posting or calling MoEngage', async () => {
    const store = strict<RequestStore>('store', {});
    const s = setup({ notifier: { post: undefined as never }, store });
    expect(await s.propose('UEVE', 'pause')).toEqual({
      kind: 'denied',
      step: 'propose',
      part: 'user',
      action: 'PAUSE',
    });
    expect(await s.propose('UBOB', 'stop')).toMatchObject({ kind: 'denied', part: 'action' });
    expect(await s.propose('UBOB', 'delete')).toMatchObject({ kind: 'invalid_input', field: 'action' });
    expect(await s.propose('UBOB', 'pause', ['bad id'])).toMatchObject({
      kind: 'invalid_input',
      field: 'campaign_ids',
    });
    expect(s.events.map((e) => e.event)).toEqual(['denied', 'denied']);
  });

  it('counts approvals per person and runs once, on the second distinct approval', async () => {
    const s = setup();
    const proposed = await s.propose('UALICE', 'stop');
    if (proposed.kind !== 'proposed') throw new Error(proposed.kind);
    const id = proposed.request.id;
    expect(await s.lifecycle.approve(id, s.user('UALICE'))).toMatchObject({
      kind: 'denied',
      part: 'same_person',
    });
    expect(await s.lifecycle.approve(id, s.user('ULEAD1'))).toMatchObject({
      kind: 'approval_recorded',
      n: 1,
      of: 2,
    });
    expect(await s.lifecycle.approve(id, s.user('ULEAD1'))).toMatchObject({
      kind: 'already_approved',
      n: 1,
      of: 2,
    });
    expect(s.runs).toEqual([]);
    expect(await s.lifecycle.approve(id, s.user('ULEAD2'))).toMatchObject({ kind: 'running' });
    const settled = await s.lifecycle.settled(id, 5_000);
    expect(settled).toMatchObject({ state: 'confirmed', decidedBy: 'ULEAD2', result: { applied: 2 } });
    expect(s.runs).toEqual([['c1', 'c2']]);
    await s.lifecycle.drain(5_000);
    expect(s.changes).toEqual(['approval_recorded', 'running', 'completed']);
    expect(await s.lifecycle.approve(id, s.user('UBOB'))).toMatchObject({ kind: 'denied' });
    expect(s.events.map((e) => e.event)).toEqual([
      'requested',
      'denied',
      'approved',
      'approved',
      'confirmed',
      'completed',
      'denied',
    ]);
  });

  it('runs a request at once under a rule that needs no approval', async () => {
    const s = setup();
    const outcome = await s.propose('token:robot', 'pause');
    expect(outcome).toMatchObject({
      kind: 'running',
      request: { requestedBy: 'runbook:robot', decidedBy: 'runbook:robot' },
    });
    if (outcome.kind !== 'running') return;
    expect(await s.lifecycle.settled(outcome.request.id, 5_000)).toMatchObject({ result: { applied: 2 } });
    expect(s.runs).toHaveLength(1);
  });

  it('says not_in_channel and retires the request when the confirmation cannot be posted', async () => {
    const s = setup({
      notifier: {
        post: async () => {
          throw new NotifyError('not_in_channel', 'not_in_channel');
        },
      },
    });
    expect(await s.propose('UBOB', 'pause')).toEqual({ kind: 'not_in_channel' });
  });

  it('says the store is unavailable, and posts nothing, when the request cannot be stored', async () => {
    const memory = createMemoryStore();
    const store: RequestStore = {
      ...memory,
      create: async () => {
        throw new Error('disk on fire');
      },
    };
    const s = setup({ store, notifier: { post: undefined as never } });
    expect(await s.propose('UBOB', 'pause')).toEqual({ kind: 'unavailable', what: 'store' });
  });

  it('lets the requester cancel, refuses a stranger, and then tells a late approval who decided', async () => {
    const s = setup();
    const proposed = await s.propose('UALICE', 'pause');
    if (proposed.kind !== 'proposed') throw new Error(proposed.kind);
    const id = proposed.request.id;
    expect(await s.lifecycle.cancel(id, s.user('UEVE'))).toMatchObject({
      kind: 'denied',
      step: 'cancel',
      part: 'user',
    });
    expect(await s.lifecycle.cancel(id, s.user('UALICE'))).toMatchObject({ kind: 'cancelled' });
    expect(await s.lifecycle.approve(id, s.user('UBOB'))).toMatchObject({
      kind: 'already_decided',
      state: 'cancelled',
      by: 'UALICE',
    });
    expect(await s.lifecycle.settled(id, 1_000)).toMatchObject({ state: 'cancelled' });
    expect(s.runs).toEqual([]);
  });

  it('refuses an approval after the request expired, and expires it once', async () => {
    const s = setup();
    const proposed = await s.propose('UALICE', 'pause');
    if (proposed.kind !== 'proposed') throw new Error(proposed.kind);
    s.advance(60_000);
    expect(await s.lifecycle.approve(proposed.request.id, s.user('UBOB'))).toMatchObject({ kind: 'expired' });
    await s.lifecycle.expireDue();
    expect(await s.lifecycle.expireDue()).toBe(0);
    expect(s.changes.filter((c) => c === 'expired')).toHaveLength(1);
    expect(s.runs).toEqual([]);
  });

  it('hides a request from a token the policy does not let read it', async () => {
    const s = setup();
    const proposed = await s.propose('UALICE', 'pause');
    if (proposed.kind !== 'proposed') throw new Error(proposed.kind);
    expect(await s.lifecycle.read(proposed.request.id, { kind: 'token', name: 'other' })).toEqual({
      kind: 'not_found',
    });
    expect(await s.lifecycle.read(proposed.request.id, { kind: 'token', name: 'robot' })).toMatchObject({
      kind: 'request',
    });
  });

  it('refuses a reason that is not valid text (a lone surrogate no store could keep) before anything is stored', async () => {
    const s = setup({ store: strict<RequestStore>('store', {}), notifier: { post: undefined as never } });
    const outcome = await s.lifecycle.propose({
      actor: s.user('UBOB'),
      action: 'pause',
      ids: ['c1'],
      reason: 'INC \ud800',
      channelId: 'CINC',
      source: 'test',
    });
    expect(outcome).toMatchObject({ kind: 'invalid_input', field: 'reason' });
  });

  it('keeps expiring the others when the store cannot decide one request', async () => {
    const memory = createMemoryStore({ now: () => 2_000_000 });
    let poisoned = '';
    const store: RequestStore = {
      ...memory,
      decide: async (id, ...rest) => {
        if (id === poisoned) throw new Error('cannot decode');
        return memory.decide(id, ...rest);
      },
    };
    const s = setup({ store });
    const first = await s.propose('UALICE', 'pause', ['c1']);
    const second = await s.propose('UBOB', 'pause', ['c2']);
    if (first.kind !== 'proposed' || second.kind !== 'proposed') throw new Error('expected two proposals');
    poisoned = first.request.id;
    s.advance(60_000);
    expect(await s.lifecycle.expireDue()).toBe(1);
    expect(await memory.get(second.request.id)).toMatchObject({ state: 'expired' });
  });
});

describe('the expiry sweep, with Slack backed up', () => {
  it('expires a backlog a page at a time without waiting on Slack, at most 50 edits in flight', async () => {
    const waiting: (() => void)[] = [];
    // Slack never takes an edit until told: each expiry's edit stays in flight.
    const update = async () => new Promise<void>((resolve) => waiting.push(resolve));
    const s = setup({ notifier: { update } });
    const ids: string[] = [];
    for (let i = 0; i < 130; i++) {
      const p = await s.propose('UALICE', 'pause', [`c${i}`]);
      if (p.kind !== 'proposed') throw new Error(p.kind);
      ids.push(p.request.id);
    }
    s.advance(60_000);
    // A round returns while its edits wait on Slack; it stops once 50 wait, the rest are for later rounds.
    expect(await s.lifecycle.expireDue()).toBe(50);
    expect(await s.lifecycle.expireDue()).toBe(0);
    expect(s.events.filter((e) => e.event === 'expired')).toHaveLength(50);
    for (const open of waiting.splice(0)) open();
    await new Promise((r) => setTimeout(r, 0));
    expect(await s.lifecycle.expireDue()).toBe(50);
    for (const open of waiting.splice(0)) open();
    await new Promise((r) => setTimeout(r, 0));
    expect(await s.lifecycle.expireDue()).toBe(30);
    for (const open of waiting.splice(0)) open();
    const states = await Promise.all(ids.map(async (id) => (await s.store.get(id))?.state));
    expect(new Set(states)).toEqual(new Set(['expired']));
  });

  it('runs one round at a time, whoever asks: a second call joins the round under way', async () => {
    const s = setup();
    const p = await s.propose('UALICE', 'pause', ['c1']);
    if (p.kind !== 'proposed') throw new Error(p.kind);
    s.advance(60_000);
    const [a, b] = await Promise.all([s.lifecycle.expireDue(), s.lifecycle.expireDue()]);
    expect([a, b]).toEqual([1, 1]);
    expect(s.events.filter((e) => e.event === 'expired')).toHaveLength(1);
  });
});

describe('durable runs', () => {
  /** A run another runner planned and started, then died holding (its lease lapsed). */
  async function orphan(store: RequestStore, decidedAt: number, ids = ['c1', 'c2', 'c3']) {
    const s = setup({ store });
    const proposed = await s.propose('UALICE', 'pause', ids);
    if (proposed.kind !== 'proposed') throw new Error(proposed.kind);
    const id = proposed.request.id;
    await store.decide(id, 'confirmed', 'UBOB', decidedAt);
    await store.update(id, (r) => ({
      next: {
        ...r,
        run: {
          chunks: [
            { ids: ['c1', 'c2'], requestId: 'req-1', state: 'sent', sends: 1 },
            { ids: ['c3'], requestId: 'req-2', state: 'planned', sends: 0 },
          ],
          owner: 'a-replica-that-died',
          leaseUntil: decidedAt + 1,
          startedAt: decidedAt,
          requests: 1,
        },
      },
      value: undefined,
    }));
    return id;
  }

  it('takes over a dead runner’s unfinished chunks with their request_ids, reports once, and names what may be repeated', async () => {
    const store = createMemoryStore();
    const id = await orphan(store, Date.now() - 60_000);
    const sent: { ids: string[]; requestId: string | undefined }[] = [];
    const s = setup({
      store,
      moengage: {
        changeCampaignStatus: async (action, ids, options) => {
          sent.push({ ids: [...ids], requestId: options?.requestId });
          return report(action as 'PAUSE', ids);
        },
      },
    });
    expect(await s.lifecycle.resumeDue()).toBe(1);
    const done = await s.lifecycle.settled(id, 5_000);
    await s.lifecycle.drain(5_000);
    expect(done).toMatchObject({ state: 'confirmed', result: { applied: 3, failed: 0 } });
    expect(sent.sort((a, b) => String(a.requestId).localeCompare(String(b.requestId)))).toEqual([
      { ids: ['c1', 'c2'], requestId: 'req-1' },
      { ids: ['c3'], requestId: 'req-2' },
    ]);
    expect(s.changes).toEqual(['completed']);
    expect((await store.get(id))?.run?.chunks.map((c) => c.sends)).toEqual([2, 1]);
    expect(await s.lifecycle.resumeDue()).toBe(0);
  });

  it('reports a run older than the resume window as not sent, without calling MoEngage', async () => {
    const store = createMemoryStore();
    const id = await orphan(store, Date.now() - 2 * 3_600_000);
    const s = setup({ store, moengage: { changeCampaignStatus: undefined as never } });
    await s.lifecycle.resumeDue();
    const done = await s.lifecycle.settled(id, 5_000);
    expect(done?.result).toMatchObject({ applied: 0, failed: 3 });
    expect(done?.result?.outcomes[0]?.error).toMatch(/older than the resume window \(60 min\)/);
  });

  it('leaves a run alone while its runner holds the lease', async () => {
    const store = createMemoryStore();
    const id = await orphan(store, Date.now() - 1_000);
    await store.update(id, (r) => ({
      next: { ...r, run: r.run ? { ...r.run, leaseUntil: Date.now() + 60_000 } : undefined },
      value: 0,
    }));
    const s = setup({ store, moengage: { changeCampaignStatus: undefined as never } });
    expect(await s.lifecycle.resumeDue()).toBe(0);
  });
});

describe('a chunk sent twice', () => {
  it('says of a refusal that the first send may have applied it', async () => {
    const { recordChunk } = await import('../../src/core/run-journal.ts');
    const r = {
      state: 'confirmed',
      run: {
        chunks: [{ ids: ['c1'], requestId: 'q', state: 'sent', sends: 2 }],
        owner: 'me',
        leaseUntil: 0,
        startedAt: 0,
        requests: 0,
      },
    } as never;
    const failed = {
      campaignId: 'c1',
      status: 'failed' as const,
      requestId: 'q',
      attempts: 1,
      error: { kind: 'rejected', httpStatus: 400, code: undefined, message: 'Campaign c1 cannot be paused' },
    };
    const step = recordChunk(r, 0, [failed], 1, 5);
    expect(step.value).toBe('finished');
    expect(step.next?.result?.outcomes[0]?.error).toMatch(
      /cannot be paused \(sent again .* may have applied it/,
    );
  });
});
