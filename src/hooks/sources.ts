import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The incident tools whose own webhooks the bot takes (`POST /api/v1/hooks/{source}`), each as its documentation
 * says it signs, names a delivery and marks events that are not for anyone (../shared/INTEGRATIONS.md):
 * - pagerduty: v3 webhooks, `X-PagerDuty-Signature: v1=<hex HMAC-SHA256(body)>` (a comma list while a secret is
 *   rotated), no timestamp; the delivery is the signed `event.id` (`X-Webhook-Id` is not signed); `pagey.ping`
 *   is a ping.
 * - incidentio: Svix, `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256(id.ts.body)>`
 *   (space-separated list), the secret `whsec_<base64 key>`; the delivery is `webhook-id`.
 * - rootly: `X-Rootly-Signature: t=<unix ts>,v1=<hex HMAC-SHA256(ts + body)>`; the delivery is `event.id`.
 * - grafana: alerting's webhook contact point; `X-Grafana-Alerting-Signature: <hex HMAC-SHA256>` over the body, or
 *   over `<ts>:<body>` with `X-Grafana-Alerting-Signature-Timestamp` (recent versions); where it is not
 *   configured, the secret as `Authorization: Bearer`. The delivery is `groupKey`, `status` and its alerts' starts.
 * - alertmanager: no signature: the secret as `Authorization: Bearer` (http_config.authorization) or `?token=`
 *   in the URL. The delivery is `groupKey`, `status` and its alerts' starts (a repeat each repeat_interval is the
 *   same delivery); `resolved` is not for us.
 * - opsgenie: no signature: the secret as `Authorization: Bearer` (a custom header) or `?token=`. The delivery is
 *   `alert.alertId` and `action`.
 * Timestamps older than five minutes (or as far ahead) are refused where the sender signs one.
 */
export const HOOK_SOURCES = [
  'pagerduty',
  'incidentio',
  'rootly',
  'grafana',
  'alertmanager',
  'opsgenie',
] as const;
export type HookSource = (typeof HOOK_SOURCES)[number];

export function isHookSource(s: string): s is HookSource {
  return (HOOK_SOURCES as readonly string[]).includes(s);
}

const TOLERANCE_S = 300;

export type Headers = Record<string, string | string[] | undefined>;
export type Verified = { ok: true } | { ok: false; message: string };

const header = (h: Headers, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

const hmac = (key: string | Buffer, text: string | Buffer, encoding: 'hex' | 'base64') =>
  createHmac('sha256', key).update(text).digest(encoding);

/** Constant time, whatever the lengths. */
function same(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}

const anyOf = (expected: readonly string[], given: readonly string[]) =>
  expected.some((e) => given.some((g) => same(e, g)));

function fresh(ts: string | undefined, nowMs: number): Verified | undefined {
  const t = Number(ts);
  if (ts === undefined || !Number.isInteger(t))
    return { ok: false, message: 'the signature carries no timestamp' };
  if (Math.abs(nowMs / 1000 - t) > TOLERANCE_S) {
    return {
      ok: false,
      message: `the signature's timestamp is more than ${TOLERANCE_S} s from now (a replay?)`,
    };
  }
  return undefined;
}

/** A bearer token or `?token=` equal to one of the secrets (the senders that sign nothing). */
function sharedSecret(h: Headers, query: URLSearchParams, secrets: readonly string[]): Verified {
  const auth = header(h, 'authorization');
  const given = auth?.startsWith('Bearer ')
    ? auth.slice('Bearer '.length).trim()
    : (query.get('token') ?? undefined);
  if (given === undefined)
    return { ok: false, message: 'send the secret as Authorization: Bearer <secret> or ?token=' };
  return anyOf(secrets, [given]) ? { ok: true } : { ok: false, message: 'wrong secret' };
}

/** Whether the request comes from the sender holding one of `secrets` (two during a rotation). */
export function verifyHook(
  source: HookSource,
  h: Headers,
  raw: Buffer,
  query: URLSearchParams,
  secrets: readonly string[],
  nowMs: number,
): Verified {
  const body = raw.toString('utf8');
  switch (source) {
    case 'pagerduty': {
      const given = (header(h, 'x-pagerduty-signature') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.startsWith('v1='));
      if (given.length === 0) return { ok: false, message: 'no X-PagerDuty-Signature v1= value' };
      return anyOf(
        secrets.map((s) => `v1=${hmac(s, raw, 'hex')}`),
        given,
      )
        ? { ok: true }
        : { ok: false, message: 'bad signature' };
    }
    case 'incidentio': {
      const id = header(h, 'webhook-id');
      const ts = header(h, 'webhook-timestamp');
      const sig = header(h, 'webhook-signature');
      if (!id || !sig) return { ok: false, message: 'no webhook-id or webhook-signature (Svix)' };
      const stale = fresh(ts, nowMs);
      if (stale) return stale;
      const given = sig
        .split(' ')
        .filter((s) => s.startsWith('v1,'))
        .map((s) => s.slice(3));
      const keys = secrets.map((s) => Buffer.from(s.startsWith('whsec_') ? s.slice(6) : s, 'base64'));
      return anyOf(
        keys.map((k) => hmac(k, `${id}.${ts}.${body}`, 'base64')),
        given,
      )
        ? { ok: true }
        : { ok: false, message: 'bad signature' };
    }
    case 'rootly': {
      const parts = Object.fromEntries(
        (header(h, 'x-rootly-signature') ?? '').split(',').map((p) => {
          const at = p.indexOf('=');
          return [p.slice(0, at).trim(), p.slice(at + 1).trim()];
        }),
      ) as Record<string, string | undefined>;
      if (!parts.v1) return { ok: false, message: 'no X-Rootly-Signature t=…,v1=…' };
      const stale = fresh(parts.t, nowMs);
      if (stale) return stale;
      return anyOf(
        secrets.map((s) => hmac(s, `${parts.t}${body}`, 'hex')),
        [parts.v1],
      )
        ? { ok: true }
        : { ok: false, message: 'bad signature' };
    }
    case 'grafana': {
      const sig = header(h, 'x-grafana-alerting-signature');
      if (sig === undefined) return sharedSecret(h, query, secrets);
      const ts = header(h, 'x-grafana-alerting-signature-timestamp');
      if (ts !== undefined) {
        const stale = fresh(ts, nowMs);
        if (stale) return stale;
      }
      const signed = ts === undefined ? body : `${ts}:${body}`;
      return anyOf(
        secrets.map((s) => hmac(s, signed, 'hex')),
        [sig.trim()],
      )
        ? { ok: true }
        : { ok: false, message: 'bad signature' };
    }
    case 'alertmanager':
    case 'opsgenie':
      return sharedSecret(h, query, secrets);
  }
}

type Payload = Record<string, unknown>;
const obj = (v: unknown): Payload => (v !== null && typeof v === 'object' ? (v as Payload) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The alerts' starts of an Alertmanager-shaped payload: a new firing of the same group is a new delivery. */
function alertStarts(p: Payload): string {
  const alerts = Array.isArray(p.alerts) ? p.alerts : [];
  return alerts
    .map((a) => `${str(obj(a).fingerprint) ?? ''}@${str(obj(a).startsAt) ?? ''}`)
    .sort()
    .join(',');
}

/** The sender's own name for this delivery (its idempotency key), or undefined when it gives none. */
export function deliveryId(source: HookSource, h: Headers, payload: unknown): string | undefined {
  const p = obj(payload);
  switch (source) {
    case 'pagerduty':
      // The event's id is in the signed body; X-Webhook-Id is not signed, so a replay could change it.
      return str(obj(p.event).id);
    case 'incidentio':
      return header(h, 'webhook-id');
    case 'rootly':
      return str(obj(p.event).id);
    case 'grafana':
    case 'alertmanager': {
      const key = str(p.groupKey);
      return key ? `${key}|${str(p.status) ?? ''}|${alertStarts(p)}` : undefined;
    }
    case 'opsgenie': {
      const alert = str(obj(p.alert).alertId);
      return alert ? `${alert}|${str(p.action) ?? ''}` : undefined;
    }
  }
}

/**
 * PagerDuty signs no timestamp, but its signed body says when the event happened: one older than an hour (its
 * retries end within about 20 min) is a replay, refused. Undefined when fresh, or for the other senders.
 */
export function replayed(source: HookSource, payload: unknown, nowMs: number): string | undefined {
  if (source !== 'pagerduty') return undefined;
  const at = Date.parse(str(obj(obj(payload).event).occurred_at) ?? '');
  if (Number.isNaN(at)) return 'the event carries no occurred_at';
  if (nowMs - at > 3_600_000 || at - nowMs > 300_000)
    return 'the event happened more than an hour from now (a replay?)';
  return undefined;
}

/** Why an event is not for anyone (answered 2xx, nothing proposed), or undefined. */
export function notForUs(source: HookSource, payload: unknown): string | undefined {
  const p = obj(payload);
  if (source === 'pagerduty' && str(obj(p.event).event_type) === 'pagey.ping') return 'a PagerDuty ping';
  if ((source === 'alertmanager' || source === 'grafana') && str(p.status) === 'resolved')
    return 'a resolved alert';
  return undefined;
}
