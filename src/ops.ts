import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendJson } from './http/reply.ts';
import type { BufferedRequest } from './http/routes.ts';
import type { Metrics } from './metrics.ts';
import { VERSION } from './version.ts';

export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean>;
  /** The checks that fail, each with why (only when some do). */
  failing?: Record<string, string>;
}

export interface OpsState {
  /**
   * The process is up and can still do its work by itself (false once shutdown starts, or once a dependency's
   * client has given up for good): a restart would help. A dependency that is down but retried is readiness's
   * business, not liveness's: a restart would not bring it back, and would lose what the process holds.
   */
  alive(): boolean;
  /** Ready for traffic: Slack auth succeeded, the stores take a write, MoEngage takes the key. Names what is not. */
  readiness(): Promise<Readiness>;
  metrics: Metrics;
}

/** A readiness check: true when ready; false, or a rejection whose message says why, when not. */
export type ReadinessCheck = () => Promise<boolean>;

/**
 * Runs every check at once (each bounds its own wait) beside the process's own facts, and logs each check that
 * turns failing (with why) or passing again, once per change: the operator sees the cause without polling.
 */
export function readinessOf(
  own: () => Record<string, boolean>,
  checks: Record<string, ReadinessCheck>,
  logger: Logger,
): () => Promise<Readiness> {
  const log = logger.child({ module: 'readiness' });
  const failingNow = new Map<string, string>();
  return async () => {
    const failing: Record<string, string> = {};
    const results: Record<string, boolean> = { ...own() };
    for (const [name, ok] of Object.entries(results)) if (!ok) failing[name] = 'not ready';
    await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          results[name] = await check();
          if (!results[name]) failing[name] = 'not ready';
        } catch (error) {
          results[name] = false;
          failing[name] = (error as Error).message;
        }
      }),
    );
    for (const name of Object.keys(checks)) {
      const reason = failing[name];
      if (reason !== undefined && !failingNow.has(name)) log.warn({ check: name, reason }, 'not ready');
      if (reason === undefined && failingNow.has(name)) log.info({ check: name }, 'ready again');
      if (reason === undefined) failingNow.delete(name);
      else failingNow.set(name, reason);
    }
    const ready = Object.values(results).every(Boolean);
    return ready ? { ready, checks: results } : { ready, checks: results, failing };
  };
}

/** The operational endpoints: /healthz (liveness), /readyz (readiness), /metrics (Prometheus). */
export function opsHandlers(state: OpsState) {
  return {
    healthz(req: BufferedRequest, res: ServerResponse) {
      // The version too: a probe (or a person with curl) sees which build answers, e.g. during a rolling deploy.
      const ok = state.alive();
      sendJson(req, res, ok ? 200 : 503, { ok, version: VERSION });
    },
    async readyz(req: BufferedRequest, res: ServerResponse) {
      const r = await state
        .readiness()
        .catch((error: Error) => ({ ready: false, checks: {}, failing: { readiness: error.message } }));
      sendJson(req, res, r.ready ? 200 : 503, r);
    },
    async metrics(req: BufferedRequest, res: ServerResponse) {
      try {
        const text = await state.metrics.text();
        res.writeHead(200, { 'content-type': state.metrics.contentType, 'cache-control': 'no-store' });
        res.end(text);
      } catch {
        sendJson(req, res, 500, { error: 'metrics unavailable' });
      }
    },
  };
}
