import { GRAFANA_DEFAULTS } from '../../../../core/sources.ts';
import {
  alertGroupDelivery,
  BAD,
  header,
  hmac,
  lateness,
  obj,
  resolvedAlert,
  sharedSecret,
  signedBy,
  signer,
  str,
  TOLERANCE_S,
  type Vendor,
} from './shared.ts';

/** How long a delivery's answer is kept (stores/idempotency.ts TTL_MS): a replay within it proposes nothing. */
const RECORD_MS = 24 * 3_600_000;

/**
 * Grafana alerting's webhook contact point: a hex HMAC-SHA256 in a header whose name is a setting (default
 * `X-Grafana-Alerting-Signature`) over `<ts>:<body>`, the timestamp in a header also named by the user (no default
 * in Grafana; `X-Grafana-Alerting-Timestamp` here, as in Grafana's tests), or over the body alone; where no HMAC is
 * configured, the secret as `Authorization: Bearer`. Its payload is Alertmanager's shape: the delivery is
 * `groupKey`, `status` and its alerts' starts; `resolved` is not for us.
 */
export const grafana: Vendor = {
  verify(received) {
    const { headers, raw, secrets, nowMs, options } = received;
    const names = options.grafana ?? GRAFANA_DEFAULTS;
    const sig = header(headers, names.signature);
    if (sig === undefined) return sharedSecret(received);
    const body = raw.toString('utf8');
    if (names.timestamp === undefined) {
      // Nothing signed says when: tooOld bounds its age by its alerts' starts instead.
      const by = signer(secrets, (s) => hmac(s, body, 'hex'), [sig.trim()]);
      return by === undefined ? BAD : { ok: true, by, timeless: true };
    }
    const ts = header(headers, names.timestamp);
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
  },

  deliveryId: (_headers, payload) => alertGroupDelivery(payload),

  /**
   * Signed over the body alone (`timeless`): a replay after its 24 h dedupe record is gone would propose again, so
   * a delivery whose newest alert began longer ago than that record lasts proposes nothing.
   */
  tooOld(payload, nowMs, timeless) {
    if (!timeless) return undefined;
    const alerts = Array.isArray(obj(payload).alerts) ? (obj(payload).alerts as unknown[]) : [];
    const newest = Math.max(
      ...alerts.map((a) => Date.parse(str(obj(a).startsAt) ?? '')).filter((t) => !Number.isNaN(t)),
    );
    if (!Number.isFinite(newest) || nowMs - newest > RECORD_MS - TOLERANCE_S * 1000) {
      return 'signed without a timestamp and its alerts began over a day ago (a replay cannot be told apart): nothing proposed';
    }
    return undefined;
  },

  notForUs: resolvedAlert,
};
