import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import type { MoEngageSim } from '../../src/sandbox/moengage-sim.ts';
import { API_KEY, startSim, WORKSPACE_ID } from '../support/fixtures.ts';

const AUTH = `Basic ${Buffer.from(`${WORKSPACE_ID}:${API_KEY}`).toString('base64')}`;
const PATH = '/core-services/v1/campaigns/status';

async function post(
  sim: MoEngageSim,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
) {
  const res = await request(`${sim.url}${PATH}`, {
    signal,
    method: 'POST',
    headers: {
      authorization: AUTH,
      'moe-appkey': WORKSPACE_ID,
      'content-type': 'application/json',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

/** Polls `ok` until it holds, failing after `ms`. */
async function until(ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('MoEngage simulator contract', () => {
  let sim: MoEngageSim;
  beforeEach(async () => {
    sim = await startSim({
      campaigns: [
        ...seedCampaigns({ count: 12 }),
        ...seedCampaigns({ count: 2, prefix: 'once_', type: 'ONE_TIME', status: 'SCHEDULED' }),
      ],
      limits: { perSecond: 3, perMinute: 100, perHour: 6_000 },
    });
  });
  afterEach(() => sim.close());

  it('answers a valid change with 200 and no body, and applies it', async () => {
    const res = await post(sim, { request_id: 'r1', action: 'STOP', campaign_ids: ['once_001'] });
    expect(res).toMatchObject({ status: 200, text: '' });
    expect(sim.campaign('once_001')?.status).toBe('STOPPED');
  });

  it('refuses a wrong key or a missing MOE-APPKEY with the documented 401 body', async () => {
    const wrongKey = await post(
      sim,
      { request_id: 'r', action: 'PAUSE', campaign_ids: ['camp_001'] },
      {
        authorization: `Basic ${Buffer.from(`${WORKSPACE_ID}:nope`).toString('base64')}`,
      },
    );
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.json).toEqual({
      error: {
        code: '401 Authentication error',
        message: 'Authentication required',
        details: [
          { code: 'InvalidValue', target: 'APP_SECRET_KEY', message: 'Invalid APP_SECRET_KEY is provided.' },
        ],
        request_id: '',
      },
    });
    const noAppKey = await post(
      sim,
      { request_id: 'r', action: 'PAUSE', campaign_ids: ['camp_001'] },
      {
        'moe-appkey': '',
      },
    );
    expect(noAppKey.status).toBe(401);
    expect(sim.campaign('camp_001')?.status).toBe('ACTIVE');
    expect(sim.requests.map((r) => r.auth)).toEqual(['invalid', 'valid']);
  });

  it('validates the body with the documented 400 shape', async () => {
    const missing = await post(sim, { action: 'PAUSE', campaign_ids: ['camp_001'] });
    expect(missing.status).toBe(400);
    expect(missing.json).toEqual({
      error: {
        code: '400 Bad Request',
        message: 'request_id key is mandatory field',
        target: 'request_id',
        details: [{ target: 'request_id', message: 'request_id key is mandatory field' }],
        request_id: '',
      },
    });
    const cases = [
      [{ request_id: 'a', action: 'DELETE', campaign_ids: ['camp_001'] }, 'action'],
      [{ request_id: 'a', action: 'PAUSE', campaign_ids: [] }, 'campaign_ids'],
      [
        { request_id: 'a', action: 'PAUSE', campaign_ids: seedCampaigns({ count: 11 }).map((c) => c.id) },
        'campaign_ids',
      ],
      ['not json', 'body'],
    ] as const;
    for (const [body, target] of cases) {
      await new Promise((r) => setTimeout(r, 350));
      const res = await post(sim, body);
      expect(res.status).toBe(400);
      expect(res.json.error.target).toBe(target);
    }
    expect(sim.campaign('camp_001')?.status).toBe('ACTIVE');
  });

  it('rejects a whole request when one id is unknown or in the wrong state, applying nothing', async () => {
    const res = await post(sim, {
      request_id: 'r9',
      action: 'PAUSE',
      campaign_ids: ['camp_001', 'ghost', 'once_001'],
    });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toBe('2 of 3 campaigns cannot be paused');
    expect(res.json.error.request_id).toBe('r9');
    expect(res.json.error.details).toEqual([
      { target: 'ghost', message: 'Campaign ghost not found' },
      {
        target: 'once_001',
        message:
          'Campaign once_001 cannot be paused: only periodic and triggered campaigns can be paused, and it is scheduled (one-time)',
      },
    ]);
    expect(sim.campaign('camp_001')?.status).toBe('ACTIVE');
  });

  it('returns 429 past the sliding window, with x-ratelimit headers, and lets the next window through', async () => {
    const body = (i: number) => ({ request_id: `r${i}`, action: 'PAUSE', campaign_ids: [`camp_00${i}`] });
    const first = await Promise.all([1, 2, 3, 4].map((i) => post(sim, body(i))));
    expect(first.map((r) => r.status).sort()).toEqual([200, 200, 200, 429]);
    const limited = first.find((r) => r.status === 429);
    expect(limited?.json.error).toMatchObject({ code: '429 conflict', message: 'rate_limit' });
    expect(limited?.headers['x-ratelimit-limit']).toBe('3');
    const reset = Number(limited?.headers['x-ratelimit-reset']) * 1000;
    expect(reset).toBeGreaterThan(Date.now());
    expect(reset).toBeLessThanOrEqual(Date.now() + 2_000);
    await new Promise((r) => setTimeout(r, reset - Date.now() + 10));
    expect((await post(sim, body(5))).status).toBe(200);
  });

  it('plays scripted faults in order and records arrival times', async () => {
    sim.failNext(1, 503);
    sim.resetNext(1);
    const ok = { request_id: 'f', action: 'PAUSE', campaign_ids: ['camp_010'] };
    expect((await post(sim, ok)).status).toBe(503);
    await expect(post(sim, ok)).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 700));
    expect((await post(sim, ok)).status).toBe(200);
    expect(sim.requests.map((r) => r.outcome)).toEqual(['fault', 'reset', 'applied']);
    const at = sim.requests.map((r) => r.at);
    expect((at[2] as number) - (at[0] as number)).toBeGreaterThanOrEqual(690);
  });

  it('applies a request at once and answers it late, to nobody when the client stopped waiting', async () => {
    sim.inject({ kind: 'late', ms: 1_000 });
    const ok = { request_id: 'late', action: 'PAUSE', campaign_ids: ['camp_011'] };
    await expect(post(sim, ok, {}, AbortSignal.timeout(100))).rejects.toThrow();
    // Changed though nobody heard it: the unpleasant part.
    expect(sim.campaign('camp_011')?.status).toBe('PAUSED');
    expect(sim.requests[0]).toMatchObject({ outcome: 'applied', late: true });
    await until(() => sim.requests[0]?.status === undefined && sim.requests[0]?.late === true);
  });

  it('answers a late request when the client waits for it', async () => {
    sim.inject({ kind: 'late', ms: 100 });
    const started = performance.now();
    const res = await post(sim, { request_id: 'l', action: 'PAUSE', campaign_ids: ['camp_012'] });
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('holds a request unanswered and unapplied until the client gives up', async () => {
    sim.inject({ kind: 'hang' });
    const ok = { request_id: 'h', action: 'PAUSE', campaign_ids: ['camp_009'] };
    await expect(post(sim, ok, {}, AbortSignal.timeout(150))).rejects.toThrow();
    expect(sim.campaign('camp_009')?.status).toBe('ACTIVE');
    expect(sim.requests[0]).toMatchObject({ outcome: 'abandoned', status: undefined });
  });

  it('plays a standing fault to every request until it lapses or is cleared (a 503 storm)', async () => {
    sim.inject({ kind: 'status', status: 503, forMs: 60_000 });
    const ok = { request_id: 's', action: 'PAUSE', campaign_ids: ['camp_008'] };
    for (let i = 0; i < 3; i++) expect((await post(sim, ok)).status).toBe(503);
    sim.clearFaults();
    expect((await post(sim, ok)).status).toBe(200);
    // One that lapses by itself.
    sim.inject({ kind: 'status', status: 503, forMs: 200 });
    const body = { request_id: 't', action: 'PAUSE', campaign_ids: ['camp_007'] };
    expect((await post(sim, body)).status).toBe(503);
    await until(async () => (await post(sim, body)).status === 200);
    expect(sim.campaign('camp_007')?.status).toBe('PAUSED');
  });

  it('answers an unknown route with 404 and records it', async () => {
    const res = await request(`${sim.url}/v1/whatever`, { method: 'GET' });
    expect(res.statusCode).toBe(404);
    await res.body.text();
    expect(sim.requests[0]).toMatchObject({ path: '/v1/whatever', outcome: 'not_found' });
  });

  it('exposes its state and faults over /_sim for a bot in another process', async () => {
    const faults = await request(`${sim.url}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'status', status: 502, count: 2 }),
    });
    expect(await faults.body.json()).toEqual({ ok: true, queued: 2, standing: 0 });
    const campaigns = await request(`${sim.url}/_sim/campaigns`);
    expect(((await campaigns.body.json()) as unknown[]).length).toBe(14);
    expect((await post(sim, { request_id: 'x', action: 'PAUSE', campaign_ids: ['camp_001'] })).status).toBe(
      502,
    );
    const recorded = await request(`${sim.url}/_sim/requests`);
    expect(await recorded.body.json()).toMatchObject([{ status: 502, outcome: 'fault', requestId: 'x' }]);
  });
});

async function call(
  sim: MoEngageSim,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const res = await request(`${sim.url}${path}`, {
    method: method as 'POST' | 'PATCH',
    headers: { authorization: AUTH, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

const v5Status = (sim: MoEngageSim, id: string, body: unknown, key: string | null = randomUUID()) =>
  call(sim, 'PATCH', `/v5/campaigns/${id}/status`, body, key === null ? {} : { 'idempotency-key': key });

describe('MoEngage simulator contract: V5 status and campaign search', () => {
  let sim: MoEngageSim;
  beforeEach(async () => {
    sim = await startSim({
      campaigns: [
        ...seedCampaigns({ count: 3 }),
        ...seedCampaigns({ count: 2, prefix: 'once_', type: 'ONE_TIME', status: 'ACTIVE' }),
        ...seedCampaigns({ count: 1, prefix: 'paused_', status: 'PAUSED' }),
        {
          id: 'dash_001',
          name: 'Black Friday (dashboard)',
          type: 'PERIODIC',
          channel: 'EMAIL',
          status: 'ACTIVE',
          createdVia: 'dashboard',
        },
      ],
    });
  });
  afterEach(() => sim.close());

  it('applies a V5 PATCH with the documented 200 body and x-ratelimit headers; MOE-APPKEY is optional', async () => {
    const res = await v5Status(sim, 'camp_001', { action: 'PAUSE', request_id: 'trace-1' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ type: 'campaign', data: { id: 'camp_001', action: 'PAUSE' } });
    expect(typeof res.json.response_id).toBe('string');
    expect(sim.campaign('camp_001')?.status).toBe('PAUSED');
    expect(res.headers['x-ratelimit-limit']).toBe('100');
    expect(res.headers['x-ratelimit-remaining']).toBe('99');
    // V5's file: seconds until the window resets (not an epoch).
    expect(Number(res.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(60);
  });

  it('replays the same answer for a repeated Idempotency-Key without applying twice, and refuses it with another body', async () => {
    const key = randomUUID();
    const first = await v5Status(sim, 'camp_002', { action: 'PAUSE' }, key);
    const again = await v5Status(sim, 'camp_002', { action: 'PAUSE' }, key);
    expect(first.status).toBe(200);
    expect(again).toMatchObject({ status: 200, text: first.text });
    expect(sim.statusRequests().map((r) => r.outcome)).toEqual(['applied', 'replayed']);
    const other = await v5Status(sim, 'camp_002', { action: 'RESUME' }, key);
    expect(other.status).toBe(400);
    expect(other.json.error.code).toBe('BAD_REQUEST');
    expect(sim.campaign('camp_002')?.status).toBe('PAUSED');
  });

  it('requires a UUID v4 Idempotency-Key', async () => {
    expect((await v5Status(sim, 'camp_003', { action: 'PAUSE' }, null)).json.error.code).toBe(
      'VALIDATION_FAILED',
    );
    expect((await v5Status(sim, 'camp_003', { action: 'PAUSE' }, 'not-a-uuid')).status).toBe(400);
    expect(sim.campaign('camp_003')?.status).toBe('ACTIVE');
  });

  it('answers the documented 422s: STOP on a periodic campaign, PAUSE of a paused one, RESUME of an active one', async () => {
    const stop = await v5Status(sim, 'camp_001', { action: 'STOP' });
    expect(stop.status).toBe(422);
    expect(stop.json.error).toMatchObject({
      code: 'UNPROCESSABLE_ENTITY',
      message: 'Action STOP is not valid for a PERIODIC campaign',
    });
    expect((await v5Status(sim, 'paused_001', { action: 'PAUSE' })).json.error.message).toBe(
      'Campaign is not in ACTIVE, SCHEDULED or SENDING state',
    );
    expect((await v5Status(sim, 'camp_001', { action: 'RESUME' })).status).toBe(422);
    // V5 stops an active one-time campaign (V1 cannot).
    expect((await v5Status(sim, 'once_001', { action: 'STOP' })).status).toBe(200);
  });

  it('refuses a dashboard-created campaign on V1 and changes it on V5', async () => {
    const v1 = await post(sim, { request_id: 'r', action: 'PAUSE', campaign_ids: ['dash_001'] });
    expect(v1.status).toBe(400);
    expect(v1.json.error.message).toContain('created in the dashboard');
    expect(sim.campaign('dash_001')?.status).toBe('ACTIVE');
    expect((await v5Status(sim, 'dash_001', { action: 'PAUSE' })).status).toBe(200);
  });

  it('applies a request and then drops its answer when told to', async () => {
    sim.inject({ kind: 'drop' });
    await expect(v5Status(sim, 'camp_003', { action: 'PAUSE' })).rejects.toThrow();
    expect(sim.campaign('camp_003')?.status).toBe('PAUSED');
    expect(sim.statusRequests()[0]?.outcome).toBe('dropped');
  });

  it('searches one id per V1 call (a bare array, statuses spelled "Active") and many per V5 call', async () => {
    const v1 = await call(
      sim,
      'POST',
      '/core-services/v1/campaigns/search',
      {
        request_id: 's1',
        page: 1,
        limit: 15,
        campaign_fields: { id: 'camp_001' },
      },
      { 'moe-appkey': WORKSPACE_ID },
    );
    expect(v1.status).toBe(200);
    expect(v1.json).toEqual([
      expect.objectContaining({
        campaign_id: 'camp_001',
        status: 'Active',
        channel: 'PUSH',
        campaign_delivery_type: 'PERIODIC',
        basic_details: { name: 'periodic push 001' },
      }),
    ]);
    expect(
      (
        await call(
          sim,
          'POST',
          '/core-services/v1/campaigns/search',
          { request_id: 's2', page: 1, campaign_fields: { id: 'nope' } },
          { 'moe-appkey': WORKSPACE_ID },
        )
      ).json,
    ).toEqual([]);
    expect(
      (
        await call(
          sim,
          'POST',
          '/core-services/v1/campaigns/search',
          { request_id: 's3', campaign_fields: { id: 'camp_001' } },
          { 'moe-appkey': WORKSPACE_ID },
        )
      ).status,
    ).toBe(400);
    const v5 = await call(
      sim,
      'POST',
      '/v5/campaigns/search',
      { campaign_fields: { ids: ['camp_001', 'paused_001', 'nope'] }, limit: 10, page: 1 },
      { 'idempotency-key': randomUUID() },
    );
    expect(v5.status).toBe(200);
    expect(
      v5.json.data.campaigns.map((c: { campaign_id: string; status: string }) => [c.campaign_id, c.status]),
    ).toEqual([
      ['camp_001', 'Active'],
      ['paused_001', 'Paused'],
    ]);
    expect(sim.searchRequests()).toHaveLength(4);
    expect(sim.statusRequests()).toHaveLength(0);
  });

  it('takes at most 15 campaigns a V5 search page and requires limit, page and an Idempotency-Key', async () => {
    const search = (body: unknown, key: string | null = randomUUID()) =>
      call(sim, 'POST', '/v5/campaigns/search', body, key === null ? {} : { 'idempotency-key': key });
    const over = await search({ campaign_fields: { status: ['ACTIVE'] }, limit: 16, page: 1 });
    expect(over.status).toBe(400);
    expect(over.json.error).toMatchObject({ code: 'VALIDATION_FAILED', target: 'limit' });
    expect(over.json.error.message).toContain('between 1 and 15');
    expect((await search({ campaign_fields: {}, limit: 100, page: 1 })).status).toBe(400);
    expect((await search({ campaign_fields: {}, page: 1 })).json.error.target).toBe('limit');
    expect((await search({ campaign_fields: {}, limit: 15 })).json.error.target).toBe('page');
    const keyless = await search({ campaign_fields: {}, limit: 15, page: 1 }, null);
    expect(keyless.status).toBe(400);
    expect(keyless.json.error).toMatchObject({ code: 'VALIDATION_FAILED', target: 'Idempotency-Key' });
    const ok = await search({ campaign_fields: {}, limit: 15, page: 1 });
    expect(ok.status).toBe(200);
    // No total: the caller pages until a page holds fewer rows than it asked for.
    expect(Object.keys(ok.json.data)).toEqual(['campaigns']);
    expect(ok.json.data.campaigns).toHaveLength(7);
  });

  it('replays a V5 search key: the same page again, whatever is asked and however the campaigns changed', async () => {
    const key = randomUUID();
    const body = (page: number) => ({ campaign_fields: { status: ['ACTIVE'] }, limit: 2, page });
    const first = await call(sim, 'POST', '/v5/campaigns/search', body(1), { 'idempotency-key': key });
    const ids = (r: { json: { data: { campaigns: { campaign_id: string }[] } } }) =>
      r.json.data.campaigns.map((c) => c.campaign_id);
    expect(ids(first)).toEqual(['camp_001', 'camp_002']);
    await v5Status(sim, 'camp_001', { action: 'PAUSE' });
    const next = await call(sim, 'POST', '/v5/campaigns/search', body(2), { 'idempotency-key': key });
    expect(next.text).toBe(first.text);
    expect(sim.searchRequests().map((r) => r.outcome)).toEqual(['found', 'replayed']);
    const fresh = await call(sim, 'POST', '/v5/campaigns/search', body(1), {
      'idempotency-key': randomUUID(),
    });
    expect(ids(fresh)).toEqual(['camp_002', 'camp_003']);
  });

  it('answers V5 search rows with only `id` when told to (the migration guide’s shape)', async () => {
    const bare = await startSim({ campaigns: seedCampaigns({ count: 2 }), v5SearchRows: 'id-only' });
    try {
      const res = await call(
        bare,
        'POST',
        '/v5/campaigns/search',
        { campaign_fields: {}, limit: 15, page: 1 },
        { 'idempotency-key': randomUUID() },
      );
      expect(res.json.data.campaigns).toEqual([{ id: 'camp_001' }, { id: 'camp_002' }]);
    } finally {
      await bare.close();
    }
  });

  it('answers 403 "contact your CSM" where the account has no campaign search', async () => {
    const closed = await startSim({ campaigns: seedCampaigns({ count: 1 }), searchEnabled: false });
    try {
      const res = await call(
        closed,
        'POST',
        '/v5/campaigns/search',
        { campaign_fields: { ids: ['camp_001'] }, limit: 15, page: 1 },
        { 'idempotency-key': randomUUID() },
      );
      expect(res.status).toBe(403);
      expect(res.json.error.message).toContain('contact your CSM');
      // Turned on (and off) at run time, over /_sim as well.
      const on = await request(`${closed.url}/_sim/search`, { method: 'PUT', body: '{"enabled":true}' });
      expect(await on.body.json()).toEqual({ ok: true, enabled: true });
      const again = await call(
        closed,
        'POST',
        '/v5/campaigns/search',
        { campaign_fields: { ids: ['camp_001'] }, limit: 15, page: 1 },
        { 'idempotency-key': randomUUID() },
      );
      expect(again.status).toBe(200);
    } finally {
      await closed.close();
    }
  });
});
