import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where a callback may go: never to this machine's or a private network's addresses (SSRF), whatever name points
 * there. Loopback only where CALLBACK_ALLOW_LOOPBACK is on (a sidecar, tests). The check is made on the address
 * the connection then uses (a lookup for the connection itself), so a name cannot resolve twice, differently.
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** `::ffff:1.2.3.4` is 1.2.3.4. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (m) return { address: m[1] as string, family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

/** Why the bot may not call this address, or undefined. */
export function addressProblem(raw: string, allowLoopback: boolean): string | undefined {
  const { address, family } = unmapped(raw.replace(/^\[|\]$/g, ''));
  if (LOOPBACK.check(address, family)) return allowLoopback ? undefined : 'a loopback address';
  if (PRIVATE.check(address, family)) return 'a private or reserved address';
  return undefined;
}

/** A `lookup` for net/tls.connect that refuses names resolving to an address the bot may not call. */
export function guardedLookup(allowLoopback: boolean) {
  return (
    hostname: string,
    options: object,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses as LookupAddress[];
      const bad = list.map((a) => addressProblem(a.address, allowLoopback)).find((p) => p !== undefined);
      if (bad || list.length === 0) {
        return callback(
          Object.assign(new Error(`callback host resolves to ${bad ?? 'nothing'}`), { code: 'EACCES' }),
          '',
        );
      }
      if ((options as { all?: boolean }).all) return callback(null, list);
      const first = list[0] as LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
}
