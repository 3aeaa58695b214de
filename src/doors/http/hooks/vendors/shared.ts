import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { GrafanaHeaders } from '../../../../core/sources.ts';

/**
 * What every sender's file (one per vendor, beside this one) is made of: the shape each exports, and the helpers
 * they share: reading a header, an HMAC, comparing in constant time, trying every secret, a signed timestamp's
 * lateness, and the shared secret of the senders that sign nothing.
 *
 * A signed timestamp more than five minutes from now makes a correctly signed delivery late: answered 200, nothing
 * proposed (a vendor's tooOld says the same of PagerDuty's `occurred_at` and Grafana's body-only signatures).
 */
export const TOLERANCE_S = 300;

/** One secret of a source, by the name HOOK_SECRETS gives it (one per PagerDuty subscription, say). */
export interface NamedSecret {
  name: string;
  secret: string;
}

export interface VerifyOptions {
  grafana?: GrafanaHeaders;
}

export type Headers = Record<string, string | string[] | undefined>;

/** A delivery as it came, and what it is checked against. */
export interface Received {
  headers: Headers;
  raw: Buffer;
  query: URLSearchParams;
  /** Any number, each named: one per PagerDuty subscription, old and new during a rotation. */
  secrets: readonly NamedSecret[];
  nowMs: number;
  options: VerifyOptions;
}

/**
 * `by`: the name of the secret that verified it. `late`: correctly signed, but its signed time is too far from
 * now (an answer, not an error: the sender did nothing wrong that it could fix by retrying).
 */
export type Verified =
  | { ok: true; by: string; late?: string; timeless?: true }
  | { ok: false; message: string };

/**
 * One incident tool, as its documentation says it signs, names a delivery and marks events that are not for
 * anyone (../shared/INTEGRATIONS.md). Only `verify` and `deliveryId` every sender has; the rest where it applies.
 */
export interface Vendor {
  /**
   * Whether the request comes from a sender holding one of the secrets. The signature is checked before its
   * time, so only a correctly signed delivery is ever told it came late.
   */
  verify(received: Received): Verified;
  /** The sender's own name for this delivery (its idempotency key), or undefined when it gives none. */
  deliveryId(headers: Headers, payload: unknown): string | undefined;
  /** What a JSON object lacks to be the vendor's (answered 400: the sender must fix it), or undefined. */
  notTheVendors?(payload: unknown): string | undefined;
  /** Why a correctly signed delivery is too old to act on (answered 2xx with this reason, audited), or undefined. */
  tooOld?(payload: unknown, nowMs: number, timeless: boolean): string | undefined;
  /** Why an event is not for anyone (answered 2xx, nothing proposed), or undefined. */
  notForUs?(payload: unknown): string | undefined;
  /**
   * A test or tutorial incident: not a real one. Its mode field's paths are given so a rule that names one (asking
   * for drills explicitly) can still match it.
   */
  rehearsal?(payload: unknown): { mode: string; paths: readonly string[] } | undefined;
}

export const header = (h: Headers, name: string): string | undefined => {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

export const hmac = (key: string | Buffer, text: string | Buffer, encoding: 'hex' | 'base64') =>
  createHmac('sha256', key).update(text).digest(encoding);

/** Constant time, whatever the lengths. */
function same(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}

/** The name of the first secret whose expected value is among those given (every secret is tried). */
export function signer(
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

export const BAD: Verified = { ok: false, message: 'bad signature' };

/** Whether a signed timestamp is readable (else the request is refused), and how far it is from now. */
export function lateness(
  ts: string | undefined,
  nowMs: number,
): { bad: string } | { late: string | undefined } {
  const t = Number(ts);
  if (ts === undefined || !Number.isInteger(t)) return { bad: 'the signature carries no timestamp' };
  return Math.abs(nowMs / 1000 - t) > TOLERANCE_S
    ? { late: `the signature's timestamp is more than ${TOLERANCE_S} s from now (a replay, or a clock off)` }
    : { late: undefined };
}

export const signedBy = (by: string | undefined, late?: string): Verified =>
  by === undefined ? BAD : late ? { ok: true, by, late } : { ok: true, by };

/** A bearer token or `?token=` equal to one of the secrets (the senders that sign nothing). */
export function sharedSecret({ headers, query, secrets }: Received): Verified {
  const auth = header(headers, 'authorization');
  const given = auth?.startsWith('Bearer ')
    ? auth.slice('Bearer '.length).trim()
    : (query.get('token') ?? undefined);
  if (given === undefined)
    return { ok: false, message: 'send the secret as Authorization: Bearer <secret> or ?token=' };
  const by = signer(secrets, (s) => s, [given]);
  return by === undefined ? { ok: false, message: 'wrong secret' } : { ok: true, by };
}

export type Payload = Record<string, unknown>;
export const obj = (v: unknown): Payload => (v !== null && typeof v === 'object' ? (v as Payload) : {});
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** What every sender's body must be before its own shape is asked about (answered 400), or undefined. */
export function notAnObject(payload: unknown): string | undefined {
  return payload === null || typeof payload !== 'object' || Array.isArray(payload)
    ? 'the body is not a JSON object'
    : undefined;
}

/**
 * An Alertmanager-shaped payload (Alertmanager's and Grafana's): the delivery is `groupKey`, `status` and its
 * alerts' starts, so a new firing of the same group is a new delivery; `resolved` is not for us.
 */
export function alertGroupDelivery(payload: unknown): string | undefined {
  const p = obj(payload);
  const key = str(p.groupKey);
  return key ? `${key}|${str(p.status) ?? ''}|${alertStarts(p)}` : undefined;
}

function alertStarts(p: Payload): string {
  const alerts = Array.isArray(p.alerts) ? p.alerts : [];
  return alerts
    .map((a) => `${str(obj(a).fingerprint) ?? ''}@${str(obj(a).startsAt) ?? ''}`)
    .sort()
    .join(',');
}

export const resolvedAlert = (payload: unknown): string | undefined =>
  str(obj(payload).status) === 'resolved' ? 'a resolved alert' : undefined;
