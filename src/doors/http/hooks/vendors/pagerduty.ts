import { header, hmac, obj, signedBy, signer, str, TOLERANCE_S, type Vendor } from './shared.ts';

/** PagerDuty retries for up to 48 h; an event older than this proposes nothing (it may be a replay). */
const MAX_AGE_MS = 3_600_000;

/**
 * PagerDuty's v3 webhooks: `X-PagerDuty-Signature: v1=<hex HMAC-SHA256(body)>` (a comma list while a secret is
 * rotated), no timestamp; the delivery is the signed `event.id` (`X-Webhook-Id` is not signed); `pagey.ping` is a
 * ping.
 */
export const pagerduty: Vendor = {
  verify({ headers, raw, secrets }) {
    const given = (header(headers, 'x-pagerduty-signature') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.startsWith('v1='));
    if (given.length === 0) return { ok: false, message: 'no X-PagerDuty-Signature v1= value' };
    return signedBy(signer(secrets, (s) => `v1=${hmac(s, raw, 'hex')}`, given));
  },

  // The event's id is in the signed body; X-Webhook-Id is not signed, so a replay could change it.
  deliveryId: (_headers, payload) => str(obj(obj(payload).event).id),

  notTheVendors(payload) {
    const e = obj(obj(payload).event);
    if (!str(e.id) || !str(e.event_type)) return 'not a PagerDuty v3 event (no event.id or event.event_type)';
    if (Number.isNaN(Date.parse(str(e.occurred_at) ?? '')))
      return 'not a PagerDuty v3 event (no event.occurred_at)';
    return undefined;
  },

  /**
   * PagerDuty signs no timestamp, but its signed body says when the event happened: over an hour ago (its retries
   * go on for 48 h, so a bot outage makes genuine events late) or ahead of now, it proposes nothing.
   */
  tooOld(payload, nowMs) {
    const at = Date.parse(str(obj(obj(payload).event).occurred_at) ?? '');
    if (Number.isNaN(at)) return undefined;
    if (nowMs - at > MAX_AGE_MS) return 'the event happened more than an hour ago: nothing proposed';
    if (at - nowMs > TOLERANCE_S * 1000) return 'the event is dated ahead of now: nothing proposed';
    return undefined;
  },

  notForUs: (payload) =>
    str(obj(obj(payload).event).event_type) === 'pagey.ping' ? 'a PagerDuty ping' : undefined,
};
