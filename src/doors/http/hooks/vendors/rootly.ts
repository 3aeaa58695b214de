import { header, hmac, lateness, obj, signedBy, signer, str, type Vendor } from './shared.ts';

/** Rootly: `X-Rootly-Signature: t=<unix ts>,v1=<hex HMAC-SHA256(ts + body)>`; the delivery is `event.id`. */
export const rootly: Vendor = {
  verify({ headers, raw, secrets, nowMs }) {
    const parts = Object.fromEntries(
      (header(headers, 'x-rootly-signature') ?? '').split(',').map((p) => {
        const at = p.indexOf('=');
        return [p.slice(0, at).trim(), p.slice(at + 1).trim()];
      }),
    ) as Record<string, string | undefined>;
    if (!parts.v1) return { ok: false, message: 'no X-Rootly-Signature t=…,v1=…' };
    const when = lateness(parts.t, nowMs);
    if ('bad' in when) return { ok: false, message: when.bad };
    const body = raw.toString('utf8');
    return signedBy(
      signer(secrets, (s) => hmac(s, `${parts.t}${body}`, 'hex'), [parts.v1]),
      when.late,
    );
  },

  deliveryId: (_headers, payload) => str(obj(obj(payload).event).id),
};
