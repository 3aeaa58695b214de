import type { ServerResponse } from 'node:http';
import { sendJson } from './http/reply.ts';
import type { BufferedRequest } from './http/routes.ts';
import type { Metrics } from './metrics.ts';

export interface OpsState {
  /** The process is up and serving (false once shutdown starts). */
  alive(): boolean;
  /** Ready for traffic: Slack auth succeeded and, when configured, Redis answers. Names what is not. */
  readiness(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
  metrics: Metrics;
}

/** The operational endpoints: /healthz (liveness), /readyz (readiness), /metrics (Prometheus). */
export function opsHandlers(state: OpsState) {
  return {
    healthz(req: BufferedRequest, res: ServerResponse) {
      sendJson(req, res, state.alive() ? 200 : 503, { ok: state.alive() });
    },
    async readyz(req: BufferedRequest, res: ServerResponse) {
      const r = await state.readiness().catch(() => ({ ready: false, checks: {} }));
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
