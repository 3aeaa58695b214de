import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { STATUS_PATH } from '../moengage/client.ts';
import { MOENGAGE_LIMITS, type RateLimits } from '../moengage/limiter.ts';
import { CAMPAIGN_ACTIONS, type CampaignAction, MAX_IDS_PER_REQUEST } from '../moengage/types.ts';
import { type SimCampaign, transition } from './campaigns.ts';
import { type Window, windowsFor, windowVerdict } from './windows.ts';

/**
 * A MoEngage campaign status API on 127.0.0.1 that follows the documented contract (shared/MOENGAGE-API.md):
 * Basic auth + MOE-APPKEY (401), body validation (400), sliding 10/s, 100/min, 6000/h windows (429 with
 * x-ratelimit-* headers), campaigns whose type and status decide which changes are valid (400, whole request,
 * nothing applied), and scripted faults. Where the docs are silent it picks the stricter behaviour.
 */

export type SimOutcome =
  | 'applied'
  | 'rejected'
  | 'invalid'
  | 'unauthorized'
  | 'rate_limited'
  | 'fault'
  | 'reset'
  | 'abandoned'
  | 'not_found';

export interface RecordedRequest {
  seq: number;
  /** Arrival time, epoch ms with sub-ms precision. */
  at: number;
  method: string;
  path: string;
  requestId: string | undefined;
  action: string | undefined;
  campaignIds: string[] | undefined;
  /** Which credential was presented (never the key itself). */
  auth: 'valid' | 'invalid' | 'missing';
  appKeyHeader: string | undefined;
  contentType: string | undefined;
  status: number | undefined;
  outcome: SimOutcome;
}

export type Fault =
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'reset' }
  | { kind: 'latency'; ms: number };

export interface MoEngageSimOptions {
  workspaceId: string;
  apiKey: string;
  campaigns?: readonly SimCampaign[];
  /** `false` turns rate limiting off. */
  limits?: RateLimits | false;
  /** Also send `Retry-After` on a 429 (MoEngage documents it only for v5). */
  retryAfterHeader?: boolean;
  port?: number;
  host?: string;
  onRequest?: (request: RecordedRequest) => void;
}

export interface MoEngageSim {
  url: string;
  port: number;
  /** Every request that arrived, in order. */
  readonly requests: readonly RecordedRequest[];
  /** The status requests only. */
  statusRequests(): RecordedRequest[];
  campaign(id: string): SimCampaign | undefined;
  setCampaigns(campaigns: readonly SimCampaign[]): void;
  /** Queues `count` copies of a fault; each status request takes the next one before anything else happens. */
  inject(fault: Fault, count?: number): void;
  failNext(count: number, status?: number): void;
  resetNext(count: number): void;
  delayNext(count: number, ms: number): void;
  clearRequests(): void;
  close(): Promise<void>;
}

const SIM_PREFIX = '/_sim';

export async function startMoEngageSim(options: MoEngageSimOptions): Promise<MoEngageSim> {
  const campaigns = new Map<string, SimCampaign>();
  const setCampaigns = (list: readonly SimCampaign[]) => {
    campaigns.clear();
    for (const c of list) campaigns.set(c.id, { ...c });
  };
  setCampaigns(options.campaigns ?? []);
  const windows: Window[] = options.limits === false ? [] : windowsFor(options.limits ?? MOENGAGE_LIMITS);
  const expectedAuth = `Basic ${Buffer.from(`${options.workspaceId}:${options.apiKey}`).toString('base64')}`;
  const requests: RecordedRequest[] = [];
  const accepted: number[] = [];
  const faults: Fault[] = [];
  let seq = 0;

  const handleStatus = async (
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
    json: unknown,
  ) => {
    const fault = faults.shift();
    if (fault?.kind === 'reset') {
      record.outcome = 'reset';
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      record.outcome = 'fault';
      const body =
        fault.body ?? errorBody(fault.status, 'Something went wrong. Please contact Moengage team', '');
      return send(res, record, fault.status, body, fault.headers);
    }
    if (fault?.kind === 'latency') {
      let gone = false;
      res.on('close', () => {
        gone = !res.writableFinished;
      });
      await sleep(fault.ms);
      if (gone) {
        // The client gave up before the request got through the gateway: nothing is applied.
        record.outcome = 'abandoned';
        return;
      }
    }
    if (record.auth !== 'valid' || record.appKeyHeader !== options.workspaceId) {
      record.outcome = 'unauthorized';
      return send(res, record, 401, UNAUTHORIZED_BODY);
    }
    const now = performance.timeOrigin + performance.now();
    const verdict = windowVerdict(accepted, now, windows);
    if (!verdict.ok) {
      record.outcome = 'rate_limited';
      const headers: Record<string, string> = {
        'x-ratelimit-limit': String(verdict.window.limit),
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.ceil(verdict.retryAt / 1000)),
      };
      if (options.retryAfterHeader)
        headers['retry-after'] = String(Math.ceil((verdict.retryAt - now) / 1000));
      return send(res, record, 429, RATE_LIMITED_BODY(record.requestId ?? ''), headers);
    }
    accepted.push(now);

    const invalid = validateBody(json);
    if (invalid) {
      record.outcome = 'invalid';
      return send(res, record, 400, errorBody(400, invalid.message, record.requestId ?? '', invalid.target));
    }
    const action = record.action as CampaignAction;
    const ids = record.campaignIds as string[];
    const problems: { target: string; message: string }[] = [];
    const next = new Map<string, SimCampaign['status']>();
    for (const id of ids) {
      const campaign = campaigns.get(id);
      if (!campaign) {
        problems.push({ target: id, message: `Campaign ${id} not found` });
        continue;
      }
      const t = transition(campaign, action);
      if (t.ok) next.set(id, t.status);
      else problems.push({ target: id, message: `Campaign ${id} cannot be ${VERB[action]}: ${t.reason}` });
    }
    if (problems.length > 0) {
      // A request succeeds or fails as a whole (documented): nothing is applied.
      record.outcome = 'rejected';
      const message =
        problems.length === 1
          ? (problems[0] as { message: string }).message
          : `${problems.length} of ${ids.length} campaigns cannot be ${VERB[action]}`;
      return send(
        res,
        record,
        400,
        errorBody(400, message, record.requestId ?? '', 'campaign_ids', problems),
      );
    }
    for (const [id, status] of next) (campaigns.get(id) as SimCampaign).status = status;
    record.outcome = 'applied';
    // Documented: 200 with no body.
    return send(res, record, 200, '');
  };

  const handleControl = async (req: IncomingMessage, res: ServerResponse, path: string, body: string) => {
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (path === '/requests' && req.method === 'GET') return json(200, requests);
    if (path === '/requests' && req.method === 'DELETE') {
      requests.length = 0;
      return json(200, { ok: true });
    }
    if (path === '/campaigns' && req.method === 'GET') return json(200, [...campaigns.values()]);
    if (path === '/campaigns' && req.method === 'PUT') {
      setCampaigns(JSON.parse(body) as SimCampaign[]);
      return json(200, { ok: true, count: campaigns.size });
    }
    if (path === '/faults' && req.method === 'POST') {
      const { count = 1, ...fault } = JSON.parse(body) as Fault & { count?: number };
      sim.inject(fault as Fault, count);
      return json(200, { ok: true, queued: faults.length });
    }
    return json(404, { error: `no simulator control at ${req.method} ${SIM_PREFIX}${path}` });
  };

  const server = createServer(async (req, res) => {
    const record: RecordedRequest = {
      seq: ++seq,
      at: performance.timeOrigin + performance.now(),
      method: req.method ?? '',
      path: req.url ?? '',
      requestId: undefined,
      action: undefined,
      campaignIds: undefined,
      auth:
        req.headers.authorization === undefined
          ? 'missing'
          : req.headers.authorization === expectedAuth
            ? 'valid'
            : 'invalid',
      appKeyHeader: header(req, 'moe-appkey'),
      contentType: header(req, 'content-type'),
      status: undefined,
      outcome: 'not_found',
    };
    try {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://sim');
      if (url.pathname.startsWith(`${SIM_PREFIX}/`)) {
        return await handleControl(req, res, url.pathname.slice(SIM_PREFIX.length), body);
      }
      requests.push(record);
      options.onRequest?.(record);
      if (!url.pathname.endsWith(STATUS_PATH) || req.method !== 'POST') {
        return send(res, record, 404, errorBody(404, `No route for ${req.method} ${url.pathname}`, ''));
      }
      const json = parseJson(body);
      describeBody(record, json);
      await handleStatus(req, res, record, json);
    } catch (error) {
      if (!res.headersSent) send(res, record, 500, errorBody(500, `simulator error: ${String(error)}`, ''));
    }
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;

  const sim: MoEngageSim = {
    url: `http://${address}:${port}`,
    port,
    requests,
    statusRequests: () => requests.filter((r) => r.path.endsWith(STATUS_PATH)),
    campaign: (id) => {
      const c = campaigns.get(id);
      return c ? { ...c } : undefined;
    },
    setCampaigns,
    inject(fault, count = 1) {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    failNext: (count, status = 500) => sim.inject({ kind: 'status', status }, count),
    resetNext: (count) => sim.inject({ kind: 'reset' }, count),
    delayNext: (count, ms) => sim.inject({ kind: 'latency', ms }, count),
    clearRequests() {
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return sim;
}

const VERB: Record<CampaignAction, string> = { PAUSE: 'paused', RESUME: 'resumed', STOP: 'stopped' };

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function describeBody(record: RecordedRequest, json: unknown): void {
  if (typeof json !== 'object' || json === null) return;
  const body = json as Record<string, unknown>;
  if (typeof body.request_id === 'string') record.requestId = body.request_id;
  if (typeof body.action === 'string') record.action = body.action;
  if (Array.isArray(body.campaign_ids)) record.campaignIds = body.campaign_ids.map(String);
}

function validateBody(json: unknown): { target: string; message: string } | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { target: 'body', message: 'Request body must be a JSON object' };
  }
  const raw = json as Record<string, unknown>;
  if (typeof raw.request_id !== 'string' || raw.request_id === '') {
    return { target: 'request_id', message: 'request_id key is mandatory field' };
  }
  if (!CAMPAIGN_ACTIONS.includes(raw.action as CampaignAction)) {
    return { target: 'action', message: `action must be one of ${CAMPAIGN_ACTIONS.join(', ')}` };
  }
  const ids = raw.campaign_ids;
  if (!Array.isArray(ids) || ids.length === 0 || ids.some((id) => typeof id !== 'string' || id === '')) {
    return {
      target: 'campaign_ids',
      message: 'campaign_ids must be a non-empty list of campaign id strings',
    };
  }
  if (ids.length > MAX_IDS_PER_REQUEST) {
    return { target: 'campaign_ids', message: `campaign_ids can have at most ${MAX_IDS_PER_REQUEST} ids` };
  }
  return undefined;
}

const STATUS_TEXT: Record<number, string> = {
  400: '400 Bad Request',
  401: '401 Authentication error',
  404: '404 Not Found',
  429: '429 conflict',
  500: '500 Internal Server Error',
  502: '502 Bad Gateway',
  503: '503 Service Unavailable',
};

function errorBody(
  status: number,
  message: string,
  requestId: string,
  target = '',
  details: { target: string; message: string }[] = [{ target, message }],
): string {
  const code = STATUS_TEXT[status] ?? `${status} Error`;
  return JSON.stringify({ error: { code, message, target, details, request_id: requestId } });
}

const UNAUTHORIZED_BODY = JSON.stringify({
  error: {
    code: '401 Authentication error',
    message: 'Authentication required',
    details: [
      { code: 'InvalidValue', target: 'APP_SECRET_KEY', message: 'Invalid APP_SECRET_KEY is provided.' },
    ],
    request_id: '',
  },
});

const RATE_LIMITED_BODY = (requestId: string) =>
  JSON.stringify({
    error: {
      code: '429 conflict',
      message: 'rate_limit',
      target: '',
      details: [{ target: 'rate_limit', message: 'Rate limiting breached' }],
      request_id: requestId,
    },
  });

function send(
  res: ServerResponse,
  record: RecordedRequest,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  record.status = status;
  res.writeHead(status, { ...(body ? { 'content-type': 'application/json' } : {}), ...headers });
  res.end(body);
}
