import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isEntityAlert } from '../../../../../src/core/moengage-alert.ts';
import { VENDORS } from '../../../../../src/doors/http/hooks/vendors/index.ts';
import {
  campaignStatsAlert,
  flowStatsAlert,
  moengageSignature,
  tokenExpiryAlert,
  unknownTypeAlert,
} from '../../../../../src/sandbox/moengage-alerts.ts';

const SECRET = 'moengage-alert-key-0123456789abcdef';
const vendor = VENDORS.moengage;

/** One delivery as the door hands it to the vendor. */
function received(
  body: string,
  headers: Record<string, string>,
  secrets = [{ name: 'main', secret: SECRET }],
) {
  return {
    headers,
    raw: Buffer.from(body),
    query: new URLSearchParams(),
    secrets,
    nowMs: Date.now(),
    options: {},
  };
}

describe("MoEngage's alert webhooks: the vendor", () => {
  it('signs as MoEngage documents: hex sha256(key + "|" + body), plain SHA-256', () => {
    const body = '{"alert_id":"a"}';
    expect(moengageSignature('k', body)).toBe(createHash('sha256').update(`k|${body}`).digest('hex'));
    expect(moengageSignature('k', body)).not.toBe(createHmac('sha256', 'k').update(body).digest('hex'));
  });

  it('takes a delivery signed with one of its secrets, over the raw bytes (accents included), and names the secret', () => {
    const body = JSON.stringify(campaignStatsAlert([{ id: 'c1', name: 'Été | Price drop | Push' }]));
    const secrets = [
      { name: 'old', secret: 'an-old-moengage-key-0123456789' },
      { name: 'main', secret: SECRET },
    ];
    expect(vendor.verify(received(body, { signature: moengageSignature(SECRET, body) }, secrets))).toEqual({
      ok: true,
      by: 'main',
    });
    // Hex in capitals is the same signature.
    const upper = moengageSignature(SECRET, body).toUpperCase();
    expect(vendor.verify(received(body, { signature: upper })).ok).toBe(true);
  });

  it('refuses a missing signature, another key, an HMAC, and a body changed after signing', () => {
    const body = JSON.stringify(campaignStatsAlert([{ id: 'c1', name: 'One' }]));
    expect(vendor.verify(received(body, {}))).toEqual({
      ok: false,
      message: 'no Signature header (MoEngage signs its alert webhooks with one)',
    });
    expect(
      vendor.verify(received(body, { signature: moengageSignature('another-key-0123456789', body) })).ok,
    ).toBe(false);
    const hmac = createHmac('sha256', SECRET).update(body).digest('hex');
    expect(vendor.verify(received(body, { signature: hmac })).ok).toBe(false);
    const signature = moengageSignature(SECRET, body);
    expect(vendor.verify(received(body.replace('One', 'Two'), { signature })).ok).toBe(false);
  });

  it('names a delivery by alert_id and alert_triggered_at: the same alert firing again later is a new delivery', () => {
    const first = campaignStatsAlert([{ id: 'c1', name: 'One' }], {
      alertId: '6751b1c2e4b0a1f2c3d4e5f6',
      triggeredAt: '2026-12-01T10:00:00Z',
    });
    const later = { ...first, alert_triggered_at: '2026-12-01T11:00:00Z' };
    expect(vendor.deliveryId({}, first)).toBe('6751b1c2e4b0a1f2c3d4e5f6|2026-12-01T10:00:00Z');
    expect(vendor.deliveryId({}, later)).not.toBe(vendor.deliveryId({}, first));
    expect(vendor.deliveryId({}, { alert_id: 'x' })).toBeUndefined();
  });

  it('asks a body that is not an alert to be fixed (400), and takes every alert that is one', () => {
    expect(vendor.notTheVendors?.({ alert_name: 'x' })).toBe(
      'not a MoEngage alert (no alert_id, alert_type or alert_triggered_at)',
    );
    for (const alert of [campaignStatsAlert([]), flowStatsAlert([]), tokenExpiryAlert(), unknownTypeAlert()])
      expect(vendor.notTheVendors?.(alert)).toBeUndefined();
  });

  it('answers token-expiry alerts and unknown types as not for anyone, and lets the alerts about campaigns and flows through', () => {
    expect(vendor.notForUs?.(tokenExpiryAlert('APNS_TOKEN_EXPIRY'))).toBe(
      'a MoEngage token-expiry alert (APNS_TOKEN_EXPIRY): it names no campaign',
    );
    expect(vendor.notForUs?.(tokenExpiryAlert('FACEBOOK_TOKEN_EXPIRY'))).toContain('token-expiry');
    expect(vendor.notForUs?.(unknownTypeAlert())).toBe(
      'a MoEngage alert of a type the bot does not act on (SEGMENT_SIZE)',
    );
    expect(vendor.notForUs?.(campaignStatsAlert([]))).toBeUndefined();
    expect(vendor.notForUs?.(flowStatsAlert([]))).toBeUndefined();
    expect(vendor.notForUs?.({ ...campaignStatsAlert([]), alert_type: 'CAMPAIGN_EXPIRY' })).toBeUndefined();
    expect(isEntityAlert('APNS_TOKEN_EXPIRY')).toBe(false);
  });

  it('takes an alert triggered within the day, not one older than its dedupe record lasts or dated ahead', () => {
    const now = Date.now();
    const at = (ms: number) => campaignStatsAlert([], { triggeredAt: new Date(ms).toISOString() });
    expect(vendor.tooOld?.(at(now - 60_000), now, false)).toBeUndefined();
    expect(vendor.tooOld?.(at(now - 24 * 3_600_000), now, false)).toContain('over a day ago');
    expect(vendor.tooOld?.(at(now + 3_600_000), now, false)).toContain('ahead of now');
  });
});
