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
// Addresses that carry an IPv4 address inside, whose gateway would reach that address (the metadata service's
// 169.254.169.254, a private network) whatever its IPv6 form: refused whole, since which IPv4 address a gateway
// makes of one is the gateway's business. IPv4-mapped `::ffff:a.b.c.d` is judged as the IPv4 address it is (the
// BlockList maps it), as the socket would connect to that address itself.
const TUNNELLED = [
  ['::', 96], // IPv4-compatible `::a.b.c.d` (deprecated; includes `::`)
  ['64:ff9b::', 96], // NAT64, well-known prefix (RFC 6052)
  ['64:ff9b:1::', 48], // NAT64, local use (RFC 8215)
  ['2002::', 16], // 6to4 (RFC 3056)
  ['2001::', 32], // Teredo (RFC 4380)
] as const;
const TUNNEL = new BlockList();
for (const [net, prefix] of TUNNELLED) TUNNEL.addSubnet(net, prefix, 'ipv6');
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
  if (family === 'ipv6' && TUNNEL.check(address, family))
    return 'an IPv6 address that carries an IPv4 one (NAT64, 6to4, Teredo or IPv4-compatible)';
  return undefined;
}

/** A `lookup` for net/tls.connect that refuses names resolving to an address the bot may not call. */
export function guardedLookup(allowLoopback: boolean, resolve: typeof dnsLookup = dnsLookup) {
  return (
    hostname: string,
    options: object,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
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
