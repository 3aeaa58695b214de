import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** A runbook credential as RUNBOOK_TOKENS gives it (config.ts checks it); only its SHA-256 is kept. */
export interface RunbookToken {
  name: string;
  token: string;
}

export interface RunbookPrincipal {
  name: string;
}

interface Credential extends RunbookPrincipal {
  /** sha256(token): compared for bearer tokens, and the HMAC key for signed requests. */
  digest: Buffer;
}

export type AuthResult = { ok: true; principal: RunbookPrincipal } | { ok: false; message: string };

export const SIGNATURE_HEADER = 'x-campaign-bot-signature';
export const TIMESTAMP_HEADER = 'x-campaign-bot-timestamp';
export const KEY_HEADER = 'x-campaign-bot-key';
const MAX_SKEW_SECONDS = 300;

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * `v1=<hex HMAC-SHA256 of "v1:<timestamp>:<METHOD>:<path>:<body>">`, keyed by the SHA-256 of the token. Method and
 * path are signed too, so a signature cannot be moved to another call, and two GETs in one second differ.
 */
export function signRunbookRequest(
  token: string,
  timestamp: number,
  body: string,
  method = 'POST',
  path = '/api/v1/campaign-actions',
): string {
  return signWith(sha256(token), timestamp, method, path, body);
}

function signWith(key: Buffer, timestamp: number, method: string, path: string, body: string): string {
  return `v1=${createHmac('sha256', key).update(`v1:${timestamp}:${method.toUpperCase()}:${path}:${body}`).digest('hex')}`;
}

export function createRunbookAuth(
  tokens: readonly RunbookToken[],
  options: { now?: () => number; seenSignature?: (signature: string) => Promise<boolean> } = {},
) {
  const now = options.now ?? Date.now;
  const credentials: Credential[] = tokens.map((t) => ({ name: t.name, digest: sha256(t.token) }));
  const principal = ({ digest: _d, ...p }: Credential): RunbookPrincipal => p;

  /**
   * A bearer token, judged from the headers alone (before any body is read): undefined when the request
   * carries none (it may be signed instead).
   */
  function checkBearer(headers: Record<string, string | string[] | undefined>): AuthResult | undefined {
    const raw = headers.authorization;
    const authorization = Array.isArray(raw) ? raw[0] : raw;
    if (!authorization?.startsWith('Bearer ')) return undefined;
    const presented = sha256(authorization.slice('Bearer '.length).trim());
    // Compare against every credential so the time taken does not tell which name matched.
    let match: Credential | undefined;
    for (const c of credentials) if (timingSafeEqual(c.digest, presented)) match ??= c;
    return match ? { ok: true, principal: principal(match) } : { ok: false, message: 'unknown token' };
  }

  /** Authenticates by `Authorization: Bearer` or by an HMAC signature over timestamp, method, path and body. */
  async function authenticate(
    headers: Record<string, string | string[] | undefined>,
    body: string,
    method: string,
    path: string,
  ): Promise<AuthResult> {
    const h = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const bearer = checkBearer(headers);
    if (bearer) return bearer;
    const signature = h(SIGNATURE_HEADER);
    if (signature !== undefined) {
      const credential = credentials.find((c) => c.name === h(KEY_HEADER));
      const timestamp = Number(h(TIMESTAMP_HEADER));
      // The same words for an unknown name and a wrong signature: which names exist is not told.
      if (!credential) return { ok: false, message: 'bad signature' };
      if (!Number.isInteger(timestamp) || Math.abs(now() / 1000 - timestamp) > MAX_SKEW_SECONDS) {
        return {
          ok: false,
          message: `${TIMESTAMP_HEADER} missing or more than ${MAX_SKEW_SECONDS} s away from now`,
        };
      }
      const expected = signWith(credential.digest, timestamp, method, path, body);
      const a = Buffer.from(expected);
      const b = Buffer.from(signature);
      if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, message: 'bad signature' };
      if (options.seenSignature && !(await options.seenSignature(signature))) {
        return { ok: false, message: 'replayed request: this signature was already used' };
      }
      return { ok: true, principal: principal(credential) };
    }
    return {
      ok: false,
      message: `send Authorization: Bearer <token>, or ${SIGNATURE_HEADER} with ${TIMESTAMP_HEADER} and ${KEY_HEADER}`,
    };
  }

  /** The key a token's callbacks are signed with (the SHA-256 of the token, as for its signed calls). */
  const keyOf = (name: string): Buffer | undefined => credentials.find((c) => c.name === name)?.digest;

  return { authenticate, checkBearer, keyOf, configured: credentials.length > 0 };
}

export type RunbookAuth = ReturnType<typeof createRunbookAuth>;
