import { alertGroupDelivery, resolvedAlert, sharedSecret, type Vendor } from './shared.ts';

/**
 * Alertmanager signs nothing: the secret as `Authorization: Bearer` (http_config.authorization) or `?token=` in
 * the URL. The delivery is `groupKey`, `status` and its alerts' starts (a repeat each repeat_interval is the same
 * delivery); `resolved` is not for us.
 */
export const alertmanager: Vendor = {
  verify: sharedSecret,
  deliveryId: (_headers, payload) => alertGroupDelivery(payload),
  notForUs: resolvedAlert,
};
