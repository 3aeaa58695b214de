import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../../src/auth/authorize.ts';
import { parseAccessPolicy } from '../../../src/auth/policy-file.ts';
import type { AuditEvent } from '../../../src/core/audit.ts';
import type { CatalogEntry, NameResolution } from '../../../src/core/catalog.ts';
import { type Notifier, NotifyError, type RequestChange } from '../../../src/core/notifier.ts';
import type { RequestStore } from '../../../src/core/store.ts';
import type { CampaignCatalog } from '../../../src/lifecycle/catalog.ts';
import type { CampaignExecutor } from '../../../src/lifecycle/execution-deps.ts';
import { createLifecycle } from '../../../src/lifecycle/lifecycle.ts';
import type { StatusChangeReport } from '../../../src/moengage/types.ts';
import { createMemoryStore } from '../../../src/stores/memory-store.ts';
import { strict } from '../../support/strict.ts';

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

/** What the client answers when its gate said no: every id withdrawn, nothing sent. */
function notSentReport(action: string, ids: readonly string[]): StatusChangeReport {
  const error = { kind: 'cancelled', httpStatus: undefined, code: undefined, message: 'Not sent' };
  return {
    action: action as 'PAUSE',
    outcomes: ids.map((campaignId) => ({
      campaignId,
      status: 'failed',
      requestId: undefined,
      attempts: 0,
      error,
    })),
    applied: 0,
    failed: ids.length,
    requests: 0,
    sends: [],
    elapsedMs: 0,
  };
}

function setup(
  over: {
    notifier?: Partial<Notifier>;
    moengage?: Partial<CampaignExecutor>;
    store?: RequestStore;
    catalog?: CampaignCatalog;
  } = {},
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
    changeCampaignStatus: async (action, ids, options) => {
      // The contract: the gate is asked just before the send; false or a throw means nothing is sent.
      if (options?.beforeSend && !(await options.beforeSend())) return notSentReport(action, ids);
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
    ...(over.catalog ? { catalog: over.catalog } : {}),
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
      origin: { kind: 'slash_command' },
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
      origin: { kind: 'slash_command' },
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

describe('names and links in a proposal', () => {
  const entry = (id: string, name: string): CatalogEntry => ({ id, name, status: 'ACTIVE', seenAt: 1 });
  /** A whole catalog that answers these names; any other call fails the test. */
  const catalogOf = (answers: Record<string, NameResolution>, asked: string[] = []) =>
    strict<CampaignCatalog>('catalog', {
      resolve: async (query) => {
        asked.push(query);
        return answers[query] ?? { kind: 'none' };
      },
      view: async () => ({ fullAt: 1 }) as Awaited<ReturnType<CampaignCatalog['view']>>,
    });

  it('reads no name for someone outside the policy: refused before the catalog is asked anything', async () => {
    const s = setup({
      catalog: strict<CampaignCatalog>('catalog', {}),
      store: strict<RequestStore>('store', {}),
    });
    expect(await s.propose('UEVE', 'pause', ['"black friday"'])).toMatchObject({
      kind: 'denied',
      part: 'user',
    });
    // Bob may not ask for a STOP at all: refused at the first look too, before the name is read.
    expect(await s.propose('UBOB', 'stop', ['"black friday"'])).toMatchObject({
      kind: 'denied',
      part: 'action',
    });
    expect(
      await s.lifecycle.status({ actor: s.user('UEVE'), ids: ['"black friday"'], channelId: 'CINC' }),
    ).toMatchObject({ kind: 'denied' });
  });

  it('proposes the id a name found, with links read as ids; several matches or none propose nothing', async () => {
    const asked: string[] = [];
    const s = setup({
      catalog: catalogOf(
        {
          'price drop': { kind: 'one', entry: entry('c_price', 'Price drop email') },
          'black friday': {
            kind: 'several',
            candidates: [entry('bf_1', 'Black Friday push'), entry('bf_2', 'Black Friday teaser')],
            more: false,
          },
        },
        asked,
      ),
    });
    const link = 'https://dashboard-03.moengage.com/v4/#/push/64f1a2b3c4d5e6f7a8b9c0d1/edit';
    const proposed = await s.propose('UALICE', 'pause', ['"price drop"', link, 'c1']);
    expect(proposed).toMatchObject({
      kind: 'proposed',
      request: { campaignIds: ['c_price', '64f1a2b3c4d5e6f7a8b9c0d1', 'c1'] },
    });
    expect(await s.propose('UALICE', 'pause', ['"black friday"', '"cyber monday"'])).toEqual({
      kind: 'choose_campaigns',
      choices: [
        {
          query: 'black friday',
          candidates: [entry('bf_1', 'Black Friday push'), entry('bf_2', 'Black Friday teaser')],
          more: false,
        },
      ],
      missing: ['cyber monday'],
      // What else the request named and found (none here): the picker keeps it chosen.
      chosen: [],
    });
    expect(await s.propose('UALICE', 'pause', ['"cyber monday"'])).toEqual({
      kind: 'invalid_input',
      field: 'campaign_names',
      message: 'No campaign is named like "cyber monday".',
    });
    expect(asked).toEqual(['price drop', 'black friday', 'cyber monday', 'cyber monday']);
    // Only the first proposal was made.
    expect(s.events.filter((e) => e.event === 'requested')).toHaveLength(1);
  });

  it('takes no name under a rule that runs without a confirmation, and ids and links under it as before', async () => {
    const s = setup({
      catalog: catalogOf({ 'price drop': { kind: 'one', entry: entry('c_price', 'Price drop email') } }),
    });
    expect(await s.propose('token:robot', 'pause', ['"price drop"'])).toMatchObject({
      kind: 'invalid_input',
      field: 'campaign_names',
      message: expect.stringMatching(/runs without a confirmation, so it takes campaign ids/),
    });
    expect(s.runs).toEqual([]);
    const link = 'https://dashboard-01.moengage.com/v4/#/email/64f1a2b3c4d5e6f7a8b9c0d1/edit';
    expect(await s.propose('token:robot', 'pause', [link])).toMatchObject({ kind: 'running' });
  });

  it('says names need the campaign list where the bot keeps none', async () => {
    const s = setup();
    expect(await s.propose('UALICE', 'pause', ['"price drop"'])).toMatchObject({
      kind: 'invalid_input',
      field: 'campaign_names',
      message: expect.stringMatching(/^Campaign names need the campaign list/),
    });
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
describe('durable runs', () => {
  it('takes over a dead runner’s unfinished chunks with their request_ids, reports once, and names what may be repeated', async () => {
    const store = createMemoryStore();
    const id = await orphan(store, Date.now() - 60_000);
    const sent: { ids: string[]; requestId: string | undefined }[] = [];
    const s = setup({
      store,
      moengage: {
        changeCampaignStatus: async (action, ids, options) => {
          if (options?.beforeSend && !(await options.beforeSend())) return notSentReport(action, ids);
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
  /** A run whose one chunk two runners sent. */
  const sentTwice = () =>
    ({
      state: 'confirmed',
      run: {
        chunks: [{ ids: ['c1'], requestId: 'q', state: 'sent', sends: 2 }],
        owner: 'me',
        leaseUntil: 0,
        startedAt: 0,
        requests: 0,
      },
    }) as never;

  it('reports a refusal as may have been applied (the first send may have applied it), never as failed', async () => {
    const { recordChunk } = await import('../../../src/core/run-journal.ts');
    const r = sentTwice();
    const failed = {
      campaignId: 'c1',
      status: 'failed' as const,
      requestId: 'q',
      attempts: 1,
      error: { kind: 'rejected', httpStatus: 400, code: undefined, message: 'Campaign c1 cannot be paused' },
    };
    const step = recordChunk(r, 0, [failed], 1, 5);
    expect(step.value).toBe('finished');
    expect(step.next?.result).toMatchObject({ failed: 0, uncertain: 1 });
    expect(step.next?.result?.outcomes[0]?.status).toBe('uncertain');
    expect(step.next?.result?.outcomes[0]?.note).toMatch(/may have been applied/);
  });

  it('keeps it failed when a lookup saw the campaign not in the target state', async () => {
    const { recordChunk } = await import('../../../src/core/run-journal.ts');
    const r = sentTwice();
    const checked = {
      campaignId: 'c1',
      status: 'failed' as const,
      requestId: 'q',
      attempts: 1,
      checked: true as const,
      error: {
        kind: 'rejected',
        httpStatus: 400,
        code: undefined,
        message: 'refused (MoEngage shows it active)',
      },
    };
    const step = recordChunk(r, 0, [checked], 1, 5);
    expect(step.next?.result).toMatchObject({ failed: 1 });
  });
});

describe('a fenced lease', () => {
  const base = {
    state: 'confirmed',
    run: {
      chunks: [
        { ids: ['c1'], requestId: 'q1', state: 'planned', sends: 0 },
        { ids: ['c2'], requestId: 'q2', state: 'planned', sends: 0 },
      ],
      owner: undefined,
      leaseUntil: 0,
      startedAt: 0,
      requests: 0,
    },
  } as never;

  it('gives every take a higher token; a runner that stalled and was taken over is refused its next send, renewal and hand-back', async () => {
    const { takeRun, leaseOf, markSent, renewRun, releaseRun, recordChunk } = await import(
      '../../../src/core/run-journal.ts'
    );
    const first = takeRun(base, 'A', 0, 1_000, () => []);
    const a = leaseOf(first.next?.run as never);
    expect(a).toEqual({ owner: 'A', fence: 1 });
    // A stalls (SIGSTOP) past its lease; B takes the run over.
    const second = takeRun(first.next as never, 'B', 5_000, 1_000, () => []);
    expect(second.value).toBe('taken');
    const b = leaseOf(second.next?.run as never);
    expect(b).toEqual({ owner: 'B', fence: 2 });
    const taken = second.next as never;
    // A wakes up (SIGCONT): everything it would write as the runner is refused.
    expect(markSent(taken, 0, a as never).value).toEqual({ go: 'fenced' });
    expect(renewRun(taken, a as never, 6_000, 1_000).value).toBe(false);
    expect(releaseRun(taken, a as never).value).toBe(false);
    // Even a runner named like A again, with A's old token (a restarted process reusing an id), is refused.
    expect(markSent(taken, 0, { owner: 'B', fence: 1 }).value).toEqual({ go: 'fenced' });
    // B sends.
    expect(markSent(taken, 0, b as never).value).toEqual({ go: 'sent', sends: 1 });
    // What MoEngage answered A for a send before its stall is a fact, kept whoever records it.
    const applied = [{ campaignId: 'c2', status: 'applied' as const, requestId: 'q2', attempts: 1 }];
    expect(recordChunk(taken, 1, applied, 1, 7_000).value).toBe('recorded');
  });

  it('re-checks a live lease held by another runner when taking, and only a known restart forces it', async () => {
    const { takeRun } = await import('../../../src/core/run-journal.ts');
    const held = takeRun(base, 'A', 0, 10_000, () => []).next as never;
    expect(takeRun(held, 'B', 9_999, 10_000, () => []).value).toBe('held');
    expect(takeRun(held, 'B', 10_001, 10_000, () => []).value).toBe('taken');
    expect(takeRun(held, 'B', 1, 10_000, () => [], true).value).toBe('taken');
  });

  it('marks a chunk whose outcome is known as done, never to be sent again', async () => {
    const { takeRun, leaseOf, markSent, recordChunk } = await import('../../../src/core/run-journal.ts');
    const taken = takeRun(base, 'A', 0, 1_000, () => []).next as never;
    const lease = leaseOf((taken as { run: never }).run) as never;
    const applied = [{ campaignId: 'c1', status: 'applied' as const, requestId: 'q1', attempts: 1 }];
    const recorded = recordChunk(taken, 0, applied, 1, 1).next as never;
    expect(markSent(recorded, 0, lease).value).toEqual({ go: 'done' });
  });
});

describe('a run whose store goes away under it', () => {
  /** The memory store behind a switch: while `down`, every call fails as a cut Redis connection does. */
  function switchable(inner: RequestStore) {
    const state = { down: false, failures: 0 };
    const guard =
      <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        if (state.down) {
          state.failures += 1;
          throw new Error('Connection is closed.');
        }
        return fn(...args);
      };
    const store: RequestStore = {
      ...inner,
      get: guard(inner.get),
      update: guard(inner.update) as RequestStore['update'],
      create: guard(inner.create),
      runsDue: guard(inner.runsDue),
    };
    return { store, state };
  }

  it('waits for the store instead of reporting failures, sends nothing meanwhile, and reports what MoEngage applied', async () => {
    const { store, state } = switchable(createMemoryStore());
    const sent: string[][] = [];
    let queue: Promise<void> = Promise.resolve();
    let release: () => void = () => {};
    const firstAnswered = new Promise<void>((resolve) => {
      release = resolve;
    });
    const s = setup({
      store,
      moengage: {
        chunkSize: 2,
        // One request at a time, as a limiter with one slot sends them.
        changeCampaignStatus: (action, ids, options) => {
          const turn = queue.then(async () => {
            if (options?.beforeSend && !(await options.beforeSend())) return notSentReport(action, ids);
            sent.push([...ids]);
            // The store goes away while MoEngage answers the first chunk.
            if (sent.length === 1) state.down = true;
            release();
            return report(action as 'PAUSE', ids);
          });
          queue = turn.then(() => undefined);
          return turn;
        },
      },
    });
    const proposed = await s.propose('UALICE', 'pause', ['c1', 'c2', 'c3', 'c4']);
    if (proposed.kind !== 'proposed') throw new Error(proposed.kind);
    const started = await s.lifecycle.approve(proposed.request.id, s.user('UBOB'));
    expect(started.kind).toBe('running');
    await firstAnswered;
    // Down: the answer cannot be recorded and the next chunk's send cannot be marked: nothing more is sent.
    await waitUntil(() => state.failures >= 3);
    expect(sent).toEqual([['c1', 'c2']]);
    expect(s.changes).not.toContain('completed');
    state.down = false;
    const done = await s.lifecycle.settled(proposed.request.id, 10_000);
    await s.lifecycle.drain(5_000);
    expect(done?.result).toMatchObject({ applied: 4, failed: 0 });
    expect(sent).toEqual([
      ['c1', 'c2'],
      ['c3', 'c4'],
    ]);
    expect(s.changes.filter((c) => c === 'completed')).toHaveLength(1);
  });

  it('after the store comes back, leaves a lapsed lease one lease length before taking it over (its runner was cut off too)', async () => {
    const inner = createMemoryStore();
    const { store, state } = switchable(inner);
    // A runner elsewhere held this run; its lease lapsed while the store was away.
    const id = await orphan(inner, Date.now() - 60_000);
    const s = setup({ store, moengage: { changeCampaignStatus: undefined as never } });
    state.down = true;
    await expect(s.lifecycle.resumeDue()).rejects.toThrow(/Connection is closed/);
    state.down = false;
    expect(await s.lifecycle.resumeDue()).toBe(0);
    s.advance(10_001); // the default lease
    expect((await store.get(id))?.run?.owner).toBe('a-replica-that-died');
    expect(await s.lifecycle.resumeDue()).toBe(1);
  });

  it('writes a vanished record back from the runner’s copy (Redis restarted empty) and still reports the run', async () => {
    const inner = createMemoryStore();
    const vanished = new Set<string>();
    const store: RequestStore = {
      ...inner,
      get: async (id) => (vanished.has(id) ? undefined : inner.get(id)),
      update: (async (id, step) =>
        vanished.has(id) ? undefined : inner.update(id, step)) as RequestStore['update'],
      // Written back: the memory store still holds the old copy, so the write-back replaces it.
      create: async (r) => {
        if (!vanished.delete(r.id)) return inner.create(r);
        await inner.update(r.id, () => ({ next: r, value: undefined }));
      },
    };
    let requestId = '';
    const s = setup({
      store,
      moengage: {
        chunkSize: 2,
        changeCampaignStatus: async (action, ids, options) => {
          if (options?.beforeSend && !(await options.beforeSend())) return notSentReport(action, ids);
          // The record vanishes while MoEngage applies the first chunk.
          if (ids[0] === 'c1') vanished.add(requestId);
          return report(action as 'PAUSE', ids);
        },
      },
    });
    const proposed = await s.propose('UALICE', 'pause', ['c1', 'c2', 'c3']);
    if (proposed.kind !== 'proposed') throw new Error(proposed.kind);
    requestId = proposed.request.id;
    await s.lifecycle.approve(requestId, s.user('UBOB'));
    await waitUntil(() => s.changes.includes('completed'));
    await s.lifecycle.drain(5_000);
    expect(vanished.size).toBe(0);
    expect((await store.get(requestId))?.result).toMatchObject({ applied: 3, failed: 0 });
  });

  it('sends a chunk later, never reports it failed, when the bot’s own side could not send it (the shared limiter away)', async () => {
    let refusals = 2;
    const s = setup({
      moengage: {
        changeCampaignStatus: async (action, ids, options) => {
          if (refusals > 0) {
            refusals -= 1;
            const error = {
              kind: 'not_sent',
              httpStatus: undefined,
              code: undefined,
              message: 'Not sent to MoEngage: Connection is closed.',
            };
            return {
              ...notSentReport(action, ids),
              outcomes: ids.map((campaignId) => ({
                campaignId,
                status: 'failed' as const,
                requestId: undefined,
                attempts: 0,
                error,
              })),
            };
          }
          if (options?.beforeSend && !(await options.beforeSend())) return notSentReport(action, ids);
          return report(action as 'PAUSE', ids);
        },
      },
    });
    const proposed = await s.propose('UALICE', 'pause', ['c1', 'c2']);
    if (proposed.kind !== 'proposed') throw new Error(proposed.kind);
    await s.lifecycle.approve(proposed.request.id, s.user('UBOB'));
    const done = await s.lifecycle.settled(proposed.request.id, 10_000);
    await s.lifecycle.drain(5_000);
    expect(refusals).toBe(0);
    expect(done?.result).toMatchObject({ applied: 2, failed: 0 });
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
