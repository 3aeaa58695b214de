import { obj, sharedSecret, str, type Vendor } from './shared.ts';

/**
 * Opsgenie signs nothing: the secret as `Authorization: Bearer` (a custom header) or `?token=`. The delivery is
 * `alert.alertId` and `action`.
 */
export const opsgenie: Vendor = {
  verify: sharedSecret,
  deliveryId(_headers, payload) {
    const p = obj(payload);
    const alert = str(obj(p.alert).alertId);
    return alert ? `${alert}|${str(p.action) ?? ''}` : undefined;
  },
};
