import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { Preauth } from '../../http/routes.ts';
import { problem } from '../http/kit/problem.ts';
import { createRunbookAuth } from '../http/kit/tokens.ts';

/**
 * Who may reach the agent door, judged from the headers before a body is read: a browser page from an Origin
 * that is not allowed gets 403 (DNS rebinding: a page that resolves its own name to this bot must not reach it),
 * then a request without a known agent's bearer token gets 401 with `WWW-Authenticate: Bearer`. Tokens are
 * compared as SHA-256 digests, timing-safe, against every agent's (doors/http/kit/tokens.ts), and never logged.
 */
export interface AgentAccessOptions {
  /** MCP_TOKENS: each agent's name and token. */
  tokens: readonly { name: string; token: string }[];
  /** MCP_ALLOWED_ORIGINS: origins beside none and loopback ones, lower case. */
  allowedOrigins: readonly string[];
  /** Tests only: a request with no Authorization header acts as this agent (the conformance suite sends none). */
  openAgent?: string;
  logger: Logger;
}

const REALM = 'Bearer realm="campaign-bot"';

export function createAgentAccess(options: AgentAccessOptions) {
  const auth = createRunbookAuth(options.tokens);
  const allowed = new Set(options.allowedOrigins);
  const audit = options.logger.child({ module: 'audit' });

  /** The agent the headers carry the token of: its name, or why none. */
  function agentOf(
    headers: IncomingHttpHeaders,
  ): { ok: true; name: string } | { ok: false; message: string } {
    const verdict = auth.checkBearer(headers);
    if (verdict?.ok) return { ok: true, name: verdict.principal.name };
    if (!verdict && options.openAgent !== undefined && headers.authorization === undefined) {
      return { ok: true, name: options.openAgent };
    }
    return { ok: false, message: verdict ? verdict.message : 'send Authorization: Bearer <token>' };
  }

  const preauth: Preauth = (headers) => {
    const origin = headers.origin;
    if (origin !== undefined && !originAllowed(origin, allowed)) {
      audit.info({ event: 'mcp_denied', reason: 'origin', origin: origin.slice(0, 200) });
      return { ok: false, ...problem(403, 'forbidden_origin', 'requests from this Origin are not taken') };
    }
    const who = agentOf(headers);
    if (who.ok) return { ok: true };
    audit.info({ event: 'mcp_denied', reason: 'unauthenticated', detail: who.message });
    const challenge =
      headers.authorization === undefined
        ? REALM
        : `${REALM}, error="invalid_token", error_description="${who.message}"`;
    return {
      ok: false,
      ...problem(401, 'unauthorized', who.message),
      headers: { 'www-authenticate': challenge },
    };
  };

  return { preauth, agentOf };
}

export type AgentAccess = ReturnType<typeof createAgentAccess>;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * An Origin a browser may call from: a loopback page (a local client's own UI), or one MCP_ALLOWED_ORIGINS names.
 * `null` (a sandboxed frame, a file) and anything unreadable are not.
 */
export function originAllowed(origin: string, allowed: ReadonlySet<string>): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (allowed.has(origin.toLowerCase())) return true;
  return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK.has(url.hostname);
}
