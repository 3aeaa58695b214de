import { createHash } from 'node:crypto';
import { isEntityAlert, TOKEN_ALERT_TYPES } from '../../../../core/moengage-alert.ts';
import { BAD, header, obj, signer, str, TOLERANCE_S, type Vendor } from './shared.ts';

/** How long a delivery's answer is kept (stores/idempotency.ts TTL_MS): a replay within it proposes nothing. */
const RECORD_MS = 24 * 3_600_000;

/** `sha256(secret + "|" + raw body)`, lower-case hex: MoEngage's own scheme (plain SHA-256, not an HMAC). */
function expected(secret: string, raw: Buffer): string {
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from(`${secret}|`, 'utf8'), raw]))
    .digest('hex');
}

/**
 * MoEngage's Alert Management webhooks ("delivery rate below 60 % on <campaign>"): `Signature` is the hex SHA-256
 * of the key, a bar and the raw body, with no timestamp, so the delivery is `alert_id` + `alert_triggered_at`
 * (MoEngage documents no delivery id and no retries) and an alert triggered longer ago than that record lasts is
 * too old to tell from a replay. Token-expiry alerts and types MoEngage has not documented name no campaign: they
 * are answered and audited, and propose nothing. What an alert names is read by core/moengage-alert.ts.
 */
export const moengage: Vendor = {
  verify({ headers, raw, secrets }) {
    const given = header(headers, 'signature')?.trim().toLowerCase();
    if (!given)
      return { ok: false, message: 'no Signature header (MoEngage signs its alert webhooks with one)' };
    const by = signer(secrets, (s) => expected(s, raw), [given]);
    return by === undefined ? BAD : { ok: true, by };
  },

  deliveryId(_headers, payload) {
    const p = obj(payload);
    const id = str(p.alert_id);
    const at = str(p.alert_triggered_at);
    return id && at ? `${id}|${at}` : undefined;
  },

  notTheVendors(payload) {
    const p = obj(payload);
    if (!str(p.alert_id) || !str(p.alert_type) || !str(p.alert_triggered_at))
      return 'not a MoEngage alert (no alert_id, alert_type or alert_triggered_at)';
    return undefined;
  },

  /**
   * Nothing signed says when, so the alert's own time bounds its age: triggered longer ago than the dedupe record
   * lasts (a replay could not be told apart), or dated ahead of now, it proposes nothing.
   */
  tooOld(payload, nowMs) {
    const at = Date.parse(str(obj(payload).alert_triggered_at) ?? '');
    if (Number.isNaN(at)) return 'the alert carries no readable alert_triggered_at: nothing proposed';
    if (nowMs - at > RECORD_MS - TOLERANCE_S * 1000)
      return 'the alert was triggered over a day ago (a replay cannot be told apart): nothing proposed';
    if (at - nowMs > TOLERANCE_S * 1000) return 'the alert is dated ahead of now: nothing proposed';
    return undefined;
  },

  notForUs(payload) {
    const type = str(obj(payload).alert_type);
    if (type !== undefined && (TOKEN_ALERT_TYPES as readonly string[]).includes(type))
      return `a MoEngage token-expiry alert (${type}): it names no campaign`;
    if (!isEntityAlert(type)) return `a MoEngage alert of a type the bot does not act on (${type ?? 'none'})`;
    return undefined;
  },
};
