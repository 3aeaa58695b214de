import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.ts';
import { CHANNEL, type Harness, startHarness } from '../support/bot-harness.ts';

let h: Harness;
afterEach(() => h.stop());

async function get(path: string) {
  const res = await request(`http://127.0.0.1:${h.bot.port}${path}`);
  return { status: res.statusCode, type: String(res.headers['content-type']), text: await res.body.text() };
}

describe('operational endpoints', () => {
  it('exposes Prometheus metrics for commands, refusals, decisions, MoEngage calls and the limiter', async () => {
    h = await startHarness();
    h.moengage.failNext(1, 500);
    await h.command('UALICE', 'pause camp_001 camp_002');
    await h.command('UALICE', 'pause bad/id');
    await h.command('UEVE', 'pause camp_003');
    const message = await h.latestMessage();
    await h.click('UBOB', message, 'campaign_confirm');
    await h.slack.waitFor(() => h.auditEvents().find((e) => e.event === 'completed'));

    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.type).toContain('text/plain');
    const has = (line: string) => expect(metrics.text.split('\n')).toContain(line);
    has('campaign_bot_commands_total{outcome="requested"} 1');
    has('campaign_bot_commands_total{outcome="bad_input"} 1');
    has('campaign_bot_commands_total{outcome="denied"} 1');
    has('campaign_bot_authorization_refusals_total{step="propose",failed="user"} 1');
    has('campaign_bot_decisions_total{decision="confirmed"} 1');
    has('campaign_bot_campaigns_total{action="PAUSE",outcome="applied"} 2');
    has('campaign_bot_moengage_requests_total{action="PAUSE",status="500"} 1');
    has('campaign_bot_moengage_requests_total{action="PAUSE",status="200"} 1');
    has('campaign_bot_moengage_retries_total 1');
    has('campaign_bot_moengage_rate_limited_total 0');
    has('campaign_bot_limiter_queue_depth 0');
    expect(metrics.text).toMatch(/campaign_bot_limiter_wait_seconds_count 2/);
    expect(metrics.text).toMatch(/campaign_bot_moengage_request_seconds_count\{action="PAUSE"\} 2/);
    // Four Slack requests reached /slack/events (three commands, one click), each timed to its answer.
    expect(metrics.text).toMatch(/campaign_bot_ack_seconds_count 4/);
    // Node's process metrics under their standard names, so stock Node.js dashboards find them.
    expect(metrics.text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(metrics.text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(metrics.text).not.toContain('campaign_bot_process_');
    expect(metrics.text).not.toContain('campaign_bot_nodejs_');
    has(`campaign_bot_build_info{version="${VERSION}",node="${process.version}"} 1`);
    // What the alert rules watch (docs/prometheus/alerts.yml): readiness by check, stuck runs, the sweeps.
    has('campaign_bot_ready 1');
    has('campaign_bot_readiness_check{check="slack"} 1');
    has('campaign_bot_readiness_check{check="accepting"} 1');
    has('campaign_bot_runs_overdue 0');
    for (const sweep of ['expiry', 'resume', 'reminders']) {
      const at = new RegExp(
        `^campaign_bot_sweep_last_success_timestamp_seconds\\{sweep="${sweep}"\\} ([0-9.e+]+)$`,
        'm',
      );
      expect(Date.now() / 1000 - Number(at.exec(metrics.text)?.[1])).toBeLessThan(60);
    }
  });

  it('answers /healthz and /readyz, and turns unready once shutdown starts', async () => {
    h = await startHarness();
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ ok: true, version: VERSION });
    // The start line says which version runs on which Node.
    expect(h.log.lines().find((l) => l.msg === 'campaign bot ready')).toMatchObject({
      version: VERSION,
      node: process.version,
    });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({ ready: true, checks: { slack: true, accepting: true } });
    expect(h.slack.messages(CHANNEL)).toHaveLength(0);
  });
});

describe('METRICS_PORT', () => {
  it('serves /metrics and /readyz on their own port and not on the one Slack and runbooks reach', async () => {
    h = await startHarness({ METRICS_PORT: '0' });
    const opsPort = h.bot.opsPort;
    expect(opsPort).toBeDefined();
    expect(opsPort).not.toBe(h.bot.port);
    const at = async (port: number | undefined, path: string) =>
      (await request(`http://127.0.0.1:${port}${path}`)).statusCode;
    expect(await at(h.bot.port, '/metrics')).toBe(404);
    expect(await at(h.bot.port, '/readyz')).toBe(404);
    expect(await at(h.bot.port, '/healthz')).toBe(200);
    expect(await at(opsPort, '/metrics')).toBe(200);
    expect(await at(opsPort, '/readyz')).toBe(200);
    expect(await at(opsPort, '/healthz')).toBe(200);
    // Nothing else answers on the ops port.
    expect(await at(opsPort, '/api/v1/campaign-actions/x')).toBe(404);
  });
});
