import dns from 'node:dns';
import net from 'node:net';

/**
 * Loaded into a child process that must work offline (`node --import <this file> …`): a connection to anything but
 * this machine, and a name look-up of anything but localhost, fails at once, and is told on stderr so the test that
 * started the child sees it. A tool that would need the network (a registry, an update check, a remote schema)
 * then fails the test here, on any machine, instead of only where the network is down.
 */

const MARK = 'offline guard: blocked';

function loopback(host: string | undefined): boolean {
  if (host === undefined || host === '' || host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  if (net.isIPv4(bare)) return bare.startsWith('127.');
  if (net.isIPv6(bare)) return bare === '::1' || bare.startsWith('::ffff:127.');
  return false;
}

function blocked(what: string): Error {
  process.stderr.write(`${MARK} ${what}\n`);
  return new Error(`${MARK} ${what}`);
}

/** The host a `socket.connect(…)` call is for: net.connect hands it its normalized `[options, callback]`. */
function hostOf(args: unknown[]): string | undefined {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === 'object' && first !== null) {
    const o = first as { host?: string; path?: string };
    return o.path !== undefined ? 'localhost' : o.host;
  }
  if (typeof first === 'string') return 'localhost'; // an IPC path
  return typeof args[1] === 'string' ? args[1] : undefined;
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const host = hostOf(args);
  if (loopback(host)) return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  const error = blocked(`a connection to ${host}`);
  process.nextTick(() => this.destroy(error));
  return this;
} as typeof connect;

const lookup = dns.lookup;
dns.lookup = function guardedLookup(hostname: string, ...rest: unknown[]) {
  if (loopback(hostname)) return (lookup as (...a: unknown[]) => void).call(dns, hostname, ...rest);
  const callback = rest.at(-1) as (error: Error) => void;
  const error = blocked(`a look-up of ${hostname}`);
  process.nextTick(() => callback(error));
} as typeof dns.lookup;
const lookupPromise = dns.promises.lookup;
dns.promises.lookup = ((hostname: string, ...rest: unknown[]) =>
  loopback(hostname)
    ? (lookupPromise as (...a: unknown[]) => Promise<unknown>)(hostname, ...rest)
    : Promise.reject(blocked(`a look-up of ${hostname}`))) as typeof dns.promises.lookup;
