import { createHmac } from 'node:crypto';
import type { HookSource } from '../../src/core/sources.ts';
import { campaignStatsAlert, moengageSignature } from '../../src/sandbox/moengage-alerts.ts';

/**
 * Each incident tool's webhook as its documentation shows it (fields as documented, values our own), and how
 * each signs it, for the tests of POST /api/v1/hooks/{source}.
 */
export const SECRETS: Record<HookSource, string> = {
  pagerduty: 'pd-webhook-secret-0123456789abcdef',
  // Svix's format: whsec_ and a base64 key.
  incidentio: `whsec_${Buffer.from('incident-io-signing-key-0123456789').toString('base64')}`,
  rootly: 'rootly-webhook-secret-0123456789ab',
  grafana: 'grafana-hmac-secret-0123456789abcd',
  alertmanager: 'alertmanager-bearer-0123456789abcd',
  opsgenie: 'opsgenie-header-token-0123456789ab',
  moengage: 'moengage-alert-key-0123456789abcdef',
};

/** PagerDuty v3 webhook: `{event: {id, event_type, resource_type, occurred_at, agent, client, data}}`. */
export function pagerduty(eventType = 'incident.triggered', service = 'Checkout API') {
  return {
    event: {
      id: '01DF2V6TQNR4JMKQTX0E58SBQF',
      event_type: eventType,
      resource_type: 'incident',
      // As PagerDuty sends it: now (an event over an hour old is taken for a replay).
      occurred_at: new Date().toISOString(),
      agent: {
        html_url: 'https://acme.pagerduty.com/users/PLH1HKV',
        id: 'PLH1HKV',
        summary: 'On call',
        type: 'user_reference',
      },
      client: null,
      data: {
        id: 'Q2PGR0VU2',
        type: 'incident',
        self: 'https://api.pagerduty.com/incidents/Q2PGR0VU2',
        html_url: 'https://acme.pagerduty.com/incidents/Q2PGR0VU2',
        number: 4711,
        status: 'triggered',
        incident_key: 'checkout-5xx',
        created_at: '2026-12-01T10:15:21Z',
        title: 'Checkout returns 500s',
        service: {
          html_url: 'https://acme.pagerduty.com/services/PF9KMXH',
          id: 'PF9KMXH',
          summary: service,
          type: 'service_reference',
        },
        urgency: 'high',
      },
    },
  };
}

/**
 * incident.io (Svix): `{event_type, <event_type>: {id, name, reference, permalink, severity, mode, …}}`; `mode` is
 * standard, retrospective, test or tutorial (the last two are not real incidents).
 */
export function incidentio(severity = 'Critical', mode = 'standard') {
  return {
    event_type: 'public_incident.incident_created_v2',
    'public_incident.incident_created_v2': {
      id: '01HGE4SAP5TYPT98WGR2N7W91',
      name: 'Checkout is failing',
      reference: 'INC-88',
      permalink: 'https://app.incident.io/acme/incidents/88',
      severity: { id: '01FH5TZRWMNAFB0DZ23FD1TV96', name: severity, rank: 3 },
      incident_status: { id: '01FH5TZRWMNAFB0DZ23FD1TV97', category: 'triage', name: 'Triage' },
      visibility: 'public',
      mode,
      created_at: '2026-12-01T10:15:22Z',
    },
  };
}

/** Rootly: `{event: {id, type, issued_at}, data: {id, title, slug, url, severity, …}}`. */
export function rootly(type = 'incident.created') {
  return {
    event: { id: 'b6f64a7e-8c0e-4f59-9a3f-7a3c1b1f6a11', type, issued_at: '2026-12-01T10:15:22Z' },
    data: {
      id: 'a1b2c3d4-0000-4000-8000-000000000001',
      title: 'Checkout degraded',
      slug: 'checkout-degraded',
      url: 'https://rootly.com/account/incidents/42-checkout-degraded',
      status: 'started',
      severity: { data: { attributes: { name: 'SEV1', slug: 'sev1' } } },
    },
  };
}

/** Alertmanager-shaped (Alertmanager's webhook_config, version "4"; Grafana's contact point adds a few fields). */
export function alerts(status: 'firing' | 'resolved' = 'firing', alertname = 'CheckoutDown', version = '4') {
  return {
    version,
    groupKey: `{}:{alertname="${alertname}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'campaign-bot',
    groupLabels: { alertname },
    commonLabels: { alertname, service: 'checkout', severity: 'critical' },
    commonAnnotations: { summary: 'Checkout error rate above 5%' },
    externalURL: 'http://alertmanager.example:9093',
    alerts: [
      {
        status,
        labels: { alertname, service: 'checkout', severity: 'critical' },
        annotations: { summary: 'Checkout error rate above 5%' },
        startsAt: '2026-12-01T10:15:00Z',
        endsAt: status === 'resolved' ? '2026-12-01T10:45:00Z' : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example:9090/graph?g0.expr=…',
        fingerprint: 'c6eadffa33fcdf37',
      },
    ],
    ...(version === '1'
      ? { orgId: 1, title: `[${status.toUpperCase()}:1] ${alertname}`, state: 'alerting', message: '' }
      : {}),
  };
}

/**
 * Opsgenie's webhook integration: `{action, alert: {alertId, message, tags, alias, …}, source, …}`. Opsgenie's own
 * examples carry no `priority`; a captured real payload carried it as a number (`3`), as here.
 */
export function opsgenie(action = 'Create', priority: number | undefined = 3) {
  return {
    action,
    alert: {
      alertId: '1d2b6bd9-5e2f-4a63-9a1f-0c3a5f4e7b21',
      message: 'Checkout is down',
      tags: ['checkout', 'sev1'],
      tinyId: '88',
      alias: 'checkout-down',
      createdAt: 1796124922000,
      username: 'System',
      ...(priority === undefined ? {} : { priority }),
      source: 'datadog',
    },
    source: { name: '', type: 'API' },
    integrationName: 'Campaign bot',
    integrationId: '5f2a3c1e-1111-4222-8333-444455556666',
    integrationType: 'Webhook',
  };
}

/**
 * MoEngage's Alert Management webhook (the simulator's payloads, src/sandbox/moengage-alerts.ts): a delivery-rate
 * alert naming `campaignId`, triggered now; `criterion` names the metric.
 */
export function moengageAlert(campaignId = 'camp_009', criterion = 'DELIVERY_RATE') {
  return campaignStatsAlert([{ id: campaignId, name: `Campaign ${campaignId}`, current: 41.2 }], {
    alertId: '6751b1c2e4b0a1f2c3d4e5f6',
    name: 'Delivery rate below 60%',
    criterion: { name: criterion, operator: 'lt', threshold: 60, unit: 'PERCENTAGE' },
  });
}

/** The headers each sender signs a body with (its own scheme), at `now` (ms); Grafana's with its timestamp header. */
export function signed(
  source: HookSource,
  body: string,
  now = Date.now(),
  secret = SECRETS[source],
): Record<string, string> {
  const ts = Math.floor(now / 1000);
  const hex = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest('hex');
  switch (source) {
    case 'pagerduty':
      return { 'x-pagerduty-signature': `v1=${hex(secret, body)}`, 'x-webhook-id': 'pd-delivery-7f3a' };
    case 'incidentio': {
      const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
      const id = 'msg_2b7YJpQj5eXhQ1pX0mZ';
      const sig = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
      return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` };
    }
    case 'rootly':
      return { 'x-rootly-signature': `t=${ts},v1=${hex(secret, `${ts}${body}`)}` };
    case 'grafana':
      return {
        'x-grafana-alerting-signature': hex(secret, `${ts}:${body}`),
        'x-grafana-alerting-timestamp': String(ts),
      };
    case 'alertmanager':
    case 'opsgenie':
      return { authorization: `Bearer ${secret}` };
    case 'moengage':
      return { signature: moengageSignature(secret, body) };
  }
}
