import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { HOOK_SOURCES, type HookSource } from '../../src/core/sources.ts';
import { parseHookRules } from '../../src/doors/http/hooks/rules.ts';
import { CHANNEL, type Harness, startHarness } from '../support/bot-harness.ts';
import { alerts, incidentio, pagerduty, SECRETS, signed } from '../support/hook-samples.ts';

/** What the senders' own documents say they do (../shared/INTEGRATIONS.md), held against the running bot. */
const RULES = `
rules:
  - name: pd-checkout
    source: pagerduty
    match: { event.event_type: ^incident\\.triggered$, event.data.service.summary: ^Checkout }
    action: PAUSE
    campaigns: [camp_001]
    channel: ${CHANNEL}
  - name: pd-slow-pattern
    source: pagerduty
    match: { event.data.title: '^(\\w+\\s?)*down$' }
    action: PAUSE
    campaigns: [camp_002]
    channel: ${CHANNEL}
  - name: iio-critical
    source: incidentio
    match: { public_incident.incident_created_v2.severity.name: ^Critical$ }
    action: PAUSE
    campaigns: [camp_003]
    channel: ${CHANNEL}
  - name: grafana-checkout
    source: grafana
    match: { commonLabels.service: ^checkout$ }
    action: PAUSE
    campaigns: [camp_005]
    channel: ${CHANNEL}
`;
const hookRules = parseHookRules(RULES, new Set(HOOK_SOURCES));

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const start = (env: Record<string, string> = {}, secrets: object = SECRETS) =>
  startHarness({ HOOK_SECRETS: JSON.stringify(secrets), CAMPAIGN_LOOKUP: 'off', ...env }, { hookRules });

async function send(source: HookSource, payload: unknown, headers?: Record<string, string>) {
  const body = JSON.stringify(payload);
  const res = await request(`http://127.0.0.1:${h.bot.port}/api/v1/hooks/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(headers ?? signed(source, body)) },
    body,
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

const hex = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');

describe('webhooks, as the senders document them', () => {
  it('answers once the proposal is stored, before its confirmation waits in a paced channel', async () => {
    h = await start();
    // Slack holds the channel: two 429s (Retry-After 1 s each) before the confirmation goes up.
    h.slack.failNext('chat.postMessage', 'ratelimited', 2);
    const res = await send('pagerduty', pagerduty());
    expect(res.status).toBe(202);
    expect(h.slack.messages(CHANNEL)).toHaveLength(0);
    expect(res.json?.proposals?.[0]).toMatchObject({ status: 'pending', message_ts: null });
    await h.slack.waitFor(() => h.slack.messages(CHANNEL).length === 1, 20_000);
    expect(h.slack.callsTo('chat.postMessage').filter((c) => c.status === 429)).toHaveLength(2);
  });

  it('takes any number of named secrets per source (one per PagerDuty subscription) and logs the name, never the value', async () => {
    const subscriptions = {
      checkout: 'pd-checkout-subscription-0123456789',
      payments: 'pd-payments-subscription-0123456789',
      search: 'pd-search-subscription-01234567890',
    };
    h = await start({}, { ...SECRETS, pagerduty: subscriptions });
    // One payload signed and sent: pagerduty() stamps occurred_at, so two calls can differ by a millisecond.
    const payload = pagerduty();
    const body = JSON.stringify(payload);
    const res = await send('pagerduty', payload, {
      'x-pagerduty-signature': `v1=${hex(subscriptions.search, body)}`,
    });
    expect(res.status).toBe(202);
    const verified = h.log.lines().find((l) => l.msg === 'webhook verified');
    expect(verified).toMatchObject({ source: 'pagerduty', signed_with: 'search' });
    const forged = await send('pagerduty', payload, {
      'x-pagerduty-signature': `v1=${hex('pd-not-a-subscription-0123456789', body)}`,
    });
    expect(forged.status).toBe(401);
    expect(JSON.stringify(h.log.lines())).not.toContain(subscriptions.search);
  });

  it('PagerDuty: the delivery is the signed event.id; a redelivery with another X-Webhook-Id proposes nothing', async () => {
    h = await start();
    // The same event, as PagerDuty's retry sends it (the same body), under another unsigned X-Webhook-Id.
    const event = pagerduty();
    const body = JSON.stringify(event);
    const first = await send('pagerduty', event, {
      ...signed('pagerduty', body),
      'x-webhook-id': 'one',
    });
    expect(first.status, JSON.stringify(first.json)).toBe(202);
    await h.slack.waitFor(() => h.slack.messages(CHANNEL).length === 1);
    const again = await send('pagerduty', event, {
      ...signed('pagerduty', body),
      'x-webhook-id': 'another-unsigned-id',
    });
    expect(again.status, JSON.stringify(again.json)).toBe(202);
    expect(again.json?.proposals?.[0]?.id).toBe(first.json?.proposals?.[0]?.id);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('runs a rule open to catastrophic backtracking in linear time: a crafted 32-character title is answered', async () => {
    h = await start();
    const crafted = pagerduty('incident.triggered', 'Billing');
    crafted.event.data.title = `${'a'.repeat(31)}!`;
    const res = await send('pagerduty', crafted);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ code: 'no_rule' });
    const down = pagerduty('incident.triggered', 'Billing');
    down.event.data.id = 'Q-OTHER';
    down.event.id = '01DF2V6TQNR4JMKQTX0E58SBQG';
    down.event.data.title = 'billing is down';
    expect((await send('pagerduty', down)).status).toBe(202);
  });

  it('incident.io: a test or tutorial incident proposes nothing unless a rule names its mode', async () => {
    h = await start();
    for (const mode of ['test', 'tutorial']) {
      const res = await send('incidentio', incidentio('Critical', mode));
      expect(res.status, mode).toBe(200);
      expect(res.json?.ignored).toContain(`${mode} incident`);
    }
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect((await send('incidentio', incidentio('Critical', 'retrospective'))).status).toBe(202);
  });
});

describe('Grafana: the HMAC header names are settings, and a signature must bound its replay', () => {
  const fresh = () => {
    const a = alerts('firing', 'CheckoutDown', '1');
    return { ...a, alerts: a.alerts.map((x) => ({ ...x, startsAt: new Date().toISOString() })) };
  };

  it('refuses a body-only signature while a timestamp header is configured (the default), saying which to set', async () => {
    h = await start();
    const payload = fresh();
    const res = await send('grafana', payload, {
      'x-grafana-alerting-signature': hex(SECRETS.grafana, JSON.stringify(payload)),
    });
    expect(res.status).toBe(401);
    expect(res.json?.error?.message).toContain('X-Grafana-Alerting-Timestamp');
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('reads the header names it is given', async () => {
    h = await start({ HOOK_GRAFANA_SIGNATURE_HEADER: 'X-Sig', HOOK_GRAFANA_TIMESTAMP_HEADER: 'X-Sig-Time' });
    const payload = fresh();
    const body = JSON.stringify(payload);
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await send('grafana', payload, {
      'x-sig': hex(SECRETS.grafana, `${ts}:${body}`),
      'x-sig-time': ts,
    });
    expect(res.status).toBe(202);
  });

  it('with the timestamp turned off, takes body-only signatures but not for alerts older than the 24 h dedupe record', async () => {
    h = await start({ HOOK_GRAFANA_TIMESTAMP_HEADER: 'none' });
    const payload = fresh();
    const sign = (p: unknown) => ({
      'x-grafana-alerting-signature': hex(SECRETS.grafana, JSON.stringify(p)),
    });
    expect((await send('grafana', payload, sign(payload))).status).toBe(202);
    // The same group a day and more later: its record is gone, and a replay could not be told apart.
    const group = alerts('firing', 'CheckoutDown', '1');
    const dayOld = new Date(Date.now() - 25 * 3_600_000).toISOString();
    const replay = { ...group, alerts: group.alerts.map((a) => ({ ...a, startsAt: dayOld })) };
    const res = await send('grafana', replay, sign(replay));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ code: 'too_old' });
    await h.slack.waitFor(() => h.slack.messages(CHANNEL).length === 1);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });
});
