import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { catalogCampaigns } from '../../src/sandbox/campaign-catalog.ts';
import { type SimCampaign, seedCampaigns } from '../../src/sandbox/campaigns.ts';
import type { MoEngageSim } from '../../src/sandbox/moengage-sim.ts';
import { API_KEY, startSim, WORKSPACE_ID } from '../support/fixtures.ts';

const AUTH = `Basic ${Buffer.from(`${WORKSPACE_ID}:${API_KEY}`).toString('base64')}`;

type Row = Record<string, unknown> & {
  campaign_id: string;
  basic_details: { name: string; tags?: string[] };
};

async function post(sim: MoEngageSim, path: string, body: unknown, headers: Record<string, string>) {
  const res = await request(`${sim.url}${path}`, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
}

/** One V1 search page: a bare array of rows. */
async function v1(sim: MoEngageSim, fields: Record<string, unknown>, page = 1, extra = {}) {
  const body = { request_id: randomUUID(), limit: 15, page, campaign_fields: fields, ...extra };
  const res = await post(sim, '/core-services/v1/campaigns/search', body, { 'moe-appkey': WORKSPACE_ID });
  return { status: res.status, rows: res.status === 200 ? (res.json as Row[]) : [], json: res.json };
}

/** One V5 search page, with a fresh Idempotency-Key (a reused one would replay the old page). */
async function v5(sim: MoEngageSim, fields: Record<string, unknown>, page = 1, extra = {}) {
  const body = { limit: 15, page, campaign_fields: fields, ...extra };
  const res = await post(sim, '/v5/campaigns/search', body, { 'idempotency-key': randomUUID() });
  return {
    status: res.status,
    rows: res.status === 200 ? (res.json.data.campaigns as Row[]) : [],
    json: res.json,
  };
}

/** Every page until one holds fewer than 15 rows: there is no total. */
async function everyPage(search: (page: number) => Promise<{ rows: Row[] }>) {
  const sizes: number[] = [];
  const rows: Row[] = [];
  for (let page = 1; ; page++) {
    const got = (await search(page)).rows;
    sizes.push(got.length);
    rows.push(...got);
    if (got.length < 15) return { sizes, rows };
  }
}

const names = (rows: Row[]) => rows.map((r) => r.basic_details.name);

const campaign = (id: string, name: string, more: Partial<SimCampaign> = {}): SimCampaign => ({
  id,
  name,
  type: 'PERIODIC',
  channel: 'PUSH',
  status: 'ACTIVE',
  ...more,
});

const NAMED: SimCampaign[] = [
  campaign('bf_push', 'Black Friday | Price drop | Push | IN', { tags: ['promo', 'festive'] }),
  campaign('bf_mail', 'black friday teaser', { channel: 'EMAIL', tags: ['promo'] }),
  campaign('cyber', 'Cyber Monday reminder'),
  campaign('ete', 'Été – Soldes | Email | FR', { channel: 'EMAIL' }),
  campaign('sms_otp', 'Payment failed SMS', { channel: 'SMS', tags: ['transactional'] }),
  campaign('flow_step', 'Onboarding – Day 3 – Email', {
    channel: 'EMAIL',
    type: 'EVENT_TRIGGERED',
    flow: { id: '65a1f0c2e4b0a1b2c3d4e5f6', name: 'Onboarding journey (IN)' },
  }),
  campaign('child_run', 'Weekly digest', { parentId: 'weekly_parent' }),
  campaign('old', 'Black Friday 2024 (archived)', { archived: true }),
];

let sim: MoEngageSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('MoEngage simulator: names, tags and flows in the campaign search', () => {
  it('matches part of a name on V5, in any case, and folds no accents', async () => {
    sim = await startSim({ campaigns: NAMED });
    expect(names((await v5(sim, { name: 'FRIDAY' })).rows)).toEqual([
      'Black Friday | Price drop | Push | IN',
      'black friday teaser',
    ]);
    expect(names((await v5(sim, { name: 'été' })).rows)).toEqual(['Été – Soldes | Email | FR']);
    // MoEngage does not say it folds accents: the simulator does not.
    expect((await v5(sim, { name: 'ete' })).rows).toEqual([]);
  });

  it('matches a whole name exactly on V1 by default, and part of one when told to', async () => {
    sim = await startSim({ campaigns: NAMED });
    expect((await v1(sim, { name: 'Black Friday' })).rows).toEqual([]);
    expect((await v1(sim, { name: 'black friday | price drop | push | in' })).rows).toEqual([]);
    expect(names((await v1(sim, { name: 'Black Friday | Price drop | Push | IN' })).rows)).toEqual([
      'Black Friday | Price drop | Push | IN',
    ]);

    sim.setNameMatch('partial');
    expect(names((await v1(sim, { name: 'black FRIDAY' })).rows)).toEqual([
      'Black Friday | Price drop | Push | IN',
      'black friday teaser',
    ]);
    // Switched back over /_sim, as a bot in another process would.
    const res = await request(`${sim.url}/_sim/name-match`, { method: 'PUT', body: '{"nameMatch":"exact"}' });
    expect(await res.body.json()).toEqual({ ok: true, nameMatch: 'exact' });
    expect((await v1(sim, { name: 'black FRIDAY' })).rows).toEqual([]);
  });

  it('starts with V1 partial when asked, and V5 stays partial whatever V1 does', async () => {
    sim = await startSim({ campaigns: NAMED, nameMatch: 'partial' });
    expect(names((await v1(sim, { name: 'monday' })).rows)).toEqual(['Cyber Monday reminder']);
    sim.setNameMatch('exact');
    expect(names((await v5(sim, { name: 'monday' })).rows)).toEqual(['Cyber Monday reminder']);
  });

  it('refuses a name that is not a string, with each version’s 400', async () => {
    sim = await startSim({ campaigns: NAMED });
    const old = await v1(sim, { name: ['Black Friday'] });
    expect(old.status).toBe(400);
    expect(old.json.error).toMatchObject({ code: '400 Bad Request', target: 'campaign_fields.name' });
    const next = await v5(sim, { name: 42 });
    expect(next.status).toBe(400);
    expect(next.json.error).toMatchObject({ code: 'VALIDATION_FAILED', target: 'campaign_fields.name' });
  });

  it('pages a name search by 15 with no total, on V1 and V5 alike', async () => {
    const fleet = [
      ...seedCampaigns({ count: 40, prefix: 'sale_' }).map((c) => ({ ...c, name: `Mega Sale ${c.id}` })),
      ...seedCampaigns({ count: 15, prefix: 'flash_' }).map((c) => ({ ...c, name: `Flash deal ${c.id}` })),
      ...seedCampaigns({ count: 5, prefix: 'other_' }),
    ];
    sim = await startSim({ campaigns: fleet, nameMatch: 'partial' });
    const s = sim;
    for (const search of [v1, v5]) {
      const { sizes, rows } = await everyPage((page) => search(s, { name: 'mega sale' }, page));
      expect(sizes).toEqual([15, 15, 10]);
      expect(new Set(rows.map((r) => r.campaign_id)).size).toBe(40);
      expect(rows.every((r) => r.basic_details.name.startsWith('Mega Sale'))).toBe(true);
    }
    // Exactly 15 matches: a full page, then an empty one (the only way to know the end).
    const { sizes } = await everyPage((page) => v5(s, { name: 'flash deal' }, page));
    expect(sizes).toEqual([15, 0]);
    const limit16 = await post(
      s,
      '/core-services/v1/campaigns/search',
      { request_id: 'r', limit: 16, page: 1, campaign_fields: {} },
      { 'moe-appkey': WORKSPACE_ID },
    );
    expect(limit16.status).toBe(400);
  });

  it('answers tags in the rows and filters by any of the asked tags', async () => {
    sim = await startSim({ campaigns: NAMED });
    const { rows } = await v5(sim, { tags: ['festive', 'transactional'] });
    expect(rows.map((r) => [r.campaign_id, r.basic_details.tags])).toEqual([
      ['bf_push', ['promo', 'festive']],
      ['sms_otp', ['transactional']],
    ]);
    expect((await v1(sim, { tags: ['promo'] })).rows.map((r) => r.campaign_id)).toEqual([
      'bf_push',
      'bf_mail',
    ]);
    // A campaign without tags answers as before: basic_details holds the name alone.
    expect((await v1(sim, { id: 'cyber' })).rows[0]?.basic_details).toEqual({
      name: 'Cyber Monday reminder',
    });
  });

  it('lists flow steps and periodic children only with include_child_campaigns, then with their flow or parent', async () => {
    sim = await startSim({ campaigns: NAMED });
    const plain = await v1(sim, {});
    expect(plain.rows.map((r) => r.campaign_id)).not.toContain('flow_step');
    expect(plain.rows.map((r) => r.campaign_id)).not.toContain('child_run');
    // Left out even when asked for by id.
    expect((await v1(sim, { id: 'flow_step' })).rows).toEqual([]);
    expect((await v5(sim, { ids: ['flow_step', 'cyber'] })).rows.map((r) => r.campaign_id)).toEqual([
      'cyber',
    ]);

    const withChildren = await v1(sim, {}, 1, { include_child_campaigns: true });
    const step = withChildren.rows.find((r) => r.campaign_id === 'flow_step');
    expect(step).toMatchObject({ flow_id: '65a1f0c2e4b0a1b2c3d4e5f6', flow_name: 'Onboarding journey (IN)' });
    expect(withChildren.rows.find((r) => r.campaign_id === 'child_run')).toMatchObject({
      parent_id: 'weekly_parent',
    });
    const onV5 = await v5(sim, { ids: ['flow_step'] }, 1, { include_child_campaigns: true });
    expect(onV5.rows[0]).toMatchObject({ campaign_id: 'flow_step', flow_name: 'Onboarding journey (IN)' });
    // Rows of campaigns outside a flow carry no flow fields.
    expect(withChildren.rows.find((r) => r.campaign_id === 'cyber')).not.toHaveProperty('flow_id');
  });

  it('leaves archived campaigns out unless asked, under either documented spelling', async () => {
    sim = await startSim({ campaigns: NAMED, nameMatch: 'partial' });
    expect(names((await v1(sim, { name: 'Black Friday' })).rows)).not.toContain(
      'Black Friday 2024 (archived)',
    );
    for (const flag of ['include_archive_campaigns', 'include_archived_campaigns']) {
      expect(names((await v5(sim, { name: 'Black Friday' }, 1, { [flag]: true })).rows)).toContain(
        'Black Friday 2024 (archived)',
      );
    }
  });

  it('filters V5 by campaign_delivery_type, and silently answers nothing for V1’s delivery_type', async () => {
    const fleet = [
      ...seedCampaigns({ count: 3, prefix: 'p_' }),
      ...seedCampaigns({ count: 2, prefix: 'o_', type: 'ONE_TIME', status: 'SCHEDULED' }),
    ];
    sim = await startSim({ campaigns: fleet });
    const ids = async (fields: Record<string, unknown>) =>
      (await v5(sim as MoEngageSim, fields)).rows.map((r) => r.campaign_id);
    expect(await ids({ campaign_delivery_type: ['ONE_TIME'] })).toEqual(['o_001', 'o_002']);
    const trap = await v5(sim, { delivery_type: ['ONE_TIME'] });
    expect(trap.status).toBe(200);
    expect(trap.rows).toEqual([]);
    expect((await v1(sim, { delivery_type: ['PERIODIC'] })).rows).toHaveLength(3);
  });

  it('lists SMS campaigns, which neither status API changes', async () => {
    sim = await startSim({ campaigns: NAMED });
    expect((await v1(sim, {}, 1, {})).rows.find((r) => r.campaign_id === 'sms_otp')).toMatchObject({
      channel: 'SMS',
    });
    expect((await v5(sim, { channels: ['SMS'] })).rows.map((r) => r.campaign_id)).toEqual(['sms_otp']);
    const v1Status = await post(
      sim,
      '/core-services/v1/campaigns/status',
      { request_id: 'r1', action: 'PAUSE', campaign_ids: ['sms_otp'] },
      { 'moe-appkey': WORKSPACE_ID },
    );
    expect(v1Status.status).toBe(400);
    expect(v1Status.json.error.message).toContain('only Email and Push campaigns');
    const res = await request(`${sim.url}/v5/campaigns/sms_otp/status`, {
      method: 'PATCH',
      headers: { authorization: AUTH, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ action: 'PAUSE' }),
    });
    expect(res.statusCode).toBe(422);
    expect(((await res.body.json()) as { error: { message: string } }).error.message).toBe(
      'Action PAUSE is not valid for a SMS campaign',
    );
    expect(sim.campaign('sms_otp')?.status).toBe('ACTIVE');
  });
});

describe('MoEngage simulator: a large catalog', () => {
  it('generates 20,000 realistic campaigns fast, the same for the same seed', () => {
    const started = performance.now();
    const catalog = catalogCampaigns({ count: 20_000 });
    const ms = performance.now() - started;
    // Generous for a shared, busy machine: it takes about 0.2 s of CPU.
    expect(ms).toBeLessThan(5_000);
    expect(catalog).toHaveLength(20_000);
    expect(catalog.every((c) => /^[0-9a-f]{24}$/.test(c.id))).toBe(true);
    expect(new Set(catalog.map((c) => c.id)).size).toBe(20_000);
    expect(catalogCampaigns({ count: 20_000 })).toEqual(catalog);
    expect(catalogCampaigns({ count: 50, seed: 2 })[0]?.name).not.toBe(
      catalogCampaigns({ count: 50 })[0]?.name,
    );

    const share = (p: (c: SimCampaign) => boolean) => catalog.filter(p).length / catalog.length;
    for (const channel of ['EMAIL', 'PUSH', 'SMS'] as const)
      expect(share((c) => c.channel === channel)).toBeGreaterThan(0.1);
    for (const status of ['ACTIVE', 'PAUSED', 'SCHEDULED', 'SENT', 'STOPPED'] as const)
      expect(share((c) => c.status === status)).toBeGreaterThan(0.01);
    expect(share((c) => c.flow !== undefined)).toBeGreaterThan(0.05);
    expect(share((c) => c.archived === true)).toBeGreaterThan(0.01);
    expect(share((c) => (c.tags?.length ?? 0) > 0)).toBeGreaterThan(0.5);
    expect(share((c) => c.name.startsWith('Copy of '))).toBeGreaterThan(0.005);
    // Names people would type part of, some accented, and some shared by several campaigns.
    expect(catalog.some((c) => /[éñ]/.test(c.name))).toBe(true);
    expect(catalog.filter((c) => /black friday/i.test(c.name)).length).toBeGreaterThan(100);
    expect(new Set(catalog.map((c) => c.name)).size).toBeLessThan(20_000);
    // Device- and location-triggered campaigns are Push only.
    expect(catalog.filter((c) => c.type === 'DEVICE_TRIGGERED').every((c) => c.channel === 'PUSH')).toBe(
      true,
    );
  });

  it('serves a 20,000-campaign catalog page by page, a name search included', async () => {
    const catalog = catalogCampaigns({ count: 20_000, seed: 7 });
    sim = await startSim({ campaigns: catalog, limits: false });
    const s = sim;
    const visible = catalog.filter((c) => !c.archived && !c.flow && !c.parentId);

    // A filtered listing, paged to its end.
    const want = visible.filter((c) => c.channel === 'SMS' && c.status === 'ACTIVE');
    const listed = await everyPage((page) => v5(s, { channels: ['SMS'], status: ['ACTIVE'] }, page));
    expect(listed.rows.map((r) => r.campaign_id)).toEqual(want.map((c) => c.id));
    expect(listed.sizes.slice(0, -1).every((n) => n === 15)).toBe(true);

    // A name search, as a person's words reach MoEngage.
    const friday = visible.filter((c) => c.name.toLowerCase().includes('black friday'));
    const found = await everyPage((page) => v5(s, { name: 'Black Friday' }, page));
    expect(found.rows.map((r) => r.campaign_id)).toEqual(friday.map((c) => c.id));

    // The last page of the whole catalog answers quickly too (it walks all 20,000).
    const last = Math.ceil(visible.length / 15);
    const started = performance.now();
    const tail = await v1(s, {}, last);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(tail.rows.length).toBe(visible.length - (last - 1) * 15);
    expect((await v1(s, {}, last + 1)).rows).toEqual([]);
  });
});
