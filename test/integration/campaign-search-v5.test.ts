import { afterEach, describe, expect, it } from 'vitest';
import { CampaignSearch } from '../../src/moengage/search.ts';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import type { MoEngageSim } from '../../src/sandbox/moengage-sim.ts';
import { API_KEY, memoryLogger, startSim, WORKSPACE_ID } from '../support/fixtures.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
let sim: MoEngageSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('MoEngage campaign search on V5', () => {
  let search: CampaignSearch | undefined;
  afterEach(async () => {
    await search?.close();
    search = undefined;
  });
  const searchFor = (s: MoEngageSim) =>
    new CampaignSearch({
      baseUrl: s.url,
      workspaceId: WORKSPACE_ID,
      apiKey: API_KEY,
      apiVersion: 'v5',
      logger: memoryLogger().logger,
    });

  it('sends a fresh Idempotency-Key with every call, a retry included: a repeated key would replay the stored answer', async () => {
    const s = await startSim({ campaigns: seedCampaigns({ count: 20 }) });
    sim = s;
    search = searchFor(s);
    s.inject({ kind: 'status', status: 500, api: 'search' });
    const listed = await search.list({ statuses: ['ACTIVE'] });
    expect(listed).toMatchObject({ ok: true, pages: 2, truncated: false });
    expect(listed.ok && listed.campaigns).toHaveLength(20);
    const sent = s.searchRequests();
    expect(sent.map((r) => [r.page, r.limit, r.outcome])).toEqual([
      [1, 15, 'fault'],
      [1, 15, 'found'],
      [2, 15, 'found'],
    ]);
    for (const r of sent) expect(r.idempotencyKey).toMatch(UUID_V4);
    expect(new Set(sent.map((r) => r.idempotencyKey)).size).toBe(3);
  });

  it('looks ids up from rows that carry only `id`', async () => {
    const s = await startSim({ campaigns: seedCampaigns({ count: 3 }), v5SearchRows: 'id-only' });
    sim = s;
    search = searchFor(s);
    const found = await search.lookup(['camp_001', 'camp_003', 'nope']);
    expect(found.ok && [...found.found.keys()]).toEqual(['camp_001', 'camp_003']);
    expect(found.ok && found.found.get('camp_001')).toMatchObject({ name: '', status: 'UNKNOWN' });
  });
});
