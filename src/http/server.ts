import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { createBodyBudget, readBody } from './body.ts';
import { trackConnections } from './connections.ts';
import { problem, sendJson } from './reply.ts';
import { type HttpRoute, pathnameOf, routeTable } from './routes.ts';

export type { BufferedRequest, HttpRoute, Preauth, PreauthResult } from './routes.ts';

export interface HttpLimits {
  /** Until the request headers are in (also how long a new socket may stay silent). */
  headersTimeoutMs: number;
  /** Until the whole request, body included, is in: what bounds a trickled upload. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive socket is kept between requests. */
  keepAliveTimeoutMs: number;
  maxHeaderSize: number;
  /** Open sockets; at the cap the oldest idle or still-sending one (else a long poll) is shed for the newcomer. */
  maxConnections: number;
  /** Of those, kept for reserved routes (Slack's): the others may have at most the rest with a handler at once. */
  reservedConnections: number;
  /** Bytes buffered across all unfinished bodies. */
  bodyBudgetBytes: number;
  /** A body declaring at most this many bytes may evict the oldest unfinished one when the budget is spent. */
  smallBodyBytes: number;
  /** How long close() waits for in-flight responses before cutting them. */
  closeGraceMs: number;
}

/**
 * Slack gives up on an answer after 3 s and sends its small bodies in one go, so a request still arriving after
 * 10 s is an attack or a broken client. 256 sockets (about 45 KiB each in Node) and 8 MiB of bodies (32 of
 * Slack's largest) keep what a flood can hold to a few tens of MiB, whatever the number of connections. Slack's
 * bodies are mostly a few KiB: those declaring up to 64 KiB may push a stalled upload out of a spent budget,
 * larger ones wait their turn. 64 of the sockets are Slack's: the other routes (a runbook token's long polls
 * above all) can never hold every socket with a handler, so a signed slash command always finds one.
 */
export const DEFAULT_LIMITS: HttpLimits = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderSize: 16 * 1024,
  maxConnections: 256,
  reservedConnections: 64,
  bodyBudgetBytes: 8 * 1024 * 1024,
  smallBodyBytes: 64 * 1024,
  closeGraceMs: 5_000,
};

export interface HttpServerOptions {
  port: number;
  host: string;
  logger: Logger;
  routes: readonly HttpRoute[];
  limits?: Partial<HttpLimits>;
  /** Called once each answer to a matched route is written: the route's path and seconds since its headers came. */
  onResponse?: (path: string, seconds: number) => void;
}

export interface RunningHttpServer {
  server: Server;
  port: number;
  /** Open sockets and body bytes being buffered now (for tests and gauges). */
  stats(): { connections: number; bufferedBytes: number; handling: number; handlingUnreserved: number };
  /** Stops accepting, closes idle sockets, waits for in-flight responses (bounded), destroys the rest. */
  close(): Promise<void>;
}

/** The one HTTP server of the bot: every route, with bodies, time and sockets bounded before any handler runs. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.logger.child({ module: 'http' });
  const match = routeTable(options.routes);
  const budget = createBodyBudget(limits.bodyBudgetBytes);
  let atCap = false;
  const connections = trackConnections(
    limits.maxConnections,
    (count) => {
      if (!atCap)
        log.warn({ connections: count, max: limits.maxConnections }, 'at the connection cap: shedding');
      atCap = true;
    },
    // Never more than a quarter of the sockets: the other routes keep most of them.
    Math.min(limits.reservedConnections, Math.floor(limits.maxConnections / 4)),
  );
  let closing: Promise<void> | undefined;

  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxHeaderSize: limits.maxHeaderSize,
    // Node checks those timeouts only this often (30 s by default, which would let a trickle run 3× too long).
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
  });
  server.on('connection', (socket) => {
    if (connections.size() < limits.maxConnections) atCap = false;
    connections.add(socket);
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    serve(req, res).catch((error: unknown) => fail(req, res, error, 'request handling failed'));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    if (closing) res.setHeader('connection', 'close');
    const path = pathnameOf(req.url);
    const found = match(req.method ?? '', path);
    if (found.kind === 'not_found') {
      return sendJson(req, res, 404, problem('not_found', `no route for ${req.method} ${path}`));
    }
    if (found.kind === 'wrong_method') {
      const allow = found.allow.join(', ');
      return sendJson(req, res, 405, problem('method_not_allowed', `use ${allow}`), { allow });
    }
    const { route, params } = found;
    const tracking = connections.requestStarted(req.socket, res, route.reserved === true);
    res.once('finish', () => options.onResponse?.(route.path, (performance.now() - started) / 1000));
    if (route.preauth) {
      const verdict = await route.preauth(req.headers);
      if (!verdict.ok) return sendJson(req, res, verdict.status, verdict.body, verdict.headers);
    }
    const outcome = await readBody(req, { limit: route.bodyLimit, smallBody: limits.smallBodyBytes }, budget);
    if (!outcome.ok) {
      if ('refusal' in outcome) {
        const { status, body, headers } = outcome.refusal;
        sendJson(req, res, status, body, headers);
      }
      return;
    }
    if (!tracking.toHandler()) {
      log.warn({ route: route.path }, 'the sockets left beside the reserved ones are all busy: refused');
      return sendJson(req, res, 503, problem('busy', 'too many requests in progress; retry shortly'), {
        'retry-after': '1',
      });
    }
    try {
      const buffered = Object.assign(req, { rawBody: outcome.body, params, waiting: tracking.waiting });
      await route.handler(buffered, res);
    } catch (error) {
      fail(req, res, error, 'HTTP handler failed', route.path);
    }
  }

  // Never the headers or the body: they carry signatures, tokens and user input.
  function fail(req: IncomingMessage, res: ServerResponse, error: unknown, msg: string, route?: string) {
    const err = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    log.error({ err, method: req.method, route }, msg);
    sendJson(req, res, 500, problem('internal', 'something went wrong on our side'));
  }

  server.listen(options.port, options.host);
  // Rejects with the listen error (EADDRINUSE, EACCES) instead of waiting forever.
  await once(server, 'listening');
  server.on('error', (error) => log.error({ err: String(error) }, 'HTTP server error'));
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : options.port;

  return {
    server,
    port,
    stats: () => {
      const handling = connections.handling();
      return {
        connections: connections.size(),
        bufferedBytes: budget.used(),
        handling: handling.all,
        handlingUnreserved: handling.unreserved,
      };
    },
    close() {
      closing ??= Promise.all([
        new Promise<void>((resolve) => server.close(() => resolve())),
        connections.drain(limits.closeGraceMs),
      ]).then(() => {});
      return closing;
    },
  };
}
