import type { ServerResponse } from 'node:http';
import type { BufferedRequest, HttpRoute, Preauth } from './http/routes.ts';

/**
 * Every HTTP route the bot serves: method and path to a handler's name and its body limit. No logic here; a
 * glance lists the whole HTTP surface, and a test holds the runbook API's entries to docs/openapi.yaml.
 */
export const HTTP_ROUTES = [
  // Slack's requests keep sockets of their own (HttpLimits.reservedConnections).
  { method: 'POST', path: '/slack/events', handler: 'slackEvents', body: 'slack', reserved: true },
  { method: 'GET', path: '/healthz', handler: 'healthz', body: 'none' },
  { method: 'GET', path: '/readyz', handler: 'readyz', body: 'none', ops: true },
  { method: 'GET', path: '/metrics', handler: 'metrics', body: 'none', ops: true },
  { method: 'POST', path: '/api/v1/campaign-actions', handler: 'proposeAction', body: 'api', bearer: true },
  {
    method: 'GET',
    path: '/api/v1/campaign-actions/:id',
    handler: 'actionStatus',
    body: 'none',
    bearer: true,
  },
  { method: 'GET', path: '/api/v1/audit', handler: 'auditExport', body: 'none', bearer: true },
  // Each sender verified by its own scheme (doors/http/hooks/vendors/), not our bearer; its payloads are larger.
  { method: 'POST', path: '/api/v1/hooks/:source', handler: 'hook', body: 'slack' },
  // AI agents (MCP, Streamable HTTP): their Origin and bearer token checked from the headers (doors/mcp/).
  // POST only: the door is stateless, so GET (a stream) and DELETE (a session) get 405.
  { method: 'POST', path: '/mcp', handler: 'mcp', body: 'api', preauth: 'agent' },
] as const;

export type HandlerName = (typeof HTTP_ROUTES)[number]['handler'];
export type Handler = (req: BufferedRequest, res: ServerResponse) => void | Promise<void>;
/** Header checks a route names for itself (`preauth`), beside the runbook bearer check (`bearer`). */
export type PreauthName = 'agent';

/** Bytes a body may have: Slack's payloads carry a whole message (256 KiB is ample); the API's a list of ids. */
export interface BodyLimits {
  slack: number;
  api: number;
}

/**
 * The table with its handlers. A route whose handler is absent (the API without RUNBOOK_TOKENS, /slack/events in
 * Socket Mode) is not served. `bearer` routes check a bearer token from the headers before reading the body; a
 * route naming its own `preauth` is served only with that check given (it fails closed).
 */
export function buildRoutes(
  handlers: Partial<Record<HandlerName, Handler>>,
  limits: BodyLimits,
  bearer: Preauth,
  /** `main`: all but the ops routes (they are on METRICS_PORT); `ops`: those and /healthz; `all`: everything. */
  serve: 'all' | 'main' | 'ops' = 'all',
  preauths: Partial<Record<PreauthName, Preauth>> = {},
): HttpRoute[] {
  return HTTP_ROUTES.flatMap((r): HttpRoute[] => {
    const handler = handlers[r.handler];
    if (!handler) return [];
    const own = 'preauth' in r ? preauths[r.preauth] : undefined;
    if ('preauth' in r && !own) return [];
    const ops = 'ops' in r && r.ops;
    if (serve === 'main' && ops) return [];
    if (serve === 'ops' && !ops && r.path !== '/healthz') return [];
    return [
      {
        method: r.method,
        path: r.path,
        bodyLimit: r.body === 'none' ? 0 : limits[r.body],
        ...('bearer' in r && r.bearer ? { preauth: bearer } : {}),
        ...(own ? { preauth: own } : {}),
        ...('reserved' in r && r.reserved ? { reserved: true } : {}),
        handler,
      },
    ];
  });
}
