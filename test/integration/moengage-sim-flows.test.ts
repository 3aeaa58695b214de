import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import { flowsFromCampaigns, type SimFlow } from '../../src/sandbox/flows-sim.ts';
import type { MoEngageSim } from '../../src/sandbox/moengage-sim.ts';
import { API_KEY, startSim, WORKSPACE_ID } from '../support/fixtures.ts';

const AUTH = `Basic ${Buffer.from(`${WORKSPACE_ID}:${API_KEY}`).toString('base64')}`;

/** 24 hex, distinct per n. */
const flowId = (n: number) => `65a1b2c3d4e5f6a7b8c9${n.toString(16).padStart(4, '0')}`;

function flow(n: number, more: Partial<SimFlow> = {}): SimFlow {
  return {
    id: flowId(n),
    name: `Journey ${String(n).padStart(2, '0')}`,
    status: 'ACTIVE',
    // Older numbers updated longer ago: search answers the newest first.
    updatedAt: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString(),
    steps: [
      { campaignId: `c${n}a`, name: `Step A of ${n}`, channel: 'EMAIL' },
      { campaignId: `c${n}b`, name: `Step B of ${n}`, channel: 'PUSH' },
    ],
    ...more,
  };
}

async function call(
  sim: MoEngageSim,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await request(`${sim.url}${path}`, {
    method,
    headers: { authorization: AUTH, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

const search = (sim: MoEngageSim, body: Record<string, unknown>) =>
  call(sim, 'POST', '/v5/flows/search', body);
/** A status change with a fresh Idempotency-Key, or the one given, or (null) none. */
const change = (sim: MoEngageSim, id: string, body: unknown, key: string | null = randomUUID()) =>
  call(sim, 'PATCH', `/v5/flows/${id}/status`, body, key === null ? {} : { 'idempotency-key': key });

let sim: MoEngageSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('the MoEngage simulator: Flows, as flows.yaml documents them', () => {
  it('pages a search by cursor, newest update first, until has_more is false', async () => {
    const s = await startSim({ flows: Array.from({ length: 45 }, (_, i) => flow(i + 1)), limits: false });
    sim = s;
    const names: string[] = [];
    const pages: { size: number; hasMore: boolean; cursor: unknown }[] = [];
    let cursor: string | undefined;
    do {
      const res = await search(s, { limit: 20, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ type: 'flow', response_id: expect.any(String) });
      const data = res.json.data;
      names.push(...data.flows.map((f: { name: string }) => f.name));
      pages.push({ size: data.flows.length, hasMore: data.has_more, cursor: data.next_cursor });
      cursor = data.next_cursor ?? undefined;
    } while (cursor);
    expect(pages.map((p) => [p.size, p.hasMore])).toEqual([
      [20, true],
      [20, true],
      [5, false],
    ]);
    expect(pages[2]?.cursor).toBeNull();
    expect(names[0]).toBe('Journey 45');
    expect(names.at(-1)).toBe('Journey 01');
    expect(new Set(names).size).toBe(45);
    // The default page is 20; a row is a FlowSummary.
    const first = await search(s, {});
    expect(first.json.data.flows).toHaveLength(20);
    expect(first.json.data.flows[0]).toMatchObject({
      flow_id: flowId(45),
      status: 'ACTIVE',
      archived: false,
      delivery_type: 'EVENT_TRIGGERED',
      updated_at: expect.any(String),
    });
  });

  it('filters by part of a name in any case, by status in any case, and leaves archived flows out unless asked', async () => {
    const s = await startSim({
      flows: [
        flow(1, { name: 'Onboarding journey' }),
        flow(2, { name: 'Cart recovery', status: 'PAUSED' }),
        flow(3, { name: 'Old onboarding', archived: true, status: 'STOPPED' }),
      ],
    });
    sim = s;
    const ids = (res: { json: { data: { flows: { flow_id: string }[] } } }) =>
      res.json.data.flows.map((f) => f.flow_id);
    expect(ids(await search(s, { name: 'ONBOARD' }))).toEqual([flowId(1)]);
    expect(ids(await search(s, { name: 'onboard', include_archived: true }))).toEqual([flowId(3), flowId(1)]);
    expect(ids(await search(s, { status: ['paused'] }))).toEqual([flowId(2)]);
  });

  it('refuses what the docs refuse: a limit above 100, a malformed cursor, an unknown status, teams when teams are off', async () => {
    const s = await startSim({ flows: [flow(1)] });
    sim = s;
    for (const body of [
      { limit: 101 },
      { limit: 0 },
      { cursor: 'not-a-cursor' },
      { status: ['RUNNING'] },
      { teams: ['crm'] },
    ]) {
      const res = await search(s, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('requires teams when the workspace has teams on', async () => {
    const s = await startSim({ flows: [flow(1)], flowTeams: true });
    sim = s;
    const without = await search(s, {});
    expect(without.status).toBe(400);
    expect(without.json.error.message).toBe('teams is required when the team feature is enabled');
    expect((await search(s, { teams: ['crm'] })).status).toBe(200);
  });

  it('answers one flow with its nodes: a trigger, each step an ACTION node carrying its campaign id, an NBA node naming them', async () => {
    const s = await startSim({ flows: [flow(7, { nba: true })] });
    sim = s;
    const res = await call(s, 'GET', `/v5/flows/${flowId(7)}`);
    expect(res.status).toBe(200);
    const data = res.json.data;
    expect(data).toMatchObject({ flow_id: flowId(7), name: 'Journey 07', status: 'ACTIVE', archived: false });
    const nodes = data.structure.nodes as {
      type: string;
      sub_type: string;
      config: Record<string, unknown>;
    }[];
    expect(nodes[0]).toMatchObject({ type: 'TRIGGER', parent_stage_id: null });
    const actions = nodes.filter((n) => n.type === 'ACTION' && n.sub_type !== 'NBA');
    expect(actions.map((n) => n.config)).toEqual([
      { campaign_id: 'c7a', channel: 'EMAIL', campaign_name: 'Step A of 7' },
      { campaign_id: 'c7b', channel: 'PUSH', campaign_name: 'Step B of 7' },
    ]);
    const nba = nodes.find((n) => n.sub_type === 'NBA');
    expect(((nba?.config.channels ?? []) as { campaign_id: string }[]).map((c) => c.campaign_id)).toEqual([
      'c7a',
      'c7b',
    ]);
    expect((await call(s, 'GET', `/v5/flows/${flowId(8)}`)).status).toBe(404);
    expect((await call(s, 'GET', '/v5/flows/not-a-flow-id')).status).toBe(400);
    expect((await call(s, 'GET', `/v5/flows/${flowId(7)}?version_no=2`)).status).toBe(404);
    expect((await call(s, 'GET', `/v5/flows/${flowId(7)}?version_no=1`)).status).toBe(200);
  });

  it('pauses, resumes and stops by the documented transitions, answering the new status', async () => {
    const s = await startSim({ flows: [flow(1)] });
    sim = s;
    const by = 'ops@example.com';
    const paused = await change(s, flowId(1), { action: 'pause', updated_by: by });
    expect(paused.status).toBe(200);
    expect(paused.json).toMatchObject({ type: 'flow', data: { flow_id: flowId(1), status: 'PAUSED' } });
    expect(s.flow(flowId(1))?.status).toBe('PAUSED');
    const again = await change(s, flowId(1), { action: 'pause', updated_by: by });
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({
      code: 'BAD_REQUEST',
      target: 'action',
      message: 'Cannot pause a flow that is paused.',
    });
    expect((await change(s, flowId(1), { action: 'resume', updated_by: by })).json.data.status).toBe(
      'ACTIVE',
    );
    const resumeActive = await change(s, flowId(1), { action: 'resume', updated_by: by });
    expect(resumeActive.status).toBe(409);
    expect(resumeActive.json.error.message).toBe('Cannot resume a flow that is not paused.');
    expect((await change(s, flowId(1), { action: 'stop', updated_by: by })).json.data.status).toBe('STOPPED');
    expect((await change(s, flowId(1), { action: 'stop', updated_by: by })).status).toBe(409);
    // Recorded as sent: the action in lower case, who, which flow.
    expect(s.flowRequests('v5-flows-status').map((r) => [r.flowId, r.action, r.updatedBy, r.status])).toEqual(
      [
        [flowId(1), 'pause', by, 200],
        [flowId(1), 'pause', by, 409],
        [flowId(1), 'resume', by, 200],
        [flowId(1), 'resume', by, 409],
        [flowId(1), 'stop', by, 200],
        [flowId(1), 'stop', by, 409],
      ],
    );
  });

  it('refuses an upper-case action, a missing or non-email updated_by, and a missing or non-UUID Idempotency-Key', async () => {
    const s = await startSim({ flows: [flow(1)] });
    sim = s;
    const cases: [unknown, string | null, string][] = [
      [{ action: 'PAUSE', updated_by: 'ops@example.com' }, randomUUID(), 'action'],
      [{ action: 'pause' }, randomUUID(), 'updated_by'],
      [{ action: 'pause', updated_by: 'ops' }, randomUUID(), 'updated_by'],
      [{ action: 'pause', updated_by: 'ops@example.com' }, null, 'Idempotency-Key'],
      [{ action: 'pause', updated_by: 'ops@example.com' }, 'key-1', 'Idempotency-Key'],
    ];
    for (const [body, key, target] of cases) {
      const res = await change(s, flowId(1), body, key);
      expect(res.status, target).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'VALIDATION_FAILED', target });
    }
    expect(s.flow(flowId(1))?.status).toBe('ACTIVE');
  });

  it('replays the stored answer to a repeated Idempotency-Key without applying the change again; another body under it is a 400', async () => {
    const s = await startSim({ flows: [flow(1)] });
    sim = s;
    const key = randomUUID();
    const body = { action: 'pause', updated_by: 'ops@example.com' };
    const first = await change(s, flowId(1), body, key);
    expect(first.status).toBe(200);
    // Resumed meanwhile by someone else: the replay still answers the stored pause, and pauses nothing.
    await change(s, flowId(1), { action: 'resume', updated_by: 'other@example.com' });
    const replay = await change(s, flowId(1), body, key);
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(first.text);
    expect(s.flow(flowId(1))?.status).toBe('ACTIVE');
    expect(s.flowRequests('v5-flows-status').at(-1)?.outcome).toBe('replayed');
    const other = await change(s, flowId(1), { action: 'stop', updated_by: 'ops@example.com' }, key);
    expect(other.status).toBe(400);
    expect(s.flow(flowId(1))?.status).toBe('ACTIVE');
  });

  it('answers 403 to an account without Flows, and 403 to a change from a key that may only view them', async () => {
    const s = await startSim({ flows: [flow(1)], flowsAccess: 'none' });
    sim = s;
    const none = [
      await search(s, {}),
      await call(s, 'GET', `/v5/flows/${flowId(1)}`),
      await change(s, flowId(1), { action: 'pause', updated_by: 'ops@example.com' }),
    ];
    expect(none.map((r) => r.status)).toEqual([403, 403, 403]);
    expect(none[0]?.json.error).toMatchObject({ code: 'FORBIDDEN', target: 'permission' });
    s.setFlowsAccess('read-only');
    expect((await search(s, {})).status).toBe(200);
    const write = await change(s, flowId(1), { action: 'pause', updated_by: 'ops@example.com' });
    expect(write.status).toBe(403);
    expect(write.json.error.details[0].message).toBe('Required permission: campaigns:create_manage');
    expect(s.flow(flowId(1))?.status).toBe('ACTIVE');
  });

  it('answers the documented 401 to wrong credentials', async () => {
    const s = await startSim({ flows: [flow(1)] });
    sim = s;
    const res = await call(s, 'GET', `/v5/flows/${flowId(1)}`, undefined, {
      authorization: `Basic ${Buffer.from(`${WORKSPACE_ID}:nope`).toString('base64')}`,
    });
    expect(res.status).toBe(401);
    expect(res.json.error).toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'Invalid or missing credentials.',
    });
  });

  it('counts search, get and status in one window pool by default: a 429 with Retry-After and no x-ratelimit headers', async () => {
    const s = await startSim({ flows: [flow(1)], limits: { perSecond: 2, perMinute: 100, perHour: 6_000 } });
    sim = s;
    expect((await search(s, {})).status).toBe(200);
    expect((await call(s, 'GET', `/v5/flows/${flowId(1)}`)).status).toBe(200);
    const third = await change(s, flowId(1), { action: 'pause', updated_by: 'ops@example.com' });
    expect(third.status).toBe(429);
    expect(third.json.error.code).toBe('RATE_LIMITED');
    expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(third.headers['x-ratelimit-limit']).toBeUndefined();
    // The campaign APIs' windows are their own.
    const campaigns = await call(
      s,
      'POST',
      '/v5/campaigns/search',
      { limit: 15, page: 1 },
      { 'idempotency-key': randomUUID() },
    );
    expect(campaigns.status).toBe(200);
  });

  it('counts each flow endpoint on its own with flowPools: per-endpoint', async () => {
    const s = await startSim({
      flows: [flow(1)],
      limits: { perSecond: 2, perMinute: 100, perHour: 6_000 },
      flowPools: 'per-endpoint',
    });
    sim = s;
    const statuses = [
      (await search(s, {})).status,
      (await search(s, {})).status,
      (await call(s, 'GET', `/v5/flows/${flowId(1)}`)).status,
      (await change(s, flowId(1), { action: 'pause', updated_by: 'ops@example.com' })).status,
      (await search(s, {})).status,
    ];
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });

  it('takes faults for the flow endpoints apart from the campaign ones', async () => {
    const s = await startSim({ flows: [flow(1)], campaigns: seedCampaigns({ count: 2 }) });
    sim = s;
    s.inject({ kind: 'status', status: 503, api: 'flows-status' });
    s.inject({ kind: 'status', status: 500, api: 'flows' });
    expect((await search(s, {})).status).toBe(500);
    const failed = await change(s, flowId(1), { action: 'pause', updated_by: 'ops@example.com' });
    expect(failed.status).toBe(503);
    expect(failed.json.error.code).toBe('INTERNAL_ERROR');
    expect(s.flow(flowId(1))?.status).toBe('ACTIVE');
    expect((await change(s, flowId(1), { action: 'pause', updated_by: 'ops@example.com' })).status).toBe(200);
  });

  it('makes flows from the campaigns that are their steps', () => {
    const campaigns = seedCampaigns({ count: 4 }).map((c, i) => ({
      ...c,
      ...(i < 3 ? { flow: { id: flowId(i % 2), name: `Flow ${i % 2}` } } : {}),
    }));
    const flows = flowsFromCampaigns(campaigns);
    expect(flows.map((f) => [f.id, f.status, f.steps.map((s) => s.campaignId)])).toEqual([
      [flowId(0), 'ACTIVE', ['camp_001', 'camp_003']],
      [flowId(1), 'ACTIVE', ['camp_002']],
    ]);
  });

  it('fails loudly on a flow path it does not serve', async () => {
    const s = await startSim({ flows: [flow(1)] });
    sim = s;
    const res = await call(s, 'DELETE' as 'GET', `/v5/flows/${flowId(1)}`);
    expect(res.status).toBe(404);
    expect(s.requests.at(-1)).toMatchObject({ outcome: 'not_found', api: undefined });
  });
});
