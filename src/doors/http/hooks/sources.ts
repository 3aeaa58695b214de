import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { GRAFANA_DEFAULTS, type GrafanaHeaders, type HookSource } from '../../../core/sources.ts';

export {
  GRAFANA_DEFAULTS,
  type GrafanaHeaders,
  HOOK_SOURCES,
  type HookSource,
  isHookSource,
} from '../../../core/sources.ts';

/**
 * The incident tools whose own webhooks the bot takes (`POST /api/v1/hooks/{source}`), each as its documentation
 * says it signs, names a delivery and marks events that are not for anyone (../shared/INTEGRATIONS.md):
 * - pagerduty: v3 webhooks, `X-PagerDuty-Signature: v1=<hex HMAC-SHA256(body)>` (a comma list while a secret is
 *   rotated), no timestamp; the delivery is the signed `event.id` (`X-Webhook-Id` is not signed); `pagey.ping`
 *   is a ping.
 * - incidentio: Svix, `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256(id.ts.body)>`
 *   (space-separated list), the secret `whsec_<base64 key>`; the delivery is `webhook-id`.
 * - rootly: `X-Rootly-Signature: t=<unix ts>,v1=<hex HMAC-SHA256(ts + body)>`; the delivery is `event.id`.
 * - grafana: alerting's webhook contact point; a hex HMAC-SHA256 in a header whose name is a setting (default
 *   `X-Grafana-Alerting-Signature`) over `<ts>:<body>`, the timestamp in a header also named by the user (no
 *   default in Grafana; `X-Grafana-Alerting-Timestamp` here, as in Grafana's tests), or over the body alone; where
 *   no HMAC is configured, the secret as `Authorization: Bearer`. The delivery is `groupKey`, `status` and its
 *   alerts' starts.
 * - alertmanager: no signature: the secret as `Authorization: Bearer` (http_config.authorization) or `?token=`
 *   in the URL. The delivery is `groupKey`, `status` and its alerts' starts (a repeat each repeat_interval is the
 *   same delivery); `resolved` is not for us.
 * - opsgenie: no signature: the secret as `Authorization: Bearer` (a custom header) or `?token=`. The delivery is
 *   `alert.alertId` and `action`.
 * A signed timestamp more than five minutes from now makes a correctly signed delivery late: answered 200, nothing
 * proposed (tooOld says the same of PagerDuty's `occurred_at` and Grafana's body-only signatures).
 */
const TOLERANCE_S = 300;

/** One secret of a source, by the name HOOK_SECRETS gives it (one per PagerDuty subscription, say). */
export interface NamedSecret {
  name: string;
  secret: string;
}

export interface VerifyOptions {
  grafana?: GrafanaHeaders;
}

export type Headers = Record<string, string | string[] | undefined>;
/**
 * `by`: the name of the secret that verified it. `late`: correctly signed, but its signed time is too far from
 * now (an answer, not an error: the sender did nothing wrong that it could fix by retrying).
 */
export type Verified =
  | { ok: true; by: string; late?: string; timeless?: true }
  | { ok: false; message: string };

const header = (h: Headers, name: string): string | undefined => {
  const v = h[name.toLowerCase()];
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

/** The name of the first secret whose expected value is among those given (every secret is tried). */
function signer(
  secrets: readonly NamedSecret[],
  expected: (secret: string) => string,
  given: readonly string[],
): string | undefined {
  let found: string | undefined;
  for (const s of secrets) {
    const e = expected(s.secret);
    if (given.some((g) => same(e, g))) found ??= s.name;
  }
  return found;
}

const BAD: Verified = { ok: false, message: 'bad signature' };

/** Whether a signed timestamp is readable (else the request is refused), and how far it is from now. */
function lateness(ts: string | undefined, nowMs: number): { bad: string } | { late: string | undefined } {
  const t = Number(ts);
  if (ts === undefined || !Number.isInteger(t)) return { bad: 'the signature carries no timestamp' };
  return Math.abs(nowMs / 1000 - t) > TOLERANCE_S
    ? { late: `the signature's timestamp is more than ${TOLERANCE_S} s from now (a replay, or a clock off)` }
    : { late: undefined };
}

const signedBy = (by: string | undefined, late?: string): Verified =>
  by === undefined ? BAD : late ? { ok: true, by, late } : { ok: true, by };

/** A bearer token or `?token=` equal to one of the secrets (the senders that sign nothing). */
function sharedSecret(h: Headers, query: URLSearchParams, secrets: readonly NamedSecret[]): Verified {
  const auth = header(h, 'authorization');
  const given = auth?.startsWith('Bearer ')
    ? auth.slice('Bearer '.length).trim()
    : (query.get('token') ?? undefined);
  if (given === undefined)
    return { ok: false, message: 'send the secret as Authorization: Bearer <secret> or ?token=' };
  const by = signer(secrets, (s) => s, [given]);
  return by === undefined ? { ok: false, message: 'wrong secret' } : { ok: true, by };
}

/**
 * Whether the request comes from a sender holding one of `secrets` (any number, each named: one per PagerDuty
 * subscription, old and new during a rotation). The signature is checked before its time, so only a correctly
 * signed delivery is ever told it came late.
 */
export function verifyHook(
  source: HookSource,
  h: Headers,
  raw: Buffer,
  query: URLSearchParams,
  secrets: readonly NamedSecret[],
  nowMs: number,
  options: VerifyOptions = {},
): Verified {
  const body = raw.toString('utf8');
  switch (source) {
    case 'pagerduty': {
      const given = (header(h, 'x-pagerduty-signature') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.startsWith('v1='));
      if (given.length === 0) return { ok: false, message: 'no X-PagerDuty-Signature v1= value' };
      return signedBy(signer(secrets, (s) => `v1=${hmac(s, raw, 'hex')}`, given));
    }
    case 'incidentio': {
      const id = header(h, 'webhook-id');
      const ts = header(h, 'webhook-timestamp');
      const sig = header(h, 'webhook-signature');
      if (!id || !sig) return { ok: false, message: 'no webhook-id or webhook-signature (Svix)' };
      const when = lateness(ts, nowMs);
      if ('bad' in when) return { ok: false, message: when.bad };
      const given = sig
        .split(' ')
        .filter((s) => s.startsWith('v1,'))
        .map((s) => s.slice(3));
      const key = (s: string) => Buffer.from(s.startsWith('whsec_') ? s.slice(6) : s, 'base64');
      return signedBy(
        signer(secrets, (s) => hmac(key(s), `${id}.${ts}.${body}`, 'base64'), given),
        when.late,
      );
    }
    case 'rootly': {
      const parts = Object.fromEntries(
        (header(h, 'x-rootly-signature') ?? '').split(',').map((p) => {
          const at = p.indexOf('=');
          return [p.slice(0, at).trim(), p.slice(at + 1).trim()];
        }),
      ) as Record<string, string | undefined>;
      if (!parts.v1) return { ok: false, message: 'no X-Rootly-Signature t=…,v1=…' };
      const when = lateness(parts.t, nowMs);
      if ('bad' in when) return { ok: false, message: when.bad };
      return signedBy(
        signer(secrets, (s) => hmac(s, `${parts.t}${body}`, 'hex'), [parts.v1]),
        when.late,
      );
    }
    case 'grafana': {
      const names = options.grafana ?? GRAFANA_DEFAULTS;
      const sig = header(h, names.signature);
      if (sig === undefined) return sharedSecret(h, query, secrets);
      if (names.timestamp === undefined) {
        // Nothing signed says when: tooOld bounds its age by its alerts' starts instead.
        const by = signer(secrets, (s) => hmac(s, body, 'hex'), [sig.trim()]);
        return by === undefined ? BAD : { ok: true, by, timeless: true };
      }
      const ts = header(h, names.timestamp);
      if (ts === undefined) {
        return {
          ok: false,
          message: `signed without ${names.timestamp}: set the contact point's HMAC timestamp header to ${names.timestamp} (a signature over the body alone could be replayed)`,
        };
      }
      const when = lateness(ts, nowMs);
      if ('bad' in when) return { ok: false, message: when.bad };
      return signedBy(
        signer(secrets, (s) => hmac(s, `${ts}:${body}`, 'hex'), [sig.trim()]),
        when.late,
      );
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

/** How long a delivery's answer is kept (requests/idempotency.ts TTL_MS): a replay within it proposes nothing. */
const RECORD_MS = 24 * 3_600_000;
/** PagerDuty retries for up to 48 h; an event older than this proposes nothing (it may be a replay). */
const PAGERDUTY_MAX_AGE_MS = 3_600_000;

/**
 * Why a correctly signed delivery is too old to act on (answered 2xx with this reason, audited), or undefined.
 * - PagerDuty signs no timestamp, but its signed body says when the event happened: over an hour ago (its retries
 *   go on for 48 h, so a bot outage makes genuine events late) or ahead of now, it proposes nothing.
 * - Grafana signed over the body alone (`timeless`): a replay after its 24 h dedupe record is gone would propose
 *   again, so a delivery whose newest alert began longer ago than that record lasts proposes nothing.
 */
export function tooOld(
  source: HookSource,
  payload: unknown,
  nowMs: number,
  timeless = false,
): string | undefined {
  if (source === 'pagerduty') {
    const at = Date.parse(str(obj(obj(payload).event).occurred_at) ?? '');
    if (Number.isNaN(at)) return undefined;
    if (nowMs - at > PAGERDUTY_MAX_AGE_MS)
      return 'the event happened more than an hour ago: nothing proposed';
    if (at - nowMs > TOLERANCE_S * 1000) return 'the event is dated ahead of now: nothing proposed';
    return undefined;
  }
  if (source === 'grafana' && timeless) {
    const alerts = Array.isArray(obj(payload).alerts) ? (obj(payload).alerts as unknown[]) : [];
    const newest = Math.max(
      ...alerts.map((a) => Date.parse(str(obj(a).startsAt) ?? '')).filter((t) => !Number.isNaN(t)),
    );
    if (!Number.isFinite(newest) || nowMs - newest > RECORD_MS - TOLERANCE_S * 1000) {
      return 'signed without a timestamp and its alerts began over a day ago (a replay cannot be told apart): nothing proposed';
    }
  }
  return undefined;
}

/** What a body lacks to be the vendor's (answered 400: the sender must fix it), or undefined. */
export function notTheVendors(source: HookSource, payload: unknown): string | undefined {
  const p = obj(payload);
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
    return 'the body is not a JSON object';
  if (source === 'pagerduty') {
    const e = obj(p.event);
    if (!str(e.id) || !str(e.event_type)) return 'not a PagerDuty v3 event (no event.id or event.event_type)';
    if (Number.isNaN(Date.parse(str(e.occurred_at) ?? '')))
      return 'not a PagerDuty v3 event (no event.occurred_at)';
  }
  if (source === 'incidentio' && !str(p.event_type)) return 'not an incident.io event (no event_type)';
  return undefined;
}

/**
 * An incident.io test or tutorial incident (`mode`, on the event's incident): not a real incident. Its mode field's
 * paths are given so a rule that names one (asking for drills explicitly) can still match it.
 */
export function rehearsal(
  source: HookSource,
  payload: unknown,
): { mode: string; paths: readonly string[] } | undefined {
  if (source !== 'incidentio') return undefined;
  const p = obj(payload);
  const type = str(p.event_type);
  if (!type) return undefined;
  const incident = obj(p[type]);
  const at = [
    { path: `${type}.mode`, mode: str(incident.mode) },
    { path: `${type}.incident.mode`, mode: str(obj(incident.incident).mode) },
  ];
  const mode = at.find((m) => m.mode !== undefined)?.mode;
  if (mode !== 'test' && mode !== 'tutorial') return undefined;
  return { mode, paths: at.map((m) => m.path) };
}

/** Why an event is not for anyone (answered 2xx, nothing proposed), or undefined. */
export function notForUs(source: HookSource, payload: unknown): string | undefined {
  const p = obj(payload);
  if (source === 'pagerduty' && str(obj(p.event).event_type) === 'pagey.ping') return 'a PagerDuty ping';
  if ((source === 'alertmanager' || source === 'grafana') && str(p.status) === 'resolved')
    return 'a resolved alert';
  return undefined;
}
