import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { HOOK_SOURCES, type HookSource } from '../../src/core/sources.ts';
import { parseHookRules } from '../../src/doors/http/hooks/rules.ts';
import { CHANNEL, type Harness, LOOKING_UP, messageText, startHarness } from '../support/bot-harness.ts';
import {
  alerts,
  incidentio,
  moengageAlert,
  opsgenie,
  pagerduty,
  rootly,
  SECRETS,
  signed,
} from '../support/hook-samples.ts';

/** One rule per source, mapping its documented incident event to a PAUSE in CHANNEL; one into a forbidden channel. */
const RULES = `
rules:
  - name: pd-checkout
    source: pagerduty
    match:
      event.event_type: ^incident\\.triggered$
      event.data.service.summary: ^Checkout
    action: PAUSE
    campaigns: [camp_001, camp_002]
    channel: ${CHANNEL}
    reason: "PagerDuty #{{event.data.number}}: {{event.data.title}} {{event.data.html_url}}"
  - name: iio-critical
    source: incidentio
    match:
      event_type: ^public_incident\\.incident_created_v2$
      public_incident.incident_created_v2.severity.name: ^Critical$
    action: pause
    campaigns: [camp_003]
    channel: ${CHANNEL}
    reason: "{{public_incident.incident_created_v2.reference}} {{public_incident.incident_created_v2.permalink}}"
  - name: rootly-created
    source: rootly
    match: { event.type: ^incident\\.created$ }
    action: PAUSE
    campaigns: [camp_004]
    channel: ${CHANNEL}
    reason: "Rootly: {{data.title}} {{data.url}}"
  - name: grafana-checkout
    source: grafana
    match: { commonLabels.service: ^checkout$ }
    action: PAUSE
    campaigns: [camp_005]
    channel: ${CHANNEL}
    reason: "Grafana: {{commonAnnotations.summary}}"
  - name: am-checkout
    source: alertmanager
    match: { commonLabels.service: ^checkout$, alerts.0.labels.severity: ^critical$ }
    action: PAUSE
    campaigns: [camp_006]
    channel: ${CHANNEL}
    reason: "Alertmanager: {{groupLabels.alertname}}"
  - name: og-p1
    source: opsgenie
    match: { action: ^Create$, alert.priority: "^[1-3]$" }
    action: PAUSE
    campaigns: [camp_007]
    channel: ${CHANNEL}
    reason: "Opsgenie {{alert.tinyId}}: {{alert.message}}"
  - name: moe-delivery
    source: moengage
    match: { alert_type: ^CAMPAIGN_STATS$, alert_evaluation_criteria.name: ^DELIVERY_RATE$ }
    action: PAUSE
    campaigns: [camp_009]
    channel: ${CHANNEL}
    reason: "MoEngage: {{alert_name}} ({{db_name}})"
  - name: pd-elsewhere
    source: pagerduty
    match: { event.event_type: ^incident\\.acknowledged$ }
    action: PAUSE
    campaigns: [camp_008]
    channel: CNOTALLOWED
`;
const ALL = new Set<string>(HOOK_SOURCES);
const hookRules = parseHookRules(RULES, ALL);

const SAMPLES: Record<HookSource, { event: unknown; other: unknown; reason: string; id: string }> = {
  pagerduty: {
    event: pagerduty(),
    other: pagerduty('incident.triggered', 'Billing'),
    reason: 'PagerDuty #4711: Checkout returns 500s https://acme.pagerduty.com/incidents/Q2PGR0VU2',
    id: 'camp_001',
  },
  incidentio: {
    event: incidentio(),
    other: incidentio('Minor'),
    reason: 'INC-88 https://app.incident.io/acme/incidents/88',
    id: 'camp_003',
  },
  rootly: {
    event: rootly(),
    other: rootly('incident.updated'),
    reason: 'Rootly: Checkout degraded',
    id: 'camp_004',
  },
  grafana: {
    event: alerts('firing', 'CheckoutDown', '1'),
    other: { ...alerts('firing', 'DiskFull', '1'), commonLabels: { service: 'storage' } },
    reason: 'Grafana: Checkout error rate above 5%',
    id: 'camp_005',
  },
  alertmanager: {
    event: alerts(),
    other: { ...alerts('firing', 'DiskFull'), commonLabels: { service: 'storage' } },
    reason: 'Alertmanager: CheckoutDown',
    id: 'camp_006',
  },
  opsgenie: {
    event: opsgenie(),
    other: opsgenie('Create', 5),
    reason: 'Opsgenie 88: Checkout is down',
    id: 'camp_007',
  },
  moengage: {
    event: moengageAlert(),
    other: moengageAlert('camp_009', 'CLICK_RATE'),
    reason: 'MoEngage: Delivery rate below 60% (Acme Retail)',
    id: 'camp_009',
  },
};

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const start = () =>
  startHarness({ HOOK_SECRETS: JSON.stringify(SECRETS), CAMPAIGN_LOOKUP: 'off' }, { hookRules });

async function send(source: HookSource, payload: unknown, headers?: Record<string, string>, path = '') {
  const body = JSON.stringify(payload);
  const res = await request(`http://127.0.0.1:${h.bot.port}/api/v1/hooks/${source}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(headers ?? signed(source, body)) },
    body,
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

describe.each(HOOK_SOURCES)('POST /api/v1/hooks/%s', (source) => {
  const sample = SAMPLES[source];

  it('proposes the mapped action in the mapped channel from a correctly signed sample, once per delivery', async () => {
    h = await start();
    const res = await send(source, sample.event);
    expect(res.status, JSON.stringify(res.json)).toBe(202);
    expect(res.json?.proposals?.[0]).toMatchObject({
      status: 'pending',
      channel_id: CHANNEL,
      requested_by: `hook:${source}`,
    });
    const message = await h.slack.waitFor(() => {
      const m = h.slack.messages(CHANNEL)[0];
      return m && !messageText(m).includes(LOOKING_UP) && m;
    });
    expect(messageText(message)).toContain(sample.id);
    expect(messageText(message)).toContain(sample.reason.replace(/&/g, '&amp;'));
    expect(messageText(message)).toContain(`hook:${source}`);
    // The sender retries the same delivery: the first answer again, nothing new posted.
    const again = await send(source, sample.event);
    expect(again.status).toBe(202);
    expect(again.json?.proposals?.[0]?.id).toBe(res.json?.proposals?.[0]?.id);
    expect(h.slack.messages(CHANNEL)).toHaveLength(1);
    // A person approves it, as for any request.
    await h.click('UBOB', message, 'campaign_confirm');
    await h.slack.waitFor(() =>
      messageText(h.slack.message(CHANNEL, message.ts) ?? message).includes('details in the thread'),
    );
    expect(h.moengage.campaign(sample.id)?.status).toBe('PAUSED');
  });

  it('refuses a bad signature or secret, and changes nothing', async () => {
    h = await start();
    const body = JSON.stringify(sample.event);
    const forged = signed(source, body, Date.now(), `${SECRETS[source].slice(0, -4)}XXXX`);
    const res = await send(source, sample.event, forged);
    expect(res.status).toBe(401);
    expect((await send(source, sample.event, {})).status).toBe(401);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(JSON.stringify(h.log.lines())).not.toContain(SECRETS[source]);
  });

  it('answers a mapping into a channel the policy forbids with 200 and the reason (not a 4xx the sender drops), and audits it', async () => {
    const elsewhere = hookRules.map((r) => ({ ...r, channel: 'CNOTALLOWED' }));
    h = await startHarness(
      { HOOK_SECRETS: JSON.stringify(SECRETS), CAMPAIGN_LOOKUP: 'off' },
      { hookRules: elsewhere },
    );
    const res = await send(source, sample.event);
    expect(res.status).toBe(200);
    expect(res.json?.proposals?.[0]?.error?.code).toBe('forbidden');
    expect(h.auditEvents().find((e) => e.event === 'hook_ignored')).toMatchObject({
      source,
      code: 'nothing_proposed',
    });
    expect(h.auditEvents().find((e) => e.event === 'denied')).toMatchObject({
      user: `hook:${source}`,
      channel: 'CNOTALLOWED',
      failed: 'channel',
    });
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('answers 200 and proposes nothing for an event no rule matches, and audits it', async () => {
    h = await start();
    const res = await send(source, sample.other);
    expect(res.status).toBe(200);
    expect(res.json?.matched).toEqual([]);
    expect(h.auditEvents().find((e) => e.event === 'hook_ignored')).toMatchObject({
      source,
      code: 'no_rule',
    });
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });
});

describe('webhooks: what each sender does besides', () => {
  it('answers a correctly signed but late delivery with 200 and the reason (audited), and refuses a forged one with 401', async () => {
    h = await start();
    // PagerDuty retries for 48 h: an event over an hour old after a bot outage is genuine, but proposes nothing.
    const old = pagerduty();
    old.event.occurred_at = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const late = await send('pagerduty', old);
    expect(late.status).toBe(200);
    expect(late.json).toMatchObject({ code: 'too_old' });
    expect(late.json?.ignored).toContain('more than an hour ago');
    for (const source of ['incidentio', 'rootly', 'grafana'] as const) {
      const body = JSON.stringify(SAMPLES[source].event);
      const res = await send(source, SAMPLES[source].event, signed(source, body, Date.now() - 10 * 60_000));
      expect(res.status, source).toBe(200);
      expect(res.json, source).toMatchObject({ code: 'too_old' });
      const forged = signed(source, body, Date.now() - 10 * 60_000, `${SECRETS[source].slice(0, -4)}XXXX`);
      expect((await send(source, SAMPLES[source].event, forged)).status, source).toBe(401);
    }
    const audited = h.auditEvents().filter((e) => e.event === 'hook_ignored' && e.code === 'too_old');
    expect(audited.map((e) => e.source).sort()).toEqual(['grafana', 'incidentio', 'pagerduty', 'rootly']);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it("answers 400 only for a body that is not the vendor's (a PagerDuty event without event.id)", async () => {
    h = await start();
    const shapeless = pagerduty() as { event: Partial<ReturnType<typeof pagerduty>['event']> };
    delete shapeless.event.id;
    const res = await send('pagerduty', shapeless);
    expect(res.status).toBe(400);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('answers a resolved alert and a PagerDuty ping with 200, proposing nothing', async () => {
    h = await start();
    for (const source of ['alertmanager', 'grafana'] as const) {
      const res = await send(source, alerts('resolved', 'CheckoutDown', source === 'grafana' ? '1' : '4'));
      expect(res.status).toBe(200);
      expect(res.json?.ignored).toBe('a resolved alert');
    }
    const ping = await send('pagerduty', pagerduty('pagey.ping'));
    expect(ping.json?.ignored).toBe('a PagerDuty ping');
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('takes the secret in the URL where the sender cannot set a header, and a rotated pair of PagerDuty secrets', async () => {
    h = await startHarness(
      {
        HOOK_SECRETS: JSON.stringify({
          ...SECRETS,
          pagerduty: ['pd-new-secret-0123456789abcdef', SECRETS.pagerduty],
        }),
        CAMPAIGN_LOOKUP: 'off',
      },
      { hookRules },
    );
    const res = await send('alertmanager', alerts(), {}, `?token=${SECRETS.alertmanager}`);
    expect(res.status).toBe(202);
    // One event, signed and sent as it is (a second pagerduty() call may carry another time).
    const event = pagerduty();
    const body = JSON.stringify(event);
    const both = signed('pagerduty', body);
    const rotated = {
      ...both,
      'x-pagerduty-signature': `${signed('pagerduty', body, Date.now(), 'pd-new-secret-0123456789abcdef')['x-pagerduty-signature']},${both['x-pagerduty-signature']}`,
    };
    expect((await send('pagerduty', event, rotated)).status).toBe(202);
  });

  it('answers a mapping into a channel the policy forbids with 200, naming the rule, and audits the denial', async () => {
    h = await start();
    const res = await send('pagerduty', pagerduty('incident.acknowledged'));
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.json)).toContain('pd-elsewhere');
    const denied = h.auditEvents().find((e) => e.event === 'denied');
    expect(denied).toMatchObject({ user: 'hook:pagerduty', channel: 'CNOTALLOWED', failed: 'channel' });
    // Already handled: the redelivery gets the same answer, 200 again, and nothing new is audited as denied.
    const again = await send('pagerduty', pagerduty('incident.acknowledged'));
    expect(again.status).toBe(200);
    expect(h.auditEvents().filter((e) => e.event === 'denied')).toHaveLength(1);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('after a confirmation Slack never took, a redelivery proposes only the rule that failed', async () => {
    const two = [
      { ...hookRules[0], name: 'first' },
      { ...hookRules[0], name: 'second', campaigns: ['camp_009'] },
    ] as typeof hookRules;
    h = await startHarness(
      { HOOK_SECRETS: JSON.stringify(SECRETS), CAMPAIGN_LOOKUP: 'off' },
      { hookRules: two },
    );
    // Slack fails the first confirmation, after the sender has its answer (both proposals are stored).
    h.slack.failNext('chat.postMessage', 'internal_error', 1);
    const first = await send('pagerduty', pagerduty());
    expect(first.status).toBe(202);
    await h.slack.waitFor(() => h.auditEvents().some((e) => e.event === 'cancelled'));
    // Logged once that rule's answer is forgotten (after the cancel): a redelivery from then on proposes it.
    await h.slack.waitFor(() =>
      h.log.lines().some((l) => String(l.msg).includes('its confirmation could not be posted')),
    );
    await h.slack.waitFor(() => h.slack.messages(CHANNEL).length === 1);
    // A redelivery (a replay from PagerDuty's UI) proposes the first rule again, and not the second.
    const replayed = await send('pagerduty', pagerduty());
    expect(replayed.status).toBe(202);
    await h.slack.waitFor(() => h.slack.messages(CHANNEL).length === 2);
    const texts = h.slack.messages(CHANNEL).map((m) => messageText(m));
    expect(texts.filter((t) => t.includes('camp_009'))).toHaveLength(1);
    expect(texts.filter((t) => t.includes('camp_001'))).toHaveLength(1);
  });

  it('404s a source without a secret, and names every problem of a rules file', async () => {
    h = await startHarness(
      { HOOK_SECRETS: JSON.stringify({ pagerduty: SECRETS.pagerduty }) },
      { hookRules: [] },
    );
    expect((await send('opsgenie', opsgenie())).status).toBe(404);
    expect(() =>
      parseHookRules(RULES.replace('reason: "Opsgenie', 'pause_for: 8d\n    reason: "Opsgenie'), ALL),
    ).toThrow(/rules\.5\.pause_for: .*seven days at most/);
    expect(() =>
      parseHookRules(
        `rules:
  - { name: a, source: opsgenie, match: { x: "([" }, action: PAUSE, campaigns: [c], channel: C0INCIDENT, reason: "{{ bad path! }}" }
  - { name: a, source: pagerduty, action: STOP, campaigns: [c], channel: C0INCIDENT, pause_for: 2h }`,
        new Set(['pagerduty']),
      ),
    ).toThrow(
      /rules\.0\.source: "opsgenie" has no secret[\s\S]*rules\.0\.match\.x: not a regular expression[\s\S]*rules\.0\.reason[\s\S]*rules\.1\.name: "a" is used twice[\s\S]*rules\.1\.pause_for/,
    );
  });
});
