import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { addressProblem } from './callback-address.ts';

/** The runbook API's request details: headers and fields read before (or beside) the body's schema. */

/** The body's `idempotency_key`, read before the body is checked (it keys the answer to a malformed body too). */
export function idempotencyKeyOf(raw: string): string | undefined {
  try {
    const v = (JSON.parse(raw) as { idempotency_key?: unknown } | null)?.idempotency_key;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** `Prefer: wait=N` (RFC 7240), N at most 25 s (what senders' own timeouts allow); undefined without one. */
export function preferWait(req: IncomingMessage): number | undefined {
  const m = /(?:^|[,;\s])wait=(\d{1,4})\b/i.exec(header(req, 'prefer') ?? '');
  return m ? Math.min(MAX_PREFER_WAIT_S, Number(m[1])) : undefined;
}
const MAX_PREFER_WAIT_S = 25;

/** Why a callback_url may not be called: HTTPS only (loopback where allowed), never a private address literal. */
export function callbackProblem(url: string, allowLoopback: boolean): string | undefined {
  const u = new URL(url);
  if (u.username || u.password) return 'must not carry credentials';
  const host = u.hostname.replace(/\.$/, '').toLowerCase();
  const named = host === 'localhost' || host.endsWith('.localhost');
  const literal = isIP(host.replace(/^\[|\]$/g, '')) !== 0 ? addressProblem(host, allowLoopback) : undefined;
  if (named && !allowLoopback) return 'a loopback address (CALLBACK_ALLOW_LOOPBACK is off)';
  if (literal) return `${literal}${literal.includes('loopback') ? ' (CALLBACK_ALLOW_LOOPBACK is off)' : ''}`;
  const loopback =
    named || (isIP(host.replace(/^\[|\]$/g, '')) !== 0 && addressProblem(host, false) !== undefined);
  if (u.protocol === 'https:' || (loopback && allowLoopback)) return undefined;
  return 'must be https://';
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `?wait=SECONDS` on a status call: 0 when absent, undefined when not 0–MAX_WAIT_S. */
export function waitSeconds(url: string | undefined, max: number): number | undefined {
  const raw = new URL(url ?? '/', 'http://x').searchParams.get('wait');
  if (raw === null) return 0;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 && n <= max ? n : undefined;
}
