import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import type { Metrics } from './metrics.ts';

export interface OpsState {
  /** The process is up and serving (false once shutdown starts). */
  alive(): boolean;
  /** Ready for traffic: Slack auth succeeded and, when configured, Redis answers. Names what is not. */
  readiness(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
  metrics: Metrics;
}

/**
 * The operational endpoints, served by Bolt's receiver beside /slack/events (and in Socket Mode on the
 * receiver's own HTTP server): /healthz (liveness), /readyz (readiness), /metrics (Prometheus).
 */
export function opsRoutes(state: OpsState): CustomRoute[] {
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  return [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req: IncomingMessage, res: ServerResponse) =>
        json(res, state.alive() ? 200 : 503, { ok: state.alive() }),
    },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req: IncomingMessage, res: ServerResponse) => {
        state.readiness().then(
          (r) => json(res, r.ready ? 200 : 503, r),
          () => json(res, 503, { ready: false, checks: {} }),
        );
      },
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler: (_req: IncomingMessage, res: ServerResponse) => {
        state.metrics.text().then(
          (text) => {
            res.writeHead(200, { 'content-type': state.metrics.contentType });
            res.end(text);
          },
          () => json(res, 500, { error: 'metrics unavailable' }),
        );
      },
    },
  ];
}
