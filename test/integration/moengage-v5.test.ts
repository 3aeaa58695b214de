import { afterEach, describe, expect, it } from 'vitest';
import type { MoEngageClient } from '../../src/moengage/client.ts';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import type { MoEngageSim } from '../../src/sandbox/moengage-sim.ts';
import { clientFor, memoryLogger, startSim, WORKSPACE_ID } from '../support/fixtures.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ids = (n: number) => seedCampaigns({ count: n }).map((c) => c.id);

let sim: MoEngageSim;
let client: MoEngageClient;
afterEach(async () => {
  await client?.close();
  await sim?.close();
});

describe('MoEngage client on the V5 status API', () => {
  it('sends 25 ids as 25 PATCHes, each with its own UUID v4 Idempotency-Key, and applies them all', async () => {
    sim = await startSim({ campaigns: seedCampaigns({ count: 25 }) });
    client = clientFor(sim, memoryLogger().logger, { apiVersion: 'v5' });
    expect(client.chunkSize).toBe(1);
    const report = await client.changeCampaignStatus('PAUSE', ids(25));
    expect(report.applied).toBe(25);
    const sent = sim.statusRequests();
    expect(sent).toHaveLength(25);
    for (const r of sent) {
      expect(r).toMatchObject({
        method: 'PATCH',
        api: 'v5-status',
        auth: 'valid',
        appKeyHeader: WORKSPACE_ID,
        action: 'PAUSE',
      });
      expect(r.path).toBe(`/v5/campaigns/${r.campaignIds?.[0]}/status`);
      expect(r.idempotencyKey).toMatch(UUID_V4);
      // request_id rides along for tracing: the same value, so logs and MoEngage's answers line up.
      expect(r.requestId).toBe(r.idempotencyKey);
    }
    expect(new Set(sent.map((r) => r.idempotencyKey)).size).toBe(25);
    expect(new Set(sent.map((r) => r.campaignIds?.[0]))).toEqual(new Set(ids(25)));
    for (const id of ids(25)) expect(sim.campaign(id)?.status).toBe('PAUSED');
  });

  it('keeps the Idempotency-Key when a 500 is retried', async () => {
    sim = await startSim({ campaigns: seedCampaigns({ count: 1 }) });
    client = clientFor(sim, memoryLogger().logger, { apiVersion: 'v5' });
    sim.failNext(1, 500);
    const report = await client.changeCampaignStatus('PAUSE', ids(1));
    expect(report.outcomes[0]).toMatchObject({ status: 'applied', attempts: 2 });
    const [first, second] = sim.statusRequests();
    expect(first?.outcome).toBe('fault');
    expect(second?.outcome).toBe('applied');
    expect(second?.idempotencyKey).toBe(first?.idempotencyKey);
  });

  it('reports an applied request whose answer was lost as applied: the retry under the same key is answered from the first', async () => {
    sim = await startSim({ campaigns: seedCampaigns({ count: 1 }) });
    client = clientFor(sim, memoryLogger().logger, { apiVersion: 'v5' });
    sim.inject({ kind: 'drop' });
    const report = await client.changeCampaignStatus('PAUSE', ids(1));
    expect(report.outcomes[0]).toMatchObject({ status: 'applied', attempts: 2 });
    expect(sim.statusRequests().map((r) => r.outcome)).toEqual(['dropped', 'replayed']);
    expect(sim.campaign(ids(1)[0] as string)?.status).toBe('PAUSED');
  });

  it('shows MoEngage’s 422 per id and applies the others', async () => {
    sim = await startSim({
      campaigns: [
        ...seedCampaigns({ count: 2 }),
        ...seedCampaigns({ count: 1, prefix: 'once_', type: 'ONE_TIME', status: 'ACTIVE' }),
      ],
    });
    client = clientFor(sim, memoryLogger().logger, { apiVersion: 'v5' });
    const report = await client.changeCampaignStatus('STOP', ['camp_001', 'once_001', 'camp_002']);
    expect(report.outcomes.map((o) => [o.campaignId, o.status])).toEqual([
      ['camp_001', 'failed'],
      ['once_001', 'applied'],
      ['camp_002', 'failed'],
    ]);
    const failed = report.outcomes[0];
    expect(failed?.status === 'failed' && failed.error).toMatchObject({
      kind: 'rejected',
      httpStatus: 422,
      message: 'MoEngage 422: Action STOP is not valid for a PERIODIC campaign',
    });
    // One request each, none retried: a 422 is MoEngage's decision, not a fault.
    expect(sim.statusRequests()).toHaveLength(3);
  });
});
