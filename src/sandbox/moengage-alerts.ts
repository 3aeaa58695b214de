import { createHash, randomBytes } from 'node:crypto';
import { request } from 'undici';

/**
 * MoEngage's Alert Management webhooks, as its documentation describes them (shared/MOENGAGE-API.md, "Alert
 * Management webhooks"): a JSON `POST` with `alert_id`, `alert_name`, `alert_type`, `db_name`,
 * `alert_evaluation_frequency`, `alert_triggered_at`, `alert_evaluation_criteria` and, except for the token-expiry
 * types, `entity_data {count, content[]}`; signed in a `Signature` header with the lower-case hex of
 * `sha256(key + "|" + body)` — plain SHA-256 of the key, a bar and the raw body, not an HMAC, and no timestamp.
 * Values are our own; the fields are MoEngage's. MoEngage documents no retries and no expected answer.
 */

/** `Signature`: hex sha256(secret + "|" + raw body), as MoEngage computes it. */
export function moengageSignature(secret: string, body: string | Buffer): string {
  return createHash('sha256')
    .update(
      Buffer.concat([
        Buffer.from(`${secret}|`, 'utf8'),
        Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
      ]),
    )
    .digest('hex');
}

export interface AlertCampaign {
  id: string;
  name: string;
  channel?: string;
  /** The metric's value now (e.g. the delivery rate, in %). */
  current?: number;
  movingAverage?: number;
  /** When the campaign is a step of a flow. */
  flow?: { id: string; name: string };
}

export interface AlertFlow {
  id: string;
  name: string;
  current?: number;
  movingAverage?: number;
}

export interface AlertOptions {
  /** 24 hex; a fresh one by default. */
  alertId?: string;
  name?: string;
  /** ISO; now by default (the bot takes an alert over a day old for a replay). */
  triggeredAt?: string;
  workspace?: string;
  /** Overrides `entity_data.count`: MoEngage's count need not match its list. */
  count?: number;
  /** Adds an entity whose ids are empty strings (MoEngage's payloads can carry one). */
  emptyIdEntity?: boolean;
  criterion?: { name: string; operator: string; threshold: number; unit: string };
}

const hex24 = () => randomBytes(12).toString('hex');

const DELIVERY_RATE = { name: 'DELIVERY_RATE', operator: 'lt', threshold: 60, unit: 'PERCENTAGE' };

function envelope(type: string, options: AlertOptions, entities: Record<string, unknown>[] | undefined) {
  const criterion = options.criterion ?? DELIVERY_RATE;
  const content = [...(entities ?? [])];
  if (options.emptyIdEntity)
    content.push({
      campaign_name: '',
      campaign_id: '',
      flow_name: '',
      flow_id: '',
      channel: 'PUSH',
      delivery_type: 'PROMOTIONAL',
      current_value: 12.5,
      moving_avg_value: 80.1,
    });
  return {
    alert_id: options.alertId ?? hex24(),
    alert_name: options.name ?? 'Delivery rate below 60%',
    alert_type: type,
    db_name: options.workspace ?? 'Acme Retail',
    alert_evaluation_frequency: { value: 1, unit: 'hour' },
    alert_triggered_at: options.triggeredAt ?? new Date().toISOString(),
    alert_evaluation_criteria: {
      ...criterion,
      range_start: '2026-12-01T09:00:00Z',
      range_end: '2026-12-01T10:00:00Z',
      moving_avg_range: 7,
    },
    ...(entities === undefined ? {} : { entity_data: { count: options.count ?? content.length, content } }),
  };
}

/** A CAMPAIGN_STATS alert ("delivery rate below 60 %") naming `campaigns`, flow steps with their flow. */
export function campaignStatsAlert(campaigns: readonly AlertCampaign[], options: AlertOptions = {}) {
  return envelope(
    'CAMPAIGN_STATS',
    options,
    campaigns.map((c) => ({
      campaign_name: c.name,
      campaign_id: c.id,
      ...(c.flow ? { flow_name: c.flow.name, flow_id: c.flow.id } : {}),
      version_name: 'Version 1',
      channel: c.channel ?? 'PUSH',
      delivery_type: 'PROMOTIONAL',
      current_value: c.current ?? 41.2,
      moving_avg_value: c.movingAverage ?? 88.5,
    })),
  );
}

/** A FLOW_STATS alert naming `flows`. */
export function flowStatsAlert(flows: readonly AlertFlow[], options: AlertOptions = {}) {
  return envelope(
    'FLOW_STATS',
    { name: 'Flow delivery rate below 60%', ...options },
    flows.map((f) => ({
      flow_name: f.name,
      flow_id: f.id,
      version_name: 'Version 1',
      delivery_type: 'PROMOTIONAL',
      current_value: f.current ?? 38.9,
      moving_avg_value: f.movingAverage ?? 86.4,
    })),
  );
}

/** An APNs or Facebook token-expiry alert: no `entity_data`, nothing a pause helps with. */
export function tokenExpiryAlert(
  type: 'APNS_TOKEN_EXPIRY' | 'FACEBOOK_TOKEN_EXPIRY' = 'APNS_TOKEN_EXPIRY',
  options: AlertOptions = {},
) {
  return envelope(
    type,
    {
      name: type === 'APNS_TOKEN_EXPIRY' ? 'APNs certificate expires soon' : 'Facebook token expires soon',
      criterion: { name: 'EXPIRY_DAYS', operator: 'lt', threshold: 7, unit: 'days' },
      ...options,
    },
    undefined,
  );
}

/** An alert of a type MoEngage has not documented (it may add some): the bot must answer it and do nothing. */
export function unknownTypeAlert(options: AlertOptions = {}) {
  return envelope(
    'SEGMENT_SIZE',
    {
      name: 'Segment shrank',
      criterion: { name: 'SEGMENT_SIZE', operator: 'lt', threshold: 1000, unit: 'users' },
      ...options,
    },
    [],
  );
}

/** The headers MoEngage sends with `body`, signed with `secret`. */
export function alertHeaders(secret: string, body: string): Record<string, string> {
  return { 'content-type': 'application/json', signature: moengageSignature(secret, body) };
}

/**
 * Sends an alert to `url` as MoEngage does (the body serialised once, signed over those exact bytes); the answer
 * as it came.
 */
export async function deliverAlert(
  url: string,
  secret: string,
  payload: unknown,
): Promise<{ status: number; body: string; json: unknown }> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const res = await request(url, { method: 'POST', headers: alertHeaders(secret, body), body });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, body: text, json };
}
