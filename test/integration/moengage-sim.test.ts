import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import type { MoEngageSim } from '../../src/sandbox/moengage-sim.ts';
import { API_KEY, startSim, WORKSPACE_ID } from '../support/fixtures.ts';

const AUTH = `Basic ${Buffer.from(`${WORKSPACE_ID}:${API_KEY}`).toString('base64')}`;
const PATH = '/core-services/v1/campaigns/status';

async function post(sim: MoEngageSim, body: unknown, headers: Record<string, string> = {}) {
  const res = await request(`${sim.url}${PATH}`, {
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
    expect(await faults.body.json()).toEqual({ ok: true, queued: 2 });
    const campaigns = await request(`${sim.url}/_sim/campaigns`);
    expect(((await campaigns.body.json()) as unknown[]).length).toBe(14);
    expect((await post(sim, { request_id: 'x', action: 'PAUSE', campaign_ids: ['camp_001'] })).status).toBe(
      502,
    );
    const recorded = await request(`${sim.url}/_sim/requests`);
    expect(await recorded.body.json()).toMatchObject([{ status: 502, outcome: 'fault', requestId: 'x' }]);
  });
});
