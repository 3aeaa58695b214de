import type { LookupAddress, lookup } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { addressProblem, guardedLookup } from '../../../../../src/doors/http/runbook/callback-address.ts';
import { callbackProblem } from '../../../../../src/doors/http/runbook/request-fields.ts';

/** IPv6 forms that carry an IPv4 address a gateway would reach (here the metadata service's or loopback). */
const TUNNELLED = {
  'NAT64 well-known prefix': '64:ff9b::a9fe:a9fe',
  'NAT64 well-known prefix, dotted': '64:ff9b::169.254.169.254',
  'NAT64 local-use prefix': '64:ff9b:1::a9fe:a9fe',
  '6to4': '2002:a9fe:a9fe::1',
  'IPv4-compatible': '::169.254.169.254',
  'IPv4-compatible, public': '::8.8.8.8',
  Teredo: '2001:0:4136:e378:8000:63bf:3fff:fdd2',
};

/** A resolver that answers every name with `addresses` (and fails loudly on an unexpected option). */
const resolvingTo = (addresses: LookupAddress[]) =>
  ((_name: string, options: { all?: boolean }, cb: (e: null, a: LookupAddress[]) => void) => {
    if (!options.all) throw new Error('guardedLookup must ask for every address');
    cb(null, addresses);
  }) as unknown as typeof lookup;

function lookUp(addresses: LookupAddress[], allowLoopback = false) {
  return new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
    guardedLookup(allowLoopback, resolvingTo(addresses))('callback.example', {}, (err, address) =>
      resolve({ err, address }),
    ),
  );
}

describe('the callback address filter', () => {
  for (const [form, address] of Object.entries(TUNNELLED)) {
    it(`refuses ${form} (${address}) as a literal in callback_url`, () => {
      expect(addressProblem(address, true)).toMatch(/carries an IPv4/);
      expect(callbackProblem(`https://[${address}]/hook`, true)).toMatch(/carries an IPv4/);
    });

    it(`refuses a name resolving to ${form} (${address}) at connect time`, async () => {
      const { err } = await lookUp([{ address, family: 6 }]);
      expect(err?.code).toBe('EACCES');
      expect(err?.message).toMatch(/carries an IPv4/);
    });
  }

  it('judges IPv4-mapped addresses as the IPv4 address they are, dotted or in hex', () => {
    expect(addressProblem('::ffff:169.254.169.254', false)).toBe('a private or reserved address');
    expect(addressProblem('::ffff:a9fe:a9fe', false)).toBe('a private or reserved address');
    expect(callbackProblem('https://[::ffff:10.0.0.1]/x', false)).toBe('a private or reserved address');
    expect(addressProblem('::ffff:127.0.0.1', false)).toBe('a loopback address');
    expect(addressProblem('::ffff:7f00:1', false)).toBe('a loopback address');
    expect(addressProblem('::ffff:8.8.8.8', false)).toBeUndefined();
  });

  it('refuses a name if any one of its addresses is refused', async () => {
    const { err } = await lookUp([
      { address: '2606:4700::1111', family: 6 },
      { address: '2002:a9fe:a9fe::1', family: 6 },
    ]);
    expect(err?.code).toBe('EACCES');
  });

  it('still lets public addresses through, and loopback (::1) only where allowed', async () => {
    for (const address of ['2606:4700::1111', '2001:4860:4860::8888', '8.8.8.8']) {
      expect(addressProblem(address, false)).toBeUndefined();
    }
    expect(addressProblem('::1', true)).toBeUndefined();
    expect(addressProblem('::1', false)).toBe('a loopback address');
    expect(addressProblem('::', true)).toBe('a private or reserved address');
    const { err, address } = await lookUp([{ address: '2606:4700::1111', family: 6 }]);
    expect(err).toBeNull();
    expect(address).toBe('2606:4700::1111');
  });
});
