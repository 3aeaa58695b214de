/**
 * What one of MoEngage's own alerts (Alert Management, sent to a webhook; shared/MOENGAGE-API.md) is about: the
 * campaigns and flows it names and the numbers that fired it. Pure: the webhook door checks the signature and the
 * type; a rule's `campaigns: from_event` and the confirmation read this.
 *
 * The payload is taken as it comes, never trusted to agree with itself: `entity_data.count` may differ from the
 * list it counts, an entity may carry an empty id, and the token-expiry types carry no `entity_data` at all.
 */

/** The documented `alert_type`s. Only the first three name campaigns or flows. */
export const MOENGAGE_ALERT_TYPES = [
  'CAMPAIGN_STATS',
  'FLOW_STATS',
  'CAMPAIGN_EXPIRY',
  'APNS_TOKEN_EXPIRY',
  'FACEBOOK_TOKEN_EXPIRY',
] as const;
export type MoEngageAlertType = (typeof MOENGAGE_ALERT_TYPES)[number];

/** Alerts about a campaign or a flow: the ones a rule may act on. */
export const ENTITY_ALERT_TYPES: readonly MoEngageAlertType[] = [
  'CAMPAIGN_STATS',
  'FLOW_STATS',
  'CAMPAIGN_EXPIRY',
];

/** Alerts about an expiring token (APNs, Facebook): nothing a pause could help with. */
export const TOKEN_ALERT_TYPES: readonly MoEngageAlertType[] = ['APNS_TOKEN_EXPIRY', 'FACEBOOK_TOKEN_EXPIRY'];

export interface AlertCriterion {
  /** e.g. DELIVERY_RATE, EXPIRY_DAYS. */
  name: string;
  /** e.g. lt, gt. */
  operator: string | undefined;
  threshold: number | undefined;
  unit: string | undefined;
}

/** One entity's line of the alert: what it is, and its value now (and its moving average, where given). */
export interface AlertValue {
  campaignId: string | undefined;
  campaignName: string | undefined;
  flowId: string | undefined;
  flowName: string | undefined;
  channel: string | undefined;
  current: number | undefined;
  movingAverage: number | undefined;
}

export interface AlertEntities {
  /** Every non-empty campaign id named, once each, in the alert's order. */
  campaignIds: string[];
  /** Every non-empty flow id named, once each, in the alert's order. */
  flowIds: string[];
  alert: {
    id: string | undefined;
    name: string | undefined;
    type: string | undefined;
    /** `db_name`: the workspace's name (not its id). */
    workspace: string | undefined;
    triggeredAt: string | undefined;
    criterion: AlertCriterion | undefined;
    values: AlertValue[];
  };
  /** What did not add up (the count against the list, entities without an id), for people to read. */
  notes: string[];
}

const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const text = (v: unknown): string | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
};
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
};

/** The campaigns and flows an alert names, and its numbers. Never throws, whatever the payload. */
export function alertEntities(payload: unknown): AlertEntities {
  const p = obj(payload);
  const criteria = obj(p.alert_evaluation_criteria);
  const criterionName = text(criteria.name);
  const data = obj(p.entity_data);
  const content = Array.isArray(data.content) ? data.content : [];
  const campaignIds: string[] = [];
  const flowIds: string[] = [];
  const values: AlertValue[] = [];
  let nameless = 0;
  for (const raw of content) {
    const e = obj(raw);
    const value: AlertValue = {
      campaignId: text(e.campaign_id),
      campaignName: text(e.campaign_name),
      flowId: text(e.flow_id),
      flowName: text(e.flow_name),
      channel: text(e.channel),
      current: num(e.current_value),
      movingAverage: num(e.moving_avg_value),
    };
    if (value.campaignId === undefined && value.flowId === undefined) {
      nameless += 1;
      continue;
    }
    if (value.campaignId !== undefined && !campaignIds.includes(value.campaignId))
      campaignIds.push(value.campaignId);
    if (value.flowId !== undefined && !flowIds.includes(value.flowId)) flowIds.push(value.flowId);
    values.push(value);
  }
  const notes: string[] = [];
  const count = num(data.count);
  if (count !== undefined && count !== content.length)
    notes.push(`MoEngage counts ${count} ${count === 1 ? 'entity' : 'entities'} but lists ${content.length}`);
  if (nameless > 0)
    notes.push(
      `${nameless} ${nameless === 1 ? 'entity names' : 'entities name'} no campaign or flow id: left out`,
    );
  return {
    campaignIds,
    flowIds,
    alert: {
      id: text(p.alert_id),
      name: text(p.alert_name),
      type: text(p.alert_type),
      workspace: text(p.db_name),
      triggeredAt: text(p.alert_triggered_at),
      criterion:
        criterionName === undefined
          ? undefined
          : {
              name: criterionName,
              operator: text(criteria.operator),
              threshold: num(criteria.threshold),
              unit: text(criteria.unit),
            },
      values,
    },
    notes,
  };
}

const OPERATORS: Record<string, string> = {
  lt: 'below',
  lte: 'at or below',
  gt: 'above',
  gte: 'at or above',
  eq: 'equal to',
};

/** `delivery rate below 60 %`: the criterion in words, for a confirmation. */
export function criterionText(c: AlertCriterion): string {
  const what = c.name.toLowerCase().replace(/_/g, ' ');
  if (c.threshold === undefined) return what;
  const op = c.operator === undefined ? '' : `${OPERATORS[c.operator.toLowerCase()] ?? c.operator} `;
  const unit = c.unit === undefined ? '' : unitText(c.unit);
  return `${what} ${op}${c.threshold}${unit}`;
}

function unitText(unit: string): string {
  const u = unit.toLowerCase();
  if (u === 'percentage' || u === 'percent' || u === '%') return ' %';
  return ` ${unit.toLowerCase()}`;
}

/** Whether an alert type names campaigns or flows (the token-expiry types and unknown ones do not). */
export function isEntityAlert(type: string | undefined): boolean {
  return type !== undefined && (ENTITY_ALERT_TYPES as readonly string[]).includes(type);
}
