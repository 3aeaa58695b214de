import { afterEach, describe, expect, it } from 'vitest';
import type { MoEngageClient } from '../../src/moengage/client.ts';
import { type CallLimiter, createSlidingLimiter } from '../../src/moengage/limiter.ts';
import { retryPolicies } from '../../src/moengage/retry-policy.ts';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import type { MoEngageSim } from '../../src/sandbox/moengage-sim.ts';
import { API_KEY, clientFor, memoryLogger, startSim, WORKSPACE_ID } from '../support/fixtures.ts';

const periodic = (count: number, prefix = 'camp_') =>
  seedCampaigns({ count, prefix, type: 'PERIODIC', status: 'ACTIVE' });

let sim: MoEngageSim;
let client: MoEngageClient;
afterEach(async () => {
  await client?.close();
  await sim?.close();
});

describe('MoEngage client against the simulator', () => {
  it('sends the documented headers and body, and reports every id applied', async () => {
    sim = await startSim({ campaigns: periodic(3) });
    const log = memoryLogger();
    client = clientFor(sim, log.logger);
    const report = await client.changeCampaignStatus('PAUSE', ['camp_001', 'camp_002', 'camp_003']);

    expect(report.applied).toBe(3);
    expect(report.outcomes.map((o) => o.status)).toEqual(['applied', 'applied', 'applied']);
    const [req] = sim.statusRequests();
    expect(req).toMatchObject({
      method: 'POST',
      path: '/core-services/v1/campaigns/status',
      auth: 'valid',
      appKeyHeader: WORKSPACE_ID,
      action: 'PAUSE',
      campaignIds: ['camp_001', 'camp_002', 'camp_003'],
      status: 200,
    });
    expect(req?.contentType).toBe('application/json');
    expect(req?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(report.outcomes[0]).toMatchObject({ requestId: req?.requestId, attempts: 1 });
    expect(sim.campaign('camp_002')?.status).toBe('PAUSED');
    const line = log.lines().find((l) => l.msg === 'moengage request');
    expect(line).toMatchObject({ module: 'moengage', action: 'PAUSE', ids: 3, status: 200, attempt: 1 });
    expect(typeof line?.ms).toBe('number');
  });

  it('drops duplicate ids and splits 25 ids into requests of 10, 10 and 5', async () => {
    sim = await startSim({ campaigns: periodic(25) });
    client = clientFor(sim, memoryLogger().logger);
    const ids = periodic(25).map((c) => c.id);
    const report = await client.changeCampaignStatus('PAUSE', [...ids, ids[0] as string, ids[3] as string]);

    expect(report.outcomes.map((o) => o.campaignId)).toEqual(ids);
    expect(report.applied).toBe(25);
    const sizes = sim.statusRequests().map((r) => r.campaignIds?.length);
    expect(sizes.sort()).toEqual([10, 10, 5].sort());
    expect(new Set(sim.statusRequests().map((r) => r.requestId)).size).toBe(3);
  });

  it('retries a 500 with the same request_id and then succeeds', async () => {
    sim = await startSim({ campaigns: periodic(2) });
    client = clientFor(sim, memoryLogger().logger);
    sim.failNext(2, 500);
    const report = await client.changeCampaignStatus('PAUSE', ['camp_001', 'camp_002']);

    const reqs = sim.statusRequests();
    expect(reqs.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(reqs.map((r) => r.requestId)).size).toBe(1);
    expect(report.outcomes.every((o) => o.status === 'applied' && o.attempts === 3)).toBe(true);
  });

  it('recovers from a connection reset', async () => {
    sim = await startSim({ campaigns: periodic(1) });
    client = clientFor(sim, memoryLogger().logger);
    sim.resetNext(1);
    const report = await client.changeCampaignStatus('PAUSE', ['camp_001']);

    expect(sim.statusRequests().map((r) => r.outcome)).toEqual(['reset', 'applied']);
    expect(report.outcomes[0]).toMatchObject({ status: 'applied', attempts: 2 });
  });

  it('times out a request that does not answer, and retries it with the same request_id', async () => {
    sim = await startSim({ campaigns: periodic(1) });
    client = clientFor(sim, memoryLogger().logger, { requestTimeoutMs: 300 });
    sim.delayNext(1, 1_500);
    const report = await client.changeCampaignStatus('PAUSE', ['camp_001']);

    expect(report.outcomes[0]).toMatchObject({ status: 'applied', attempts: 2 });
    const reqs = sim.statusRequests();
    expect(reqs).toHaveLength(2);
    expect(reqs[0]?.requestId).toBe(reqs[1]?.requestId);
    await new Promise((r) => setTimeout(r, 1_400));
    expect(sim.statusRequests()[0]?.outcome).toBe('abandoned');
  });

  it('does not retry a 400 and shows MoEngage message for the invalid id, applying the rest', async () => {
    sim = await startSim({
      campaigns: [
        ...periodic(9),
        { id: 'once_1', name: 'x', type: 'ONE_TIME', channel: 'EMAIL', status: 'ACTIVE' },
      ],
    });
    client = clientFor(sim, memoryLogger().logger);
    const ids = [...periodic(9).map((c) => c.id), 'once_1'];
    const report = await client.changeCampaignStatus('STOP', ['once_1']);
    expect(report.outcomes[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { kind: 'rejected', httpStatus: 400, code: '400 Bad Request' },
    });
    expect(report.outcomes[0]?.status === 'failed' && report.outcomes[0].error.message).toMatch(
      /once_1 cannot be stopped: only a scheduled one-time campaign/,
    );
    expect(sim.statusRequests()).toHaveLength(1);

    sim.clearRequests();
    const mixed = await client.changeCampaignStatus('PAUSE', ids);
    expect(mixed.applied).toBe(9);
    expect(mixed.outcomes.find((o) => o.campaignId === 'once_1')).toMatchObject({ status: 'failed' });
    // Rejected whole, then the other nine together; the named id is not sent again: two requests.
    expect(sim.statusRequests().map((r) => r.status)).toEqual([400, 200]);
    expect(sim.campaign('camp_005')?.status).toBe('PAUSED');
  });

  it('isolates an unknown id by halving when the error does not name it', async () => {
    sim = await startSim({ campaigns: periodic(8) });
    sim.inject({
      kind: 'status',
      status: 422,
      body: JSON.stringify({ error: { message: 'Invalid campaign' } }),
    });
    client = clientFor(sim, memoryLogger().logger);
    const ids = periodic(8).map((c) => c.id);
    const report = await client.changeCampaignStatus('PAUSE', ids);
    // The 422 hit the first request of 8; halves of 4 then went through.
    expect(report.applied).toBe(8);
    expect(sim.statusRequests().map((r) => r.campaignIds?.length)).toEqual([8, 4, 4]);
  });

  it('waits out a 429 until x-ratelimit-reset and then succeeds', async () => {
    sim = await startSim({ campaigns: periodic(3), limits: { perSecond: 1, perMinute: 60, perHour: 3600 } });
    client = clientFor(sim, memoryLogger().logger, { isolateRejected: false });
    const ids = periodic(3).map((c) => c.id);
    const reports = await Promise.all(ids.map((id) => client.changeCampaignStatus('PAUSE', [id])));

    expect(reports.every((r) => r.applied === 1)).toBe(true);
    const reqs = sim.statusRequests();
    expect(reqs.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    const ok = reqs.filter((r) => r.status === 200).map((r) => r.at);
    // The simulator only accepts one per second; the client waited for it.
    expect(Math.max(...ok) - Math.min(...ok)).toBeGreaterThan(1_900);
  });

  it('reports every id failed, with the last error, after the retry budget runs out', async () => {
    sim = await startSim({ campaigns: periodic(12) });
    client = clientFor(sim, memoryLogger().logger);
    sim.failNext(100, 503);
    const ids = periodic(12).map((c) => c.id);
    const report = await client.changeCampaignStatus('PAUSE', ids);

    expect(report.outcomes).toHaveLength(12);
    expect(report.failed).toBe(12);
    for (const o of report.outcomes) {
      expect(o).toMatchObject({ status: 'failed', attempts: retryPolicies.fast.maxAttempts });
      expect(o.status === 'failed' && o.error.message).toMatch(
        /^MoEngage answered 503 for \d+\.\d s \(4 tries\); not applied\. MoEngage said: Something went wrong/,
      );
    }
    expect(sim.statusRequests()).toHaveLength(2 * retryPolicies.fast.maxAttempts);
  });

  it('stops at the first 401: remaining requests are not sent and every id says why', async () => {
    sim = await startSim({ campaigns: periodic(30), apiKey: 'another-key-entirely' });
    client = clientFor(sim, memoryLogger().logger, { connections: 1 });
    const report = await client.changeCampaignStatus(
      'PAUSE',
      periodic(30).map((c) => c.id),
    );

    expect(report.failed).toBe(30);
    expect(sim.statusRequests()).toHaveLength(1);
    const first = report.outcomes[0];
    expect(first?.status === 'failed' && first.error.message).toMatch(
      /MoEngage 401: Authentication required \(Invalid APP_SECRET_KEY is provided\.\)/,
    );
    expect(report.outcomes.every((o) => o.status === 'failed' && o.error.kind === 'unauthorized')).toBe(true);
  });

  it('turns a body that is not JSON into a clear error', async () => {
    sim = await startSim({ campaigns: periodic(1) });
    sim.inject({ kind: 'status', status: 403, body: '<html>Forbidden by WAF</html>' });
    client = clientFor(sim, memoryLogger().logger);
    const report = await client.changeCampaignStatus('RESUME', ['camp_001']);
    const o = report.outcomes[0];
    expect(o?.status === 'failed' && o.error.message).toBe(
      'MoEngage 403: MoEngage answered HTTP 403 with a body that is not JSON: <html>Forbidden by WAF</html>',
    );
  });

  it('reports a refused connection per id after its retries', async () => {
    sim = await startSim();
    const url = sim.url;
    await sim.close();
    client = clientFor({ ...sim, url }, memoryLogger().logger);
    const report = await client.changeCampaignStatus('PAUSE', ['a', 'b']);
    expect(report.failed).toBe(2);
    const o = report.outcomes[0];
    expect(o?.status === 'failed' && o.error.kind).toBe('network');
    expect(o?.status === 'failed' && o.error.message).toMatch(/Could not reach MoEngage .*ECONNREFUSED/);
  });

  it('never writes the API key, the Basic credential or a token to a debug log', async () => {
    sim = await startSim({ campaigns: periodic(3) });
    const log = memoryLogger('trace');
    client = clientFor(sim, log.logger);
    sim.failNext(1, 500);
    sim.inject({ kind: 'status', status: 401 });
    await client.changeCampaignStatus('PAUSE', ['camp_001', 'camp_002', 'camp_003']);
    log.logger.info({
      config: { apiKey: API_KEY, botToken: 'xoxb-123-secret' },
      headers: { authorization: 'Basic x' },
    });

    const text = log.raw();
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(Buffer.from(`${WORKSPACE_ID}:${API_KEY}`).toString('base64'));
    expect(text).not.toContain('xoxb-123-secret');
    expect(text).toContain('[redacted]');
  });
});

describe('MoEngage client when things around it fail', () => {
  it('fails only the affected chunk when the limiter itself throws, and still reports every id', async () => {
    sim = await startSim({ campaigns: periodic(30) });
    const inner = createSlidingLimiter();
    let calls = 0;
    const flaky: CallLimiter = {
      ...inner,
      schedule: (priority, task) => {
        calls += 1;
        return calls === 2
          ? Promise.reject(new Error('Redis connection lost'))
          : inner.schedule(priority, task);
      },
    };
    client = clientFor(sim, memoryLogger().logger, { limiter: flaky });
    const report = await client.changeCampaignStatus(
      'PAUSE',
      periodic(30).map((c) => c.id),
    );
    await inner.stop();
    expect(report.outcomes).toHaveLength(30);
    expect(report.applied).toBe(20);
    const failed = report.outcomes.filter((o) => o.status === 'failed');
    expect(failed).toHaveLength(10);
    expect(failed[0]?.status === 'failed' && failed[0].error.message).toBe(
      'Not sent to MoEngage: Redis connection lost',
    );
  });

  it('on abort, reports ids still waiting for a rate-limit slot at once instead of waiting for the slot', async () => {
    sim = await startSim({ campaigns: periodic(40), limits: false });
    const limiter = createSlidingLimiter({ limits: { perSecond: 1, perMinute: 2, perHour: 120 } });
    client = clientFor(sim, memoryLogger().logger, { limiter });
    const abort = new AbortController();
    const started = Date.now();
    const pending = client.changeCampaignStatus(
      'PAUSE',
      periodic(40).map((c) => c.id),
      { signal: abort.signal },
    );
    setTimeout(() => abort.abort('the bot was shutting down'), 1_500);
    const report = await pending;
    await limiter.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(report.outcomes).toHaveLength(40);
    const sent = new Set(sim.statusRequests().flatMap((r) => r.campaignIds ?? []));
    for (const o of report.outcomes) {
      if (sent.has(o.campaignId)) expect(o.status).toBe('applied');
      else
        expect(o.status === 'failed' && o.error.message).toMatch(
          /^Not sent to MoEngage: cancelled \(the bot was shutting down\)/,
        );
    }
    expect(sent.size).toBe(20);
  });

  it('fails fast, saying until when, when MoEngage asks to wait longer than the retry budget', async () => {
    sim = await startSim({ campaigns: periodic(20) });
    const inHour = Math.ceil(Date.now() / 1000) + 3_600;
    sim.inject({ kind: 'status', status: 429, headers: { 'x-ratelimit-reset': String(inHour) } });
    client = clientFor(sim, memoryLogger().logger);
    const started = Date.now();
    const report = await client.changeCampaignStatus(
      'PAUSE',
      periodic(20).map((c) => c.id),
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    // The two requests went in one burst: the one told to wait an hour fails at once, saying until when.
    expect(report.failed).toBeGreaterThanOrEqual(10);
    for (const o of report.outcomes) {
      if (o.status === 'failed') expect(o.error.message).toMatch(/until \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    }
    expect(sim.statusRequests().length).toBeLessThanOrEqual(2);
  });

  it('believes a rate-limit answer for an hour at most: a reset years away is capped, logged, and said with its date', async () => {
    sim = await startSim({ campaigns: periodic(10) });
    sim.inject({ kind: 'status', status: 429, headers: { 'x-ratelimit-reset': '99999999999' } });
    const log = memoryLogger();
    client = clientFor(sim, log.logger);
    const report = await client.changeCampaignStatus(
      'PAUSE',
      periodic(10).map((c) => c.id),
    );
    const paused = client.limiter.stats().pausedUntilMs ?? 0;
    expect(paused).toBeGreaterThan(Date.now() + 3_500_000);
    expect(paused).toBeLessThanOrEqual(Date.now() + 3_600_000);
    const until = new Date(paused).toISOString().slice(0, 16).replace('T', ' ');
    const failure = report.outcomes[0];
    expect(failure?.status === 'failed' && failure.error.message).toMatch(
      new RegExp(`(spent|wait) until ${until} UTC`),
    );
    expect(log.lines().some((l) => String(l.msg).startsWith('suspicious rate-limit answer'))).toBe(true);
  });

  it('caps a 503 Retry-After of a day to an hour too', async () => {
    sim = await startSim({ campaigns: periodic(10) });
    sim.inject({ kind: 'status', status: 503, headers: { 'retry-after': '86400' } });
    client = clientFor(sim, memoryLogger().logger);
    await client.changeCampaignStatus(
      'PAUSE',
      periodic(10).map((c) => c.id),
    );
    expect(client.limiter.stats().pausedUntilMs ?? 0).toBeLessThanOrEqual(Date.now() + 3_600_000);
  });

  it('costs one request per chunk for a PAUSE of 100 ids that are all paused already (each named, none sent again)', async () => {
    const paused = periodic(100).map((c) => ({ ...c, status: 'PAUSED' as const }));
    sim = await startSim({ campaigns: paused });
    client = clientFor(sim, memoryLogger().logger);
    const report = await client.changeCampaignStatus(
      'PAUSE',
      paused.map((c) => c.id),
    );
    expect(report.failed).toBe(100);
    expect(sim.statusRequests()).toHaveLength(10);
    expect(report.outcomes[0]?.status === 'failed' && report.outcomes[0].error.message).toMatch(
      /cannot be paused/,
    );
  });
});

describe('what the client says of an answer it could not trust', () => {
  it('reports a refusal that followed an unanswered send as uncertain, and one after clear answers as failed', async () => {
    sim = await startSim({
      campaigns: [...periodic(1), ...seedCampaigns({ count: 1, prefix: 'paused_', status: 'PAUSED' })],
    });
    client = clientFor(sim, memoryLogger().logger);
    // Reset (no answer), then MoEngage refuses the paused one: it may have been the first send that paused it.
    sim.resetNext(1);
    const afterReset = await client.changeCampaignStatus('PAUSE', ['paused_001']);
    expect(afterReset.outcomes[0]).toMatchObject({ status: 'uncertain', attempts: 2 });
    expect(afterReset.outcomes[0]?.status === 'uncertain' && afterReset.outcomes[0].error.message).toMatch(
      /^No answer to an earlier send, then: MoEngage 400: .*cannot be paused/,
    );
    // A 429 and then the refusal: both answered, nothing uncertain.
    sim.inject({ kind: 'status', status: 429, headers: { 'retry-after': '0' } });
    const after429 = await client.changeCampaignStatus('PAUSE', ['paused_001']);
    expect(after429.outcomes[0]?.status).toBe('failed');
    expect(after429.outcomes[0]).not.toHaveProperty('uncertain');
  });
});
