import { describe, expect, it } from 'vitest';
import { HOOK_SOURCES, type HookSource } from '../../../../../src/core/sources.ts';
import { notAnObject, VENDORS } from '../../../../../src/doors/http/hooks/vendors/index.ts';
import {
  alerts,
  incidentio,
  moengageAlert,
  opsgenie,
  pagerduty,
  rootly,
  SECRETS,
  signed,
} from '../../../../support/hook-samples.ts';

/** Each sender's own sample, as its documentation shows it. */
const SAMPLES: Record<HookSource, () => unknown> = {
  pagerduty: () => pagerduty(),
  incidentio: () => incidentio(),
  rootly: () => rootly(),
  grafana: () => alerts(),
  alertmanager: () => alerts(),
  opsgenie: () => opsgenie(),
  moengage: () => moengageAlert(),
};

/** A secret none of the samples is signed with (incident.io's as Svix writes one: whsec_ and a base64 key). */
const other = (source: HookSource) =>
  source === 'incidentio'
    ? `whsec_${Buffer.from('another-signing-key-0123456789').toString('base64')}`
    : 'another-secret-0123456789abcdef';

/** One vendor's checks on one delivery, without the HTTP door around them. */
function received(
  source: HookSource,
  secrets: { name: string; secret: string }[],
  signedWith = SECRETS[source],
) {
  const body = JSON.stringify(SAMPLES[source]());
  const now = Date.now();
  return {
    headers: signed(source, body, now, signedWith),
    raw: Buffer.from(body),
    query: new URLSearchParams(),
    secrets,
    nowMs: now,
    options: {},
  };
}

describe('the webhook vendors, one file each', () => {
  it('has a vendor for every source of the one list, and for no other', () => {
    expect(Object.keys(VENDORS).sort()).toEqual([...HOOK_SOURCES].sort());
  });

  it.each(HOOK_SOURCES)(
    '%s: takes its own signed sample, names the secret that signed it and its delivery',
    (source) => {
      const other = { name: 'other', secret: 'another-secret-0123456789abcdef' };
      const verified = VENDORS[source].verify(
        received(source, [other, { name: 'main', secret: SECRETS[source] }]),
      );
      expect(verified).toEqual({ ok: true, by: 'main' });
      const sample = SAMPLES[source]();
      expect(notAnObject(sample) ?? VENDORS[source].notTheVendors?.(sample)).toBeUndefined();
      expect(VENDORS[source].deliveryId(signed(source, JSON.stringify(sample)), sample)).toEqual(
        expect.any(String),
      );
    },
  );

  it.each(HOOK_SOURCES)('%s: refuses its sample signed with a secret it does not hold', (source) => {
    const verified = VENDORS[source].verify(
      received(source, [{ name: 'main', secret: SECRETS[source] }], other(source)),
    );
    expect(verified.ok).toBe(false);
  });
});
