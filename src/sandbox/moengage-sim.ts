import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { MOENGAGE_LIMITS, type RateLimits } from '../moengage/limiter.ts';
import type { SimCampaign } from './campaigns.ts';
import {
  answerFlowGet,
  answerFlowSearch,
  answerFlowStatus,
  type FlowAnswer,
  type FlowApi,
  flowError,
  flowRouteOf,
  type SimFlow,
} from './flows-sim.ts';
import { deliverAlert } from './moengage-alerts.ts';
import {
  type Answer,
  type AnswerOutcome,
  answerV1Search,
  answerV1Status,
  answerV5Search,
  answerV5Status,
  errorBody,
  routeOf,
  type SimApi,
  v5Error,
} from './moengage-sim-api.ts';
import type { NameMatch } from './moengage-sim-search.ts';
import { type Window, windowsFor, windowVerdict } from './windows.ts';

/**
 * MoEngage's campaign status and search APIs, V1 and V5, on 127.0.0.1, following the documented contract
 * (shared/MOENGAGE-API.md; the endpoints themselves are in moengage-sim-api.ts): Basic auth + MOE-APPKEY (401),
 * body validation (400), sliding 10/s, 100/min, 6000/h windows per API family (429), x-ratelimit-* headers on
 * every answer, V5's required Idempotency-Key (the same key replays the same answer; on the status API with
 * another body, 400; on the search with any body, since a key reused for the next page returns the old page),
 * campaigns whose type, status and origin decide which changes are valid (V1: 400 for the whole request; V5:
 * 422), search that an account may not have (403), and scripted faults, including an answer lost after the
 * request took effect. The search (moengage-sim-search.ts) filters by name (V5: part of it, any case; V1: as
 * `nameMatch` says, since V1 does not document it), status, channel, tags and delivery type, lists flow steps
 * and periodic children only when asked, leaves archived campaigns out, and pages by at most 15 with no total.
 * Flows (early access; flows-sim.ts): search with cursor paging, one flow with its nodes, and the status changes
 * (lower-case actions, `updated_by` required, a required Idempotency-Key that replays, 409 for an invalid
 * transition), 403 for an account without them, in a window pool of their own (one for the three endpoints, or one
 * each: `flowPools`, since MoEngage does not say). It also signs MoEngage's Alert Management webhooks
 * (`sendAlert`; moengage-alerts.ts has the payloads). Where the docs are silent it picks the stricter behaviour.
 */

export type SimOutcome =
  | AnswerOutcome
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'fault'
  | 'reset'
  | 'abandoned'
  | 'dropped'
  | 'replayed'
  | 'not_found';

export interface RecordedRequest {
  seq: number;
  /** Arrival time, epoch ms with sub-ms precision. */
  at: number;
  method: string;
  path: string;
  /** Which documented endpoint it reached, if any. */
  api: SimApi | FlowApi | undefined;
  requestId: string | undefined;
  idempotencyKey: string | undefined;
  action: string | undefined;
  /** The status change's ids (V1 body, V5 path) or the ids searched for. */
  campaignIds: string[] | undefined;
  /** A search's `limit` and `page` (a flow search's `limit` and `cursor`), as sent. */
  limit?: unknown;
  page?: unknown;
  cursor?: unknown;
  /** The flow of a flow's GET or status change. */
  flowId?: string;
  /** A flow status change's `updated_by`, as sent. */
  updatedBy?: unknown;
  /** Which credential was presented (never the key itself). */
  auth: 'valid' | 'invalid' | 'missing';
  appKeyHeader: string | undefined;
  contentType: string | undefined;
  status: number | undefined;
  outcome: SimOutcome;
  /** Its answer was held back (a `late` fault); `status` is undefined when nobody was waiting for it any more. */
  late?: boolean;
}

/**
 * Scripted faults, taken in order by the next request of their family (`api`: status, the default, search, one
 * flow endpoint, or `flows` for any of the three) before anything else happens.
 * - `status`: answers that status (e.g. 503) and applies nothing.
 * - `reset`: closes the connection once the request arrived, applying nothing.
 * - `drop`: applies the request as usual and then closes the connection without an answer (MoEngage applied it;
 *   the answer was lost on the way).
 * - `latency`: waits `ms` before the request gets through the gateway; a client that gave up meanwhile finds
 *   nothing applied.
 * - `late`: applies the request at once and answers after `ms`: the unpleasant one, where the change happens and
 *   the answer comes after the client stopped waiting.
 * - `hang`: never answers and applies nothing, until the client gives up (a MoEngage that does not answer).
 * With `forMs`, a fault is standing instead of taken once: every request of its family gets it for `forMs`
 * from when it was injected (a storm of 503s for a minute, a minute of slow answers); faults taken once come
 * first.
 */
export type Fault = (
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'reset' }
  | { kind: 'drop' }
  | { kind: 'latency'; ms: number }
  | { kind: 'late'; ms: number }
  | { kind: 'hang' }
) & { api?: FaultFamily; forMs?: number };

/** Which requests a fault is for: the campaign status APIs, the campaign searches, or the flow endpoints. */
export type FaultFamily = 'status' | 'search' | 'flows' | 'flows-search' | 'flows-get' | 'flows-status';

/** What an account may do with flows: all of it, read only (its key lacks `campaigns:create_manage`), or none. */
export type FlowsAccess = 'full' | 'read-only' | 'none';

export interface MoEngageSimOptions {
  workspaceId: string;
  apiKey: string;
  campaigns?: readonly SimCampaign[];
  /** `false` turns rate limiting off. The search APIs have windows of their own at the same limits. */
  limits?: RateLimits | false;
  /** Also send `Retry-After` on a V1 429 (MoEngage documents it only for v5, where it is always sent). */
  retryAfterHeader?: boolean;
  /** `false`: the account does not have campaign search (403, "contact your CSM"). */
  searchEnabled?: boolean;
  /** V5 search rows: whole (the default), or carrying only `id`, as V5's migration guide shows them. */
  v5SearchRows?: 'full' | 'id-only';
  /**
   * How V1's search matches `campaign_fields.name`, which its documentation leaves unstated: `exact` (the whole
   * name, case included; the default, the strictest reading) or `partial` (contains, any case, as V5 documents).
   * V5 always matches part of a name.
   */
  nameMatch?: NameMatch;
  /** The workspace's flows (flowsFromCampaigns makes them agree with campaigns' flow steps). */
  flows?: readonly SimFlow[];
  /** Default `full`; `none` answers every flow endpoint 403, `read-only` the status change. */
  flowsAccess?: FlowsAccess;
  /**
   * MoEngage limits "the search, get and status endpoints" at 10/s, 100/min, 6,000/h without saying whether they
   * share one count: `shared` (the default) counts them together, `per-endpoint` each on its own.
   */
  flowPools?: 'shared' | 'per-endpoint';
  /** The workspace has teams on: a flow search must name `teams` (else 400), and may only then. */
  flowTeams?: boolean;
  /** The key MoEngage signs its alert webhooks with (`sendAlert`). */
  alertSecret?: string;
  port?: number;
  host?: string;
  onRequest?: (request: RecordedRequest) => void;
}

export interface MoEngageSim {
  url: string;
  port: number;
  /** Every request that arrived, in order. */
  readonly requests: readonly RecordedRequest[];
  /** The status requests only (V1 and V5). */
  statusRequests(): RecordedRequest[];
  /** The search requests only (V1 and V5). */
  searchRequests(): RecordedRequest[];
  /** The flow requests only, or those of one flow endpoint. */
  flowRequests(api?: FlowApi): RecordedRequest[];
  campaign(id: string): SimCampaign | undefined;
  setCampaigns(campaigns: readonly SimCampaign[]): void;
  flow(id: string): SimFlow | undefined;
  setFlows(flows: readonly SimFlow[]): void;
  /** What the account may do with flows from now on. */
  setFlowsAccess(access: FlowsAccess): void;
  /** Signs `payload` as MoEngage signs an alert (with `alertSecret`, or `secret`) and posts it to `url`. */
  sendAlert(
    url: string,
    payload: unknown,
    secret?: string,
  ): Promise<{ status: number; body: string; json: unknown }>;
  /** Queues `count` copies of a fault for the next requests of its family (or, with `forMs`, stands it). */
  inject(fault: Fault, count?: number): void;
  /** Drops every fault queued or standing. */
  clearFaults(): void;
  /** Turns the account's campaign search on or off (off: 403, as for an account without it). */
  setSearchEnabled(enabled: boolean): void;
  /** Switches how V1's search matches names (see `MoEngageSimOptions.nameMatch`). */
  setNameMatch(how: NameMatch): void;
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
  const flows = new Map<string, SimFlow>();
  const setFlows = (list: readonly SimFlow[]) => {
    flows.clear();
    for (const f of list) flows.set(f.id, { ...f, steps: f.steps.map((s) => ({ ...s })) });
  };
  setFlows(options.flows ?? []);
  let flowsAccess: FlowsAccess = options.flowsAccess ?? 'full';
  const windows: Window[] = options.limits === false ? [] : windowsFor(options.limits ?? MOENGAGE_LIMITS);
  const expectedAuth = `Basic ${Buffer.from(`${options.workspaceId}:${options.apiKey}`).toString('base64')}`;
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const standing: { fault: Fault; untilMs: number }[] = [];
  let searchEnabled = options.searchEnabled !== false;
  let nameMatch: NameMatch = options.nameMatch ?? 'exact';
  // Ends every wait of a late or hanging answer when the simulator closes.
  const closing = new AbortController();
  const wait = (ms: number) =>
    sleep(ms, undefined, { signal: closing.signal }).then(
      () => true,
      () => false,
    );
  let seq = 0;

  const isFlowApi = (api: SimApi | FlowApi): api is FlowApi => api.startsWith('v5-flows');
  /** The fault family of an endpoint: `status`, `search`, or `flows-search`, `flows-get`, `flows-status`. */
  const familyOf = (api: SimApi | FlowApi): FaultFamily =>
    isFlowApi(api) ? (api.slice(3) as FaultFamily) : api.endsWith('status') ? 'status' : 'search';
  const faultFor = (f: Fault, family: FaultFamily) =>
    (f.api ?? 'status') === family || (f.api === 'flows' && family.startsWith('flows-'));
  /** Whose windows a request counts in: the campaign status APIs', the searches', or the flows' (one or three). */
  const poolOf = (api: SimApi | FlowApi): string =>
    isFlowApi(api) && options.flowPools !== 'per-endpoint' ? 'flows' : familyOf(api);
  const windowLog = new Map<string, number[]>();
  const logOf = (api: SimApi | FlowApi) => {
    const pool = poolOf(api);
    const log = windowLog.get(pool) ?? [];
    windowLog.set(pool, log);
    return log;
  };
  const idempotent = new Map<string, { fingerprint: string; status: number; body: string }>();

  /** x-ratelimit-* on every answer of a rate-limited endpoint (the rate-limits page), for the minute window. */
  const rateHeaders = (api: SimApi | FlowApi, now: number, retryAt?: number): Record<string, string> => {
    const minute = windows.find((w) => w.ms === 60_000);
    // The Flows API documents Retry-After on a 429 and no x-ratelimit-* headers.
    if (!minute || isFlowApi(api)) return {};
    const log = logOf(api);
    const inWindow = log.filter((t) => t >= now - minute.ms);
    const resetAt = retryAt ?? (inWindow[0] ?? now) + minute.ms;
    // V1's page says epoch seconds, the V5 file seconds until the reset: each answers as its own document says.
    const reset = api.startsWith('v5')
      ? Math.max(0, Math.ceil((resetAt - now) / 1000))
      : Math.ceil(resetAt / 1000);
    return {
      'x-ratelimit-limit': String(minute.limit),
      'x-ratelimit-remaining': String(Math.max(0, minute.limit - inWindow.length)),
      'x-ratelimit-reset': String(reset),
    };
  };

  const handleApi = async (
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
    route: { api: SimApi | FlowApi; campaignId?: string; flowId?: string },
    json: unknown,
    query: URLSearchParams,
  ) => {
    const { api } = route;
    const family = familyOf(api);
    const flowApi = isFlowApi(api);
    const index = faults.findIndex((f) => faultFor(f, family));
    const fault =
      index >= 0
        ? faults.splice(index, 1)[0]
        : standing.find((f) => faultFor(f.fault, family) && f.untilMs > Date.now())?.fault;
    if (fault?.kind === 'hang') {
      // Held open, unanswered, until the client gives up (or the simulator closes).
      record.outcome = 'abandoned';
      await new Promise<void>((resolve) => {
        res.once('close', resolve);
        closing.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      return;
    }
    if (fault?.kind === 'reset') {
      record.outcome = 'reset';
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      record.outcome = 'fault';
      const body =
        fault.body ??
        (flowApi
          ? flowError(fault.status, 'INTERNAL_ERROR', 'Internal server error.', {
              responseId: randomUUID().slice(0, 12),
              target: '',
              details: [],
            }).body
          : errorBody(fault.status, 'Something went wrong. Please contact Moengage team', ''));
      return send(res, record, fault.status, body, fault.headers);
    }
    if (fault?.kind === 'latency') {
      let gone = false;
      res.on('close', () => {
        gone = !res.writableFinished;
      });
      await wait(fault.ms);
      if (gone || closing.signal.aborted) {
        // The client gave up before the request got through the gateway: nothing is applied.
        record.outcome = 'abandoned';
        return;
      }
    }
    const v5 = api.startsWith('v5');
    const appKeyOk = v5
      ? record.appKeyHeader === undefined || record.appKeyHeader === options.workspaceId
      : record.appKeyHeader === options.workspaceId;
    if (record.auth !== 'valid' || !appKeyOk) {
      record.outcome = 'unauthorized';
      const body = flowApi
        ? flowError(401, 'UNAUTHORIZED', 'Invalid or missing credentials.', {
            responseId: record.requestId ?? randomUUID().slice(0, 12),
            target: '',
            details: [],
          }).body
        : UNAUTHORIZED_BODY;
      return send(res, record, 401, body);
    }
    // Flows echo X-MOE-Request-Id (or the body's request_id), else the first 12 characters of a UUID.
    const responseId = flowApi ? (record.requestId ?? randomUUID().slice(0, 12)) : randomUUID();
    if (flowApi && (flowsAccess === 'none' || (flowsAccess === 'read-only' && api === 'v5-flows-status'))) {
      record.outcome = 'forbidden';
      const permission = api === 'v5-flows-status' ? 'campaigns:create_manage' : 'campaigns:view';
      const a = flowError(403, 'FORBIDDEN', 'You do not have the required permission for this operation.', {
        responseId,
        target: 'permission',
        details: [{ target: 'permission', message: `Required permission: ${permission}` }],
      });
      return send(res, record, 403, a.body);
    }
    if (family === 'search' && !searchEnabled) {
      record.outcome = 'forbidden';
      const message =
        'Campaign search is not enabled for this account. Please contact your CSM to enable it.';
      const body = v5
        ? v5Error(403, 'FORBIDDEN', message, { responseId, requestId: record.requestId ?? '', target: '' })
            .body
        : errorBody(403, message, record.requestId ?? '');
      return send(res, record, 403, body);
    }
    const now = performance.timeOrigin + performance.now();
    const log = logOf(api);
    const verdict = windowVerdict(log, now, windows);
    if (!verdict.ok) {
      record.outcome = 'rate_limited';
      const headers = rateHeaders(api, now, verdict.retryAt);
      // The window that was breached speaks here.
      headers['x-ratelimit-limit'] = String(verdict.window.limit);
      headers['x-ratelimit-remaining'] = '0';
      if (v5 || options.retryAfterHeader)
        headers['retry-after'] = String(Math.max(1, Math.ceil((verdict.retryAt - now) / 1000)));
      if (flowApi) {
        delete headers['x-ratelimit-limit'];
        delete headers['x-ratelimit-remaining'];
      }
      const body = flowApi
        ? flowError(429, 'RATE_LIMITED', 'Rate limit exceeded for app key.', {
            responseId,
            target: '',
            details: [],
          }).body
        : v5
          ? v5Error(429, 'RATE_LIMITED', 'Rate limit exceeded. Retry after the time in Retry-After.', {
              responseId,
              requestId: record.requestId ?? '',
              target: '',
            }).body
          : RATE_LIMITED_BODY(record.requestId ?? '');
      return send(res, record, 429, body, headers);
    }
    log.push(now);

    let answer: Answer | FlowAnswer;
    const key = record.idempotencyKey;
    // The V5 campaign APIs and the flow status change require an Idempotency-Key; the flow search and GET do not.
    const keyed = api === 'v5-search' || api === 'v5-status' || api === 'v5-flows-status';
    const fingerprint = `${req.method} ${route.campaignId ?? route.flowId ?? ''} ${JSON.stringify(json)}`;
    const refuseKey = (code: string, message: string) =>
      flowApi
        ? flowError(400, code, message, { responseId, target: 'Idempotency-Key' })
        : v5Error(400, code, message, {
            responseId,
            requestId: record.requestId ?? '',
            target: 'Idempotency-Key',
          });
    if (keyed) {
      if (key === undefined || !UUID_V4.test(key)) {
        record.outcome = 'invalid';
        const a = refuseKey('VALIDATION_FAILED', 'Idempotency-Key header is required and must be a UUID v4');
        return send(res, record, a.status, a.body, rateHeaders(api, now));
      }
      const seen = idempotent.get(key);
      if (seen) {
        // Documented: repeating the key returns the same response body (the flow status change: "replays the
        // original response instead of re-applying the transition"); on a status API another body is a 400
        // (for flows not documented: the campaign API's rule assumed), while the search replays the stored page
        // whatever was asked ("a key reused for the next page returns the old page"), even when the campaigns
        // changed since.
        if (seen.fingerprint === fingerprint || api === 'v5-search') {
          record.outcome = 'replayed';
          return finish(req, res, record, fault, seen.status, seen.body, rateHeaders(api, now));
        }
        record.outcome = 'invalid';
        const a = refuseKey('BAD_REQUEST', 'Idempotency-Key was already used with a different request');
        return send(res, record, a.status, a.body, rateHeaders(api, now));
      }
    }
    switch (api) {
      case 'v5-status':
        answer = answerV5Status(campaigns, route.campaignId as string, json, responseId);
        break;
      case 'v5-search':
        answer = answerV5Search(campaigns, json, responseId, options.v5SearchRows);
        break;
      case 'v1-status':
        answer = answerV1Status(campaigns, json, record.requestId ?? '');
        break;
      case 'v1-search':
        answer = answerV1Search(campaigns, json, { nameMatch });
        break;
      case 'v5-flows-search':
        answer = answerFlowSearch(flows, json, responseId, { teamsEnabled: options.flowTeams === true });
        break;
      case 'v5-flows-get':
        answer = answerFlowGet(flows, route.flowId as string, query, responseId);
        break;
      case 'v5-flows-status':
        answer = answerFlowStatus(flows, route.flowId as string, json, responseId);
        break;
    }
    if (keyed && key !== undefined)
      idempotent.set(key, { fingerprint, status: answer.status, body: answer.body });
    if ('changes' in answer)
      for (const [id, status] of answer.changes ?? []) (campaigns.get(id) as SimCampaign).status = status;
    if ('change' in answer && answer.change) {
      const flow = flows.get(answer.change.id) as SimFlow;
      if (answer.change.status) flow.status = answer.change.status;
      if (answer.change.archived !== undefined) flow.archived = answer.change.archived;
      flow.updatedAt = new Date().toISOString();
    }
    record.outcome = answer.outcome;
    return finish(req, res, record, fault, answer.status, answer.body, rateHeaders(api, now));
  };

  /**
   * Answers, or — under a `drop` fault — closes the connection after the request took effect, or — under a
   * `late` one — answers after its delay (to nobody, when the client stopped waiting: the change stays made).
   */
  const finish = async (
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
    fault: Fault | undefined,
    status: number,
    body: string,
    headers: Record<string, string>,
  ) => {
    if (fault?.kind === 'drop') {
      record.status = undefined;
      record.outcome = 'dropped';
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'late') {
      record.late = true;
      let gone = false;
      res.once('close', () => {
        gone = !res.writableFinished;
      });
      const waited = await wait(fault.ms);
      if (gone || !waited) {
        record.status = undefined;
        return;
      }
    }
    send(res, record, status, body, headers);
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
      return json(200, { ok: true, queued: faults.length, standing: standing.length });
    }
    if (path === '/faults' && req.method === 'DELETE') {
      sim.clearFaults();
      return json(200, { ok: true });
    }
    if (path === '/search' && req.method === 'PUT') {
      const { enabled } = JSON.parse(body) as { enabled?: unknown };
      if (typeof enabled !== 'boolean') return json(400, { error: 'body must be {"enabled": true|false}' });
      sim.setSearchEnabled(enabled);
      return json(200, { ok: true, enabled });
    }
    if (path === '/flows' && req.method === 'GET') return json(200, [...flows.values()]);
    if (path === '/flows' && req.method === 'PUT') {
      setFlows(JSON.parse(body) as SimFlow[]);
      return json(200, { ok: true, count: flows.size });
    }
    if (path === '/flows-access' && req.method === 'PUT') {
      const { access } = JSON.parse(body) as { access?: unknown };
      if (access !== 'full' && access !== 'read-only' && access !== 'none')
        return json(400, { error: 'body must be {"access": "full"|"read-only"|"none"}' });
      sim.setFlowsAccess(access);
      return json(200, { ok: true, access });
    }
    if (path === '/name-match' && req.method === 'PUT') {
      const { nameMatch: how } = JSON.parse(body) as { nameMatch?: unknown };
      if (how !== 'exact' && how !== 'partial')
        return json(400, { error: 'body must be {"nameMatch": "exact"|"partial"}' });
      sim.setNameMatch(how);
      return json(200, { ok: true, nameMatch: how });
    }
    return json(404, { error: `no simulator control at ${req.method} ${SIM_PREFIX}${path}` });
  };

  const server = createServer(async (req, res) => {
    const record: RecordedRequest = {
      seq: ++seq,
      at: performance.timeOrigin + performance.now(),
      method: req.method ?? '',
      path: req.url ?? '',
      api: undefined,
      requestId: undefined,
      idempotencyKey: header(req, 'idempotency-key'),
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
      const route = routeOf(req.method ?? '', url.pathname) ?? flowRouteOf(req.method ?? '', url.pathname);
      record.api = route?.api;
      const json = parseJson(body);
      if (route) describeBody(record, route, json);
      record.requestId ??= header(req, 'x-moe-request-id');
      requests.push(record);
      options.onRequest?.(record);
      if (!route) {
        return send(res, record, 404, errorBody(404, `No route for ${req.method} ${url.pathname}`, ''));
      }
      await handleApi(req, res, record, route, json, url.searchParams);
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
    statusRequests: () => requests.filter((r) => r.api === 'v1-status' || r.api === 'v5-status'),
    searchRequests: () => requests.filter((r) => r.api === 'v1-search' || r.api === 'v5-search'),
    flowRequests: (api) =>
      requests.filter((r) => r.api !== undefined && isFlowApi(r.api) && (api === undefined || r.api === api)),
    campaign: (id) => {
      const c = campaigns.get(id);
      return c ? { ...c } : undefined;
    },
    setCampaigns,
    flow: (id) => {
      const f = flows.get(id);
      return f ? { ...f, steps: f.steps.map((s) => ({ ...s })) } : undefined;
    },
    setFlows,
    setFlowsAccess(access) {
      flowsAccess = access;
    },
    sendAlert(url, payload, secret) {
      const key = secret ?? options.alertSecret;
      if (key === undefined) throw new Error('sendAlert needs a secret: give alertSecret to the simulator');
      return deliverAlert(url, key, payload);
    },
    inject(fault, count = 1) {
      if (fault.forMs !== undefined) {
        standing.push({ fault, untilMs: Date.now() + fault.forMs });
        return;
      }
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    clearFaults() {
      faults.length = 0;
      standing.length = 0;
    },
    setSearchEnabled(enabled) {
      searchEnabled = enabled;
    },
    setNameMatch(how) {
      nameMatch = how;
    },
    failNext: (count, status = 500) => sim.inject({ kind: 'status', status }, count),
    resetNext: (count) => sim.inject({ kind: 'reset' }, count),
    delayNext: (count, ms) => sim.inject({ kind: 'latency', ms }, count),
    clearRequests() {
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return sim;
}

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

function describeBody(
  record: RecordedRequest,
  route: { api: SimApi | FlowApi; campaignId?: string; flowId?: string },
  json: unknown,
): void {
  if (route.flowId !== undefined) record.flowId = route.flowId;
  if (typeof json !== 'object' || json === null) return;
  const body = json as Record<string, unknown>;
  if (route.api.startsWith('v5-flows')) {
    if (typeof body.request_id === 'string') record.requestId = body.request_id;
    if (typeof body.action === 'string') record.action = body.action;
    if ('updated_by' in body) record.updatedBy = body.updated_by;
    if (route.api === 'v5-flows-search') {
      record.limit = body.limit;
      record.cursor = body.cursor;
    }
    return;
  }
  if (typeof body.request_id === 'string') record.requestId = body.request_id;
  if (typeof body.action === 'string') record.action = body.action;
  if (route.campaignId !== undefined) record.campaignIds = [route.campaignId];
  else if (Array.isArray(body.campaign_ids)) record.campaignIds = body.campaign_ids.map(String);
  const fields = body.campaign_fields as Record<string, unknown> | undefined;
  if (route.api.endsWith('search')) {
    record.limit = body.limit;
    record.page = body.page;
  }
  if (typeof fields?.id === 'string') record.campaignIds = [fields.id];
  else if (Array.isArray(fields?.ids)) record.campaignIds = fields.ids.map(String);
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

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
