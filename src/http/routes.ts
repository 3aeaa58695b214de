import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** A request whose body the server has already read (within the route's limit) and whose path was matched. */
export type BufferedRequest = IncomingMessage & {
  rawBody: Buffer;
  params: Record<string, string>;
  /**
   * Runs a wait (a long poll) the server may cut short when it needs the socket: `signal` aborts, the handler
   * answers at once with what it has, and the connection closes after that answer.
   */
  waiting<T>(wait: (signal: AbortSignal) => Promise<T>): Promise<T>;
};

export type PreauthResult =
  | { ok: true }
  /** `headers`: e.g. a 401's `WWW-Authenticate`. */
  | { ok: false; status: number; body: unknown; headers?: Record<string, string> };

/** Decides from the headers alone (e.g. a bearer token) whether the body is worth reading at all. */
export type Preauth = (headers: IncomingHttpHeaders) => PreauthResult | Promise<PreauthResult>;

export interface HttpRoute {
  method: 'GET' | 'POST';
  /** Literal segments and `:name` segments, e.g. `/api/v1/campaign-actions/:id`. */
  path: string;
  /** The most body bytes read before answering 413 (0 for GET: any body is refused). */
  bodyLimit: number;
  preauth?: Preauth;
  /** Served from sockets kept for it (Slack's endpoint): other routes cannot take the last of them. */
  reserved?: boolean;
  handler: (req: BufferedRequest, res: ServerResponse) => void | Promise<void>;
}

export type RouteMatch =
  | { kind: 'found'; route: HttpRoute; params: Record<string, string> }
  | { kind: 'wrong_method'; allow: string[] }
  | { kind: 'not_found' };

/**
 * A route table that matches a pathname segment by segment: literal segments exactly, `:name` segments any one
 * non-empty segment (percent-decoded). Small on purpose: the bot has a handful of fixed routes.
 */
export function routeTable(routes: readonly HttpRoute[]): (method: string, pathname: string) => RouteMatch {
  const compiled = routes.map((route) => ({ route, segments: split(route.path) }));
  for (const { route } of compiled) {
    if (!route.path.startsWith('/')) throw new Error(`route path must start with "/": ${route.path}`);
  }
  return (method, pathname) => {
    const segments = split(pathname);
    const allow = new Set<string>();
    for (const { route, segments: pattern } of compiled) {
      const params = matchSegments(pattern, segments);
      if (!params) continue;
      if (route.method === method) return { kind: 'found', route, params };
      allow.add(route.method);
    }
    return allow.size > 0 ? { kind: 'wrong_method', allow: [...allow].sort() } : { kind: 'not_found' };
  };
}

function split(path: string): string[] {
  return path.split('/').slice(1);
}

function matchSegments(
  pattern: readonly string[],
  actual: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, want] of pattern.entries()) {
    const got = actual[i] as string;
    if (want.startsWith(':')) {
      if (got === '') return undefined;
      const decoded = decode(got);
      if (decoded === undefined) return undefined;
      params[want.slice(1)] = decoded;
    } else if (want !== got) {
      return undefined;
    }
  }
  return params;
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    // A malformed escape (`%zz`) matches nothing rather than throwing out of the server.
    return undefined;
  }
}

/** The path without its query; an absolute-form target (`http://host/path`) gives its path. */
export function pathnameOf(url = '/'): string {
  if (url.startsWith('/')) return url.split(/[?#]/, 1)[0] as string;
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
