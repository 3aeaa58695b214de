import { header, hmac, lateness, obj, signedBy, signer, str, type Vendor } from './shared.ts';

/**
 * incident.io signs with Svix: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64
 * HMAC-SHA256(id.ts.body)>` (a space-separated list), the secret `whsec_<base64 key>`; the delivery is
 * `webhook-id`. Its test and tutorial incidents (`mode`) are rehearsals.
 */
export const incidentio: Vendor = {
  verify({ headers, raw, secrets, nowMs }) {
    const id = header(headers, 'webhook-id');
    const ts = header(headers, 'webhook-timestamp');
    const sig = header(headers, 'webhook-signature');
    if (!id || !sig) return { ok: false, message: 'no webhook-id or webhook-signature (Svix)' };
    const when = lateness(ts, nowMs);
    if ('bad' in when) return { ok: false, message: when.bad };
    const given = sig
      .split(' ')
      .filter((s) => s.startsWith('v1,'))
      .map((s) => s.slice(3));
    const key = (s: string) => Buffer.from(s.startsWith('whsec_') ? s.slice(6) : s, 'base64');
    const body = raw.toString('utf8');
    return signedBy(
      signer(secrets, (s) => hmac(key(s), `${id}.${ts}.${body}`, 'base64'), given),
      when.late,
    );
  },

  deliveryId: (headers) => header(headers, 'webhook-id'),

  notTheVendors: (payload) =>
    str(obj(payload).event_type) ? undefined : 'not an incident.io event (no event_type)',

  /** `mode` is on the event's incident, at one of two depths as the event types differ. */
  rehearsal(payload) {
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
  },
};
