import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { FlowsClient, type FlowsClientOptions } from '../../src/moengage/flows.ts';
import { createSlidingLimiter } from '../../src/moengage/limiter.ts';
import { retryPolicies } from '../../src/moengage/retry-policy.ts';
import type { SimFlow } from '../../src/sandbox/flows-sim.ts';
import type { MoEngageSim, MoEngageSimOptions } from '../../src/sandbox/moengage-sim.ts';
import { API_KEY, memoryLogger, startSim, WORKSPACE_ID } from '../support/fixtures.ts';

const flowId = (n: number) => `65a1b2c3d4e5f6a7b8c9${n.toString(16).padStart(4, '0')}`;
const BY = 'approver@example.com';

function flow(n: number, more: Partial<SimFlow> = {}): SimFlow {
  return {
    id: flowId(n),
    name: `Journey ${String(n).padStart(3, '0')}`,
    status: 'ACTIVE',
    updatedAt: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString(),
    steps: [
      { campaignId: `c${n}a`, name: `Step A of ${n}`, channel: 'EMAIL' },
      { campaignId: `c${n}b`, name: `Step B of ${n}`, channel: 'PUSH' },
    ],
    ...more,
  };
}

let sim: MoEngageSim | undefined;
let client: FlowsClient | undefined;
afterEach(async () => {
  await client?.close();
  await sim?.close();
  client = undefined;
  sim = undefined;
});

async function setUp(
  simOptions: Partial<MoEngageSimOptions>,
  clientOptions: Partial<FlowsClientOptions> = {},
) {
  const log = memoryLogger();
  const s = await startSim(simOptions);
  sim = s;
  const c = new FlowsClient({
    baseUrl: s.url,
    workspaceId: WORKSPACE_ID,
    apiKey: API_KEY,
    logger: log.logger,
    retryPolicy: retryPolicies.fast,
    timeoutMs: 2_000,
    ...clientOptions,
  });
  client = c;
  return { s, c, log };
}

const key = () => randomUUID();

describe('the Flows client, against the simulator', () => {
  it('lists every flow by following the cursor, and sends the filters as documented', async () => {
    const { s, c } = await setUp({ flows: Array.from({ length: 250 }, (_, i) => flow(i + 1)) });
    const all = await c.search();
    expect(all).toMatchObject({ ok: true, pages: 3, truncated: false });
    expect(all.ok && all.flows).toHaveLength(250);
    expect(all.ok && all.flows[0]).toEqual({
      id: flowId(250),
      name: 'Journey 250',
      status: 'ACTIVE',
      archived: false,
      deliveryType: 'EVENT_TRIGGERED',
      updatedAt: expect.any(String),
    });
    const sent = s.flowRequests('v5-flows-search');
    expect(sent.map((r) => [r.limit, typeof r.cursor])).toEqual([
      [100, 'undefined'],
      [100, 'string'],
      [100, 'string'],
    ]);
    const some = await c.search({ name: 'journey 00', statuses: ['active'] }, { pageSize: 5 });
    expect(some.ok && some.flows.map((f) => f.name)).toEqual(
      Array.from({ length: 9 }, (_, i) => `Journey 00${9 - i}`),
    );
    expect(some).toMatchObject({ pages: 2 });
    const truncated = await c.search({}, { pageSize: 10, maxPages: 2 });
    expect(truncated).toMatchObject({ ok: true, pages: 2, truncated: true });
  });

  it("reads one flow's steps and the campaign ids they send", async () => {
    const { c } = await setUp({ flows: [flow(1, { nba: true })] });
    const got = await c.get(flowId(1));
    expect(got.ok && got.flow).toMatchObject({
      id: flowId(1),
      name: 'Journey 001',
      status: 'ACTIVE',
      campaignIds: ['c1a', 'c1b'],
      steps: [
        { campaignId: 'c1a', channel: 'EMAIL', name: 'Step A of 1' },
        { campaignId: 'c1b', channel: 'PUSH', name: 'Step B of 1' },
      ],
    });
    expect(await c.get(flowId(2))).toMatchObject({ ok: false, reason: 'not_found' });
  });

  it('pauses a flow with the lower-case action, the email and the key it is given', async () => {
    const { s, c } = await setUp({ flows: [flow(1)] });
    const k = key();
    const result = await c.changeStatus(flowId(1), 'PAUSE', { updatedBy: BY, idempotencyKey: k });
    expect(result).toEqual({
      flowId: flowId(1),
      action: 'PAUSE',
      attempts: 1,
      kind: 'applied',
      status: 'PAUSED',
    });
    expect(s.flow(flowId(1))?.status).toBe('PAUSED');
    expect(s.flowRequests('v5-flows-status')).toMatchObject([
      { action: 'pause', updatedBy: BY, idempotencyKey: k, flowId: flowId(1), status: 200 },
    ]);
    expect((await c.changeStatus(flowId(1), 'RESUME', { updatedBy: BY, idempotencyKey: key() })).kind).toBe(
      'applied',
    );
    expect((await c.changeStatus(flowId(1), 'STOP', { updatedBy: BY, idempotencyKey: key() })).kind).toBe(
      'applied',
    );
    expect(s.flowRequests('v5-flows-status').map((r) => r.action)).toEqual(['pause', 'resume', 'stop']);
  });

  it('retries a 503 and a lost answer with the same key, and MoEngage applies the change once', async () => {
    const { s, c } = await setUp({ flows: [flow(1)] });
    const k = key();
    s.inject({ kind: 'status', status: 503, api: 'flows-status' });
    // Applied, then the connection closed before the answer: the retry's key replays the stored answer.
    s.inject({ kind: 'drop', api: 'flows-status' });
    const result = await c.changeStatus(flowId(1), 'PAUSE', { updatedBy: BY, idempotencyKey: k });
    expect(result).toMatchObject({ kind: 'applied', status: 'PAUSED', attempts: 3 });
    const sent = s.flowRequests('v5-flows-status');
    expect(sent.map((r) => r.outcome)).toEqual(['fault', 'dropped', 'replayed']);
    expect(new Set(sent.map((r) => r.idempotencyKey))).toEqual(new Set([k]));
  });

  it('looks a 409 up: "already paused" when the flow is, MoEngage\'s words and what it shows when not', async () => {
    const { s, c } = await setUp({
      flows: [flow(1, { status: 'PAUSED' }), flow(2, { status: 'COMPLETED' })],
    });
    const already = await c.changeStatus(flowId(1), 'PAUSE', { updatedBy: BY, idempotencyKey: key() });
    expect(already).toEqual({
      flowId: flowId(1),
      action: 'PAUSE',
      attempts: 1,
      kind: 'already',
      status: 'PAUSED',
      message: 'already paused',
    });
    expect(s.flowRequests().map((r) => r.api)).toEqual(['v5-flows-status', 'v5-flows-get']);
    const refused = await c.changeStatus(flowId(2), 'STOP', { updatedBy: BY, idempotencyKey: key() });
    expect(refused).toMatchObject({
      kind: 'refused',
      httpStatus: 409,
      code: 'BAD_REQUEST',
      status: 'COMPLETED',
      message: 'Cannot stop a flow that is completed. (MoEngage shows it completed)',
    });
    const missing = await c.changeStatus(flowId(3), 'PAUSE', { updatedBy: BY, idempotencyKey: key() });
    expect(missing).toMatchObject({ kind: 'refused', httpStatus: 404, message: 'Flow not found.' });
  });

  it('says in one line that an account without Flows cannot use them, and stops asking for a while', async () => {
    const { s, c } = await setUp({ flows: [flow(1)], flowsAccess: 'none' });
    const first = await c.changeStatus(flowId(1), 'PAUSE', { updatedBy: BY, idempotencyKey: key() });
    expect(first.kind).toBe('unavailable');
    expect(first.kind === 'unavailable' && first.message).toMatch(
      /^MoEngage's Flows API is not available to this workspace's API key \(403: .*\): flows cannot be paused, resumed or stopped from here; campaigns still can$/,
    );
    expect(first.kind === 'unavailable' && first.message).not.toContain('\n');
    const second = await c.changeStatus(flowId(1), 'PAUSE', { updatedBy: BY, idempotencyKey: key() });
    expect(second).toMatchObject({ kind: 'unavailable', attempts: 0 });
    expect(await c.search()).toMatchObject({ ok: false, reason: 'unavailable' });
    expect(await c.get(flowId(1))).toMatchObject({ ok: false, reason: 'unavailable' });
    // One status change and one search reached MoEngage; the rest were answered from what it said.
    expect(s.flowRequests().map((r) => r.api)).toEqual(['v5-flows-status', 'v5-flows-search']);
  });

  it('tells a key that may view flows but not change them apart', async () => {
    const { c } = await setUp({ flows: [flow(1)], flowsAccess: 'read-only' });
    expect((await c.search()).ok).toBe(true);
    const change = await c.changeStatus(flowId(1), 'PAUSE', { updatedBy: BY, idempotencyKey: key() });
    expect(change.kind === 'unavailable' && change.message).toContain('campaigns:create_manage');
  });

  it('sends nothing for data center 101, which the Flows API does not serve', async () => {
    const { s, c } = await setUp({ flows: [flow(1)] }, { dataCenter: '101' });
    const change = await c.changeStatus(flowId(1), 'PAUSE', { updatedBy: BY, idempotencyKey: key() });
    expect(change).toMatchObject({ kind: 'unavailable', attempts: 0 });
    expect(change.kind === 'unavailable' && change.message).toContain('data center 101');
    expect(await c.search()).toMatchObject({ ok: false, reason: 'unavailable' });
    expect(s.requests).toHaveLength(0);
  });

  it('waits out a 429 for its Retry-After and holds the queue meanwhile; gives up as `retry` past its budget', async () => {
    const { s, c } = await setUp(
      { flows: [flow(1), flow(2), flow(3)], limits: { perSecond: 1, perMinute: 60, perHour: 3_600 } },
      // A limiter that does not know MoEngage's (here smaller) limits: MoEngage's 429 is the only brake.
      { limiter: createSlidingLimiter({ limits: { perSecond: 10, perMinute: 100, perHour: 6_000 } }) },
    );
    const results = await Promise.all(
      [1, 2].map((n) => c.changeStatus(flowId(n), 'PAUSE', { updatedBy: BY, idempotencyKey: key() })),
    );
    expect(results.map((r) => r.kind)).toEqual(['applied', 'applied']);
    const sent = s.flowRequests('v5-flows-status');
    expect(sent.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(1);
    // Nothing was sent before the Retry-After that the 429 gave had passed.
    const limited = sent.find((r) => r.status === 429);
    const after = sent.filter((r) => r.seq > (limited?.seq ?? 0));
    for (const r of after) expect(r.at - (limited?.at ?? 0)).toBeGreaterThanOrEqual(900);
    await client?.close();
    client = new FlowsClient({
      baseUrl: s.url,
      workspaceId: WORKSPACE_ID,
      apiKey: API_KEY,
      logger: memoryLogger().logger,
      retryPolicy: retryPolicies.none,
      limiter: createSlidingLimiter({ limits: { perSecond: 10, perMinute: 100, perHour: 6_000 } }),
    });
    const [first, second] = await Promise.all(
      [3, 3].map(() => client?.changeStatus(flowId(3), 'STOP', { updatedBy: BY, idempotencyKey: key() })),
    );
    const limitedResult = [first, second].find((r) => r?.kind === 'retry');
    expect(limitedResult).toMatchObject({
      kind: 'retry',
      mayHaveApplied: false,
      retryAtMs: expect.any(Number),
    });
    expect(limitedResult?.kind === 'retry' && limitedResult.message).toContain('MoEngage 429');
  });

  it('keeps to one pool for search, get and status by default, so a MoEngage that counts them together never answers 429', async () => {
    const limits = { perSecond: 3, perMinute: 100, perHour: 6_000 };
    const { s, c } = await setUp(
      { flows: [1, 2, 3].map((n) => flow(n)), limits },
      { limiter: createSlidingLimiter({ limits }) },
    );
    await Promise.all([
      c.search(),
      ...[1, 2, 3].map((n) => c.get(flowId(n))),
      ...[1, 2, 3].map((n) => c.changeStatus(flowId(n), 'PAUSE', { updatedBy: BY, idempotencyKey: key() })),
    ]);
    expect(s.flowRequests()).toHaveLength(7);
    expect(s.flowRequests().filter((r) => r.status === 429)).toEqual([]);
  });

  it('stays correct with a limiter per endpoint when MoEngage counts them together after all: its 429s are waited out', async () => {
    const limits = { perSecond: 3, perMinute: 100, perHour: 6_000 };
    const { s, c } = await setUp(
      { flows: [1, 2, 3].map((n) => flow(n)), limits },
      {
        limiters: {
          search: createSlidingLimiter({ limits }),
          get: createSlidingLimiter({ limits }),
          status: createSlidingLimiter({ limits }),
        },
      },
    );
    const [, ...rest] = await Promise.all([
      c.search(),
      ...[1, 2, 3].map((n) => c.get(flowId(n))),
      ...[1, 2, 3].map((n) => c.changeStatus(flowId(n), 'PAUSE', { updatedBy: BY, idempotencyKey: key() })),
    ]);
    expect(rest.map((r) => ('kind' in r ? r.kind : r.ok))).toEqual([
      true,
      true,
      true,
      'applied',
      'applied',
      'applied',
    ]);
    expect(s.flowRequests().some((r) => r.status === 429)).toBe(true);
    for (const n of [1, 2, 3]) expect(s.flow(flowId(n))?.status).toBe('PAUSED');
    for (const l of ['search', 'get', 'status'] as const) await c.limiter(l).stop();
  });

  it('says `retry` and that it may have applied when MoEngage kept the change and never answered', async () => {
    const { s, c } = await setUp({ flows: [flow(1)] }, { timeoutMs: 300, retryPolicy: retryPolicies.none });
    s.inject({ kind: 'late', ms: 1_000, api: 'flows-status' });
    const k = key();
    const result = await c.changeStatus(flowId(1), 'PAUSE', { updatedBy: BY, idempotencyKey: k });
    expect(result).toMatchObject({ kind: 'retry', mayHaveApplied: true, attempts: 1 });
    expect(s.flow(flowId(1))?.status).toBe('PAUSED');
    // The same change again, later, with its kept key: MoEngage's first answer, nothing applied twice.
    const again = await c.changeStatus(flowId(1), 'PAUSE', { updatedBy: BY, idempotencyKey: k });
    expect(again).toMatchObject({ kind: 'applied', status: 'PAUSED' });
    expect(s.flowRequests('v5-flows-status').at(-1)?.outcome).toBe('replayed');
  });

  it('withdraws a change cancelled while it waits in the queue; says at once, sending nothing, when MoEngage asked to wait longer than a change may', async () => {
    const limiter = createSlidingLimiter({ limits: { perSecond: 10, perMinute: 100, perHour: 6_000 } });
    const { s, c } = await setUp({ flows: [flow(1)] }, { limiter });
    // Held for less than the budget: it waits in the queue, and a cancel withdraws it there.
    limiter.pauseUntil(Date.now() + 5_000);
    const abort = new AbortController();
    const pending = c.changeStatus(flowId(1), 'PAUSE', {
      updatedBy: BY,
      idempotencyKey: key(),
      signal: abort.signal,
    });
    abort.abort();
    expect(await pending).toMatchObject({ kind: 'not_sent', attempts: 0 });
    limiter.pauseUntil(Date.now() + 20 * 60_000);
    const held = await c.changeStatus(flowId(1), 'PAUSE', { updatedBy: BY, idempotencyKey: key() });
    expect(held).toMatchObject({
      kind: 'retry',
      attempts: 0,
      mayHaveApplied: false,
      retryAtMs: expect.any(Number),
    });
    expect(held.kind === 'retry' && held.message).toMatch(
      /^Not sent: MoEngage's rate limit for flows is spent until /,
    );
    expect(s.requests).toHaveLength(0);
    await limiter.stop();
  });

  it('sends nothing when the run journal says no, or for an updated_by that is not an email; refuses a key that is not a UUID v4', async () => {
    const { s, c } = await setUp({ flows: [flow(1)] });
    const gated = await c.changeStatus(flowId(1), 'PAUSE', {
      updatedBy: BY,
      idempotencyKey: key(),
      beforeSend: async () => false,
    });
    expect(gated).toMatchObject({ kind: 'not_sent', attempts: 0 });
    const noEmail = await c.changeStatus(flowId(1), 'PAUSE', { updatedBy: 'U123ABC', idempotencyKey: key() });
    expect(noEmail).toMatchObject({ kind: 'refused', attempts: 0 });
    await expect(
      c.changeStatus(flowId(1), 'PAUSE', { updatedBy: BY, idempotencyKey: 'run-7' }),
    ).rejects.toThrow(RangeError);
    expect(s.requests).toHaveLength(0);
  });

  it('never logs the API key or the credential it makes', async () => {
    // setUp's logger keeps its lines in memory, at debug: every call is logged.
    const { c, log } = await setUp({ flows: [flow(1)] });
    await c.search();
    await c.get(flowId(1));
    await c.changeStatus(flowId(1), 'PAUSE', { updatedBy: BY, idempotencyKey: key() });
    const raw = log.raw();
    expect(raw).toContain('flows call');
    expect(raw).not.toContain(API_KEY);
    expect(raw).not.toContain(Buffer.from(`${WORKSPACE_ID}:${API_KEY}`).toString('base64'));
  });
});
