import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Pool } from 'undici';
import type { CampaignAction } from '../core/actions.ts';
import { MoEngageNetworkError, parseErrorBody } from './errors.ts';
import {
  type FlowDetail,
  type FlowSummary,
  parseFlowDetail,
  parseSearchPage,
  parseStatusAnswer,
  safeJson,
} from './flows-parse.ts';
import { type CallLimiter, createSlidingLimiter, estimateMs, type Priority } from './limiter.ts';
import { whileQueued } from './outcomes.ts';
import {
  backoffDelay,
  boundedRetryAt,
  type RetryPolicy,
  retryAtFromHeaders,
  retryPolicies,
} from './retry-policy.ts';
import { moengageHeaders } from './send.ts';

export type { FlowDetail, FlowStep, FlowSummary } from './flows-parse.ts';

export const FLOWS_SEARCH_PATH = '/v5/flows/search';

/** The bot's actions in the Flows API's words: lower case (its enum), never PAUSE. */
export const FLOW_ACTION_WORD: Readonly<Record<CampaignAction, 'pause' | 'resume' | 'stop'>> = {
  PAUSE: 'pause',
  RESUME: 'resume',
  STOP: 'stop',
};

/** The status each action leaves a flow in (flows.yaml's transition table). */
export const FLOW_TARGET_STATUS: Readonly<Record<CampaignAction, string>> = {
  PAUSE: 'PAUSED',
  RESUME: 'ACTIVE',
  STOP: 'STOPPED',
};

/** As for campaigns: PAUSE and STOP (incident brakes) ahead of RESUME; reads after them, listing last. */
const STATUS_PRIORITY: Record<CampaignAction, Priority> = { PAUSE: 1, STOP: 1, RESUME: 5 };
const GET_PRIORITY: Priority = 3;
const SEARCH_PRIORITY: Priority = 6;

/** How long a 403 is believed before the Flows API is asked again (an account may get it enabled). */
const UNAVAILABLE_FOR_MS = 10 * 60_000;

/** The longest a search page or a GET waits for MoEngage's rate limit before it gives up. */
const READ_WAIT_MS = 10_000;

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const FLOW_ID = /^[a-f0-9]{24}$/i;

export type FlowEndpoint = 'search' | 'get' | 'status';

export interface FlowsClientOptions {
  baseUrl: string;
  workspaceId: string;
  apiKey: string;
  logger: Logger;
  /**
   * The one limiter for search, get and status: MoEngage limits the three at 10/s, 100/min, 6,000/h "at the
   * workspace level" without saying whether they share one count, and one limiter is right either way (at worst
   * slower). Default: an in-process sliding limiter at those limits, apart from the campaign APIs' pools.
   */
  limiter?: CallLimiter;
  /**
   * One limiter per endpoint instead, for when MoEngage is known to count them apart. Should they share one count
   * after all, MoEngage's 429 pauses the limiter until its Retry-After and the request is sent again.
   */
  limiters?: Readonly<Record<FlowEndpoint, CallLimiter>>;
  /** MOENGAGE_DATA_CENTER; else read from the base URL (`api-101.moengage.com`). 101 has no Flows API. */
  dataCenter?: string;
  /** A status change's retries (429, 5xx, timeouts): the same Idempotency-Key each time. */
  retryPolicy?: RetryPolicy;
  /** Sends of one search page or GET, retries included: a read is advice, so it gives up early. */
  readAttempts?: number;
  timeoutMs?: number;
  connections?: number;
}

export type FlowsFailure = { ok: false; reason: 'unavailable' | 'not_found' | 'failed'; message: string };

export interface FlowSearchFilter {
  /** Part of the name, any case (documented). */
  name?: string;
  statuses?: readonly string[];
  deliveryTypes?: readonly string[];
  tags?: readonly string[];
  /** Required by MoEngage when the workspace has teams on, refused when off. */
  teams?: readonly string[];
  includeArchived?: boolean;
}

export interface ChangeFlowStatusOptions {
  /** The email MoEngage records in its audit log (the approver's, else MOENGAGE_UPDATED_BY). */
  updatedBy: string;
  /**
   * A UUID v4 made once per change by the caller and kept (the run journal) so every retry and takeover sends the
   * same one: MoEngage replays its first answer to a repeated key instead of applying the change twice.
   */
  idempotencyKey: string;
  /** A trace id (X-MOE-Request-Id; MoEngage echoes it as `response_id`). Default: the idempotency key. */
  requestId?: string;
  priority?: Priority;
  requester?: string;
  signal?: AbortSignal;
  /**
   * Asked once, in the limiter slot just before the first send: a durable run records the send there first.
   * False or a throw: nothing is sent (`not_sent`).
   */
  beforeSend?: () => Promise<boolean>;
}

/**
 * What a flow status change came to. `applied`: MoEngage made it and says the status now. `already`: MoEngage
 * refused it (409) and the flow is in the target state ("already paused"). `refused`: MoEngage's words, and the
 * status it shows where a look was taken. `unavailable`: this workspace has no Flows API (403, data center 101).
 * `retry`: no answer settled it within the budget (429, 5xx, timeouts): send again later with the same key;
 * `mayHaveApplied` when a send may have reached MoEngage. `not_sent`: stopped before the first send.
 */
export type FlowStatusResult = { flowId: string; action: CampaignAction; attempts: number } & (
  | { kind: 'applied'; status: string }
  | { kind: 'already'; status: string; message: string }
  | {
      kind: 'refused';
      httpStatus: number | undefined;
      code: string | undefined;
      status?: string;
      message: string;
    }
  | { kind: 'unavailable'; message: string }
  | { kind: 'retry'; message: string; retryAtMs?: number; mayHaveApplied: boolean }
  | { kind: 'not_sent'; message: string }
);

/** One send's fate. */
type Sent =
  | { kind: 'answer'; status: number; text: string; headers: Record<string, string | string[] | undefined> }
  | { kind: 'no_answer'; message: string; mayHaveReached: boolean }
  | { kind: 'unavailable'; message: string }
  | { kind: 'not_sent'; message: string };

interface HttpCall {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  what: string;
}

/**
 * MoEngage's Flows API (early access): `POST /v5/flows/search` (every page, by cursor), `GET /v5/flows/{id}`
 * (the campaigns of its steps) and `PATCH /v5/flows/{id}/status` (pause, resume, stop), with the workspace's
 * credentials and a limiter of its own (see `limiter`). Never throws for anything MoEngage or the network does;
 * never logs a credential.
 */
export class FlowsClient {
  readonly #pool: Pool;
  readonly #base: string;
  readonly #headers: Record<string, string>;
  readonly #limiters: Readonly<Record<FlowEndpoint, CallLimiter>>;
  readonly #owned: CallLimiter[];
  readonly #policy: RetryPolicy;
  readonly #readAttempts: number;
  readonly #timeoutMs: number;
  readonly #log: Logger;
  /** Set for data center 101, which the Flows API does not serve: nothing is ever sent. */
  readonly #noFlows: string | undefined;
  /** A 403 from the reads or from the status change (a key may view flows and not change them). */
  readonly #refused: Partial<Record<'read' | 'write', { message: string; until: number }>> = {};

  constructor(options: FlowsClientOptions) {
    const url = new URL(options.baseUrl);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    const connections = options.connections ?? 10;
    this.#pool = new Pool(url.origin, { connections, keepAliveTimeout: 30_000 });
    this.#base = url.pathname.replace(/\/+$/, '');
    this.#headers = moengageHeaders(options.workspaceId, options.apiKey);
    if (options.limiters) {
      this.#limiters = options.limiters;
      this.#owned = [];
    } else {
      const shared = options.limiter ?? createSlidingLimiter({ maxConcurrent: connections });
      this.#limiters = { search: shared, get: shared, status: shared };
      this.#owned = options.limiter ? [] : [shared];
    }
    this.#policy = options.retryPolicy ?? retryPolicies.standard;
    this.#readAttempts = options.readAttempts ?? 3;
    this.#log = options.logger.child({ module: 'moengage-flows' });
    const dc = options.dataCenter ?? /(?:^|\.)api-(\d+)\.moengage\.com$/i.exec(url.hostname)?.[1];
    this.#noFlows =
      dc !== undefined && Number(dc) === 101
        ? "MoEngage's Flows API does not serve data center 101: flows cannot be listed or changed from here; campaigns still can"
        : undefined;
  }

  /** The limiter each endpoint waits in (one and the same unless `limiters` split them). */
  limiter(endpoint: FlowEndpoint): CallLimiter {
    return this.#limiters[endpoint];
  }

  /** About how long `requests` more status changes take at the status limiter's limits, from empty windows. */
  estimateMs(requests: number): number {
    return estimateMs(requests, this.#limiters.status.limits);
  }

  async close(): Promise<void> {
    for (const l of this.#owned) await l.stop();
    await this.#pool.close();
  }

  /**
   * Every flow matching `filter`, page by page (at most 100 a page) following `next_cursor` until MoEngage says
   * there is no more, or `maxPages` (then `truncated`). Archived flows only when asked. A flow seen twice (keyset
   * paging while flows change) is kept once.
   */
  async search(
    filter: FlowSearchFilter = {},
    options: { priority?: Priority; requester?: string; maxPages?: number; pageSize?: number } = {},
  ): Promise<{ ok: true; flows: FlowSummary[]; pages: number; truncated: boolean } | FlowsFailure> {
    const maxPages = options.maxPages ?? 50;
    const limit = Math.min(100, Math.max(1, options.pageSize ?? 100));
    const seen = new Map<string, FlowSummary>();
    let cursor: string | undefined;
    for (let page = 1; page <= maxPages; page++) {
      const body = {
        limit,
        ...(cursor === undefined ? {} : { cursor }),
        ...(filter.name ? { name: filter.name } : {}),
        ...(filter.statuses?.length ? { status: [...filter.statuses] } : {}),
        ...(filter.deliveryTypes?.length ? { delivery_type: [...filter.deliveryTypes] } : {}),
        ...(filter.tags?.length ? { tags: [...filter.tags] } : {}),
        ...(filter.teams?.length ? { teams: [...filter.teams] } : {}),
        ...(filter.includeArchived ? { include_archived: true } : {}),
      };
      const call: HttpCall = { method: 'POST', path: FLOWS_SEARCH_PATH, body, what: 'flow search' };
      const answer = await this.#read('search', call, options.priority ?? SEARCH_PRIORITY, options.requester);
      if (!answer.ok) return answer;
      const parsed = parseSearchPage(answer.json);
      if (!parsed)
        return {
          ok: false,
          reason: 'failed',
          message: 'MoEngage answered the flow search with an unexpected body',
        };
      for (const f of parsed.flows) if (!seen.has(f.id)) seen.set(f.id, f);
      if (parsed.nextCursor === undefined)
        return { ok: true, flows: [...seen.values()], pages: page, truncated: false };
      cursor = parsed.nextCursor;
    }
    return { ok: true, flows: [...seen.values()], pages: maxPages, truncated: true };
  }

  /** One flow, with the campaigns of its steps (ACTION nodes' `config.campaign_id`). */
  async get(
    flowId: string,
    options: { priority?: Priority; requester?: string } = {},
  ): Promise<{ ok: true; flow: FlowDetail } | FlowsFailure> {
    if (!FLOW_ID.test(flowId))
      return { ok: false, reason: 'not_found', message: `${flowId} is not a flow id (24 hex)` };
    const call: HttpCall = { method: 'GET', path: `/v5/flows/${encodeURIComponent(flowId)}`, what: 'flow' };
    const answer = await this.#read('get', call, options.priority ?? GET_PRIORITY, options.requester);
    if (!answer.ok) return answer;
    const flow = parseFlowDetail(answer.json);
    return flow
      ? { ok: true, flow }
      : { ok: false, reason: 'failed', message: 'MoEngage answered the flow with an unexpected body' };
  }

  /**
   * Pauses, resumes or stops one flow (`action` sent in lower case), retrying 429s, 5xx and timeouts with the
   * same Idempotency-Key within the retry policy's budget (MoEngage's Retry-After holds every queued flow request,
   * not just this one). A 409 is looked up: a flow already in the target state is `already`, not a failure.
   */
  async changeStatus(
    flowId: string,
    action: CampaignAction,
    options: ChangeFlowStatusOptions,
  ): Promise<FlowStatusResult> {
    if (!UUID_V4.test(options.idempotencyKey)) {
      // The caller's bug, not MoEngage's answer: a key that is not a UUID v4 would be refused on every retry.
      throw new RangeError('idempotencyKey must be a UUID v4 (made once per change and kept)');
    }
    const head = { flowId, action };
    const refusedEarly = (message: string): FlowStatusResult => ({
      ...head,
      attempts: 0,
      kind: 'refused',
      httpStatus: undefined,
      code: undefined,
      message,
    });
    if (this.#noFlows) return { ...head, attempts: 0, kind: 'unavailable', message: this.#noFlows };
    if (!FLOW_ID.test(flowId)) return refusedEarly(`${flowId} is not a flow id (24 hex)`);
    if (!EMAIL.test(options.updatedBy))
      return refusedEarly(
        'MoEngage records an email as who changed a flow, and none was given (MOENGAGE_UPDATED_BY)',
      );
    const priority = options.priority ?? STATUS_PRIORITY[action];
    const call: HttpCall = {
      method: 'PATCH',
      path: `/v5/flows/${encodeURIComponent(flowId)}/status`,
      body: {
        action: FLOW_ACTION_WORD[action],
        updated_by: options.updatedBy,
        request_id: options.requestId ?? options.idempotencyKey,
      },
      headers: {
        'idempotency-key': options.idempotencyKey,
        'x-moe-request-id': options.requestId ?? options.idempotencyKey,
      },
      what: `flow ${FLOW_ACTION_WORD[action]}`,
    };
    let gate = options.beforeSend;
    let attempts = 0;
    let mayHaveApplied = false;
    let firstSendAt: number | undefined;
    for (;;) {
      if (options.signal?.aborted) {
        return attempts === 0
          ? { ...head, attempts, kind: 'not_sent', message: 'Not sent: the change was cancelled' }
          : {
              ...head,
              attempts,
              kind: 'retry',
              message: 'Cancelled before MoEngage answered',
              mayHaveApplied,
            };
      }
      // MoEngage asked (429) to wait longer than this change may: said now, not after a wait nobody expects.
      const heldUntil = this.#limiters.status.stats().pausedUntilMs;
      if (heldUntil !== undefined && heldUntil - Date.now() > this.#policy.maxElapsedMs) {
        const message = `Not sent: MoEngage's rate limit for flows is spent until ${utcMinute(heldUntil)} UTC`;
        return { ...head, attempts, kind: 'retry', message, retryAtMs: heldUntil, mayHaveApplied };
      }
      const g = gate;
      gate = undefined;
      const sent = await this.#send('status', call, priority, options.requester, g, options.signal);
      if (sent.kind === 'not_sent') {
        // After a send that may have reached MoEngage, not sending again settles nothing: the same key, later.
        return attempts === 0
          ? { ...head, attempts, kind: 'not_sent', message: sent.message }
          : { ...head, attempts, kind: 'retry', message: sent.message, mayHaveApplied };
      }
      if (sent.kind === 'unavailable')
        return { ...head, attempts, kind: 'unavailable', message: sent.message };
      attempts += 1;
      firstSendAt ??= Date.now();
      if (sent.kind === 'answer' && sent.status === 200) {
        const status = parseStatusAnswer(safeJson(sent.text)) ?? FLOW_TARGET_STATUS[action];
        return { ...head, attempts, kind: 'applied', status };
      }
      if (sent.kind === 'answer' && sent.status !== 429 && sent.status < 500) {
        return this.#settleRefusal(head, attempts, sent, priority, options.requester);
      }
      // 429, 5xx or no answer: the same key again, later. A 5xx or a lost answer may hide an applied change.
      if (sent.kind === 'no_answer' ? sent.mayHaveReached : sent.status >= 500) mayHaveApplied = true;
      const message =
        sent.kind === 'no_answer'
          ? sent.message
          : `MoEngage ${sent.status}: ${parseErrorBody(sent.status, sent.text).message}`;
      const retryAtMs = sent.kind === 'answer' ? this.#retryAt(sent, 'status') : undefined;
      const now = Date.now();
      const wait = Math.max(backoffDelay(this.#policy, attempts), (retryAtMs ?? 0) - now);
      if (attempts >= this.#policy.maxAttempts || now + wait - firstSendAt > this.#policy.maxElapsedMs) {
        return {
          ...head,
          attempts,
          kind: 'retry',
          message,
          mayHaveApplied,
          ...(retryAtMs === undefined ? {} : { retryAtMs }),
        };
      }
      try {
        await sleep(wait, undefined, options.signal ? { signal: options.signal } : {});
      } catch {
        // Cancelled while waiting: the next pass says so.
      }
    }
  }

  /** A 4xx to a status change: 409 looked up (already, or refused with the status seen), 403 unavailable. */
  async #settleRefusal(
    head: { flowId: string; action: CampaignAction },
    attempts: number,
    sent: Extract<Sent, { kind: 'answer' }>,
    priority: Priority,
    requester: string | undefined,
  ): Promise<FlowStatusResult> {
    const words = parseErrorBody(sent.status, sent.text);
    if (sent.status === 403) {
      const message = this.#unavailableText(words.message, 'write');
      return { ...head, attempts, kind: 'unavailable', message };
    }
    const refused = {
      ...head,
      attempts,
      kind: 'refused' as const,
      httpStatus: sent.status,
      code: words.code,
    };
    if (sent.status !== 409) return { ...refused, message: words.message };
    const target = FLOW_TARGET_STATUS[head.action];
    const now = await this.get(head.flowId, { priority, ...(requester ? { requester } : {}) });
    if (!now.ok)
      return { ...refused, message: `${words.message} (its status could not be read: ${now.message})` };
    if (now.flow.status === target)
      return {
        ...head,
        attempts,
        kind: 'already',
        status: target,
        message: `already ${target.toLowerCase()}`,
      };
    return {
      ...refused,
      status: now.flow.status,
      message: `${words.message} (MoEngage shows it ${now.flow.status.toLowerCase().replace(/_/g, ' ')})`,
    };
  }

  /** A search page or a GET: retried a few times on 429, 5xx and no answer; a 403 makes the reads unavailable. */
  async #read(
    endpoint: 'search' | 'get',
    call: HttpCall,
    priority: Priority,
    requester: string | undefined,
  ): Promise<{ ok: true; json: unknown } | FlowsFailure> {
    if (this.#noFlows) return { ok: false, reason: 'unavailable', message: this.#noFlows };
    let last = 'no answer';
    for (let attempt = 1; attempt <= this.#readAttempts; attempt++) {
      // A read is advice: it does not queue behind a long rate-limit pause.
      const heldUntil = this.#limiters[endpoint].stats().pausedUntilMs;
      if (heldUntil !== undefined && heldUntil - Date.now() > READ_WAIT_MS)
        return {
          ok: false,
          reason: 'failed',
          message: `MoEngage's rate limit for flows is spent until ${utcMinute(heldUntil)} UTC`,
        };
      const sent = await this.#send(endpoint, call, priority, requester, undefined);
      if (sent.kind === 'unavailable') return { ok: false, reason: 'unavailable', message: sent.message };
      if (sent.kind === 'not_sent') return { ok: false, reason: 'failed', message: sent.message };
      if (sent.kind === 'answer') {
        if (sent.status === 200) return { ok: true, json: safeJson(sent.text) };
        const words = parseErrorBody(sent.status, sent.text);
        if (sent.status === 403)
          return { ok: false, reason: 'unavailable', message: this.#unavailableText(words.message, 'read') };
        if (sent.status === 404)
          return { ok: false, reason: 'not_found', message: `MoEngage 404: ${words.message}` };
        last = `MoEngage ${sent.status}: ${words.message}`;
        if (sent.status !== 429 && sent.status < 500) break;
      } else {
        last = sent.message;
      }
      const retryAtMs = sent.kind === 'answer' ? this.#retryAt(sent, endpoint) : undefined;
      const wait = Math.max(200 * 2 ** (attempt - 1), (retryAtMs ?? 0) - Date.now());
      if (attempt < this.#readAttempts && wait <= READ_WAIT_MS) await sleep(wait);
      else break;
    }
    return { ok: false, reason: 'failed', message: last };
  }

  /** When MoEngage said to come back (Retry-After), held by the endpoint's limiter so nothing queued goes first. */
  #retryAt(sent: Extract<Sent, { kind: 'answer' }>, endpoint: FlowEndpoint): number | undefined {
    if (sent.status !== 429) return undefined;
    const said = retryAtFromHeaders(sent.headers, Date.now());
    if (said === undefined) return undefined;
    const at = boundedRetryAt(said, Date.now()).atMs;
    this.#limiters[endpoint].pauseUntil(at);
    return at;
  }

  /** One line for a 403, remembered for a while so queued requests are not sent into it. */
  #unavailableText(words: string, side: 'read' | 'write'): string {
    const what = side === 'read' ? 'listed or read' : 'paused, resumed or stopped';
    const message = `MoEngage's Flows API is not available to this workspace's API key (403: ${words}): flows cannot be ${what} from here; campaigns still can`;
    this.#refused[side] = { message, until: Date.now() + UNAVAILABLE_FOR_MS };
    return message;
  }

  /**
   * One send through the endpoint's limiter; withdrawn unsent when a 403 came meanwhile, the gate says no, or the
   * caller cancels while it waits in the queue (at once, not when its slot comes).
   */
  #send(
    endpoint: FlowEndpoint,
    call: HttpCall,
    priority: Priority,
    requester: string | undefined,
    gate: (() => Promise<boolean>) | undefined,
    signal?: AbortSignal,
  ): Promise<Sent> {
    const side = endpoint === 'status' ? 'write' : 'read';
    const cancelled: Sent = { kind: 'not_sent', message: 'Not sent: the change was cancelled' };
    let started = false;
    const work = this.#limiters[endpoint].schedule(
      priority,
      async (slot): Promise<Sent> => {
        if (signal?.aborted) {
          slot.unused();
          return cancelled;
        }
        started = true;
        const known = this.#refused[side];
        if (known && known.until > Date.now()) {
          slot.unused();
          return { kind: 'unavailable', message: known.message };
        }
        if (gate) {
          let go: boolean;
          try {
            go = await gate();
          } catch (error) {
            slot.unused();
            return {
              kind: 'not_sent',
              message: `Not sent to MoEngage: ${String((error as Error)?.message ?? error)}`,
            };
          }
          if (!go) {
            slot.unused();
            return { kind: 'not_sent', message: 'Not sent: another runner took this run over' };
          }
        }
        return this.#http(call);
      },
      requester,
    );
    return signal
      ? whileQueued(
          work,
          () => started,
          signal,
          () => (signal.aborted ? cancelled : undefined),
        )
      : work;
  }

  async #http(call: HttpCall): Promise<Sent> {
    const started = performance.now();
    const trace = call.headers?.['x-moe-request-id'] ?? randomUUID().slice(0, 12);
    try {
      const response = await this.#pool.request({
        method: call.method,
        path: this.#base + call.path,
        headers: { ...this.#headers, 'x-moe-request-id': trace, ...call.headers },
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const text = await response.body.text();
      // The path names the flow; never the headers (they carry the credential).
      this.#log.debug(
        {
          what: call.what,
          path: call.path,
          trace,
          status: response.statusCode,
          ms: Math.round(performance.now() - started),
        },
        'flows call',
      );
      return { kind: 'answer', status: response.statusCode, text, headers: response.headers };
    } catch (error) {
      const e = error as { name?: string; message?: string };
      const timedOut = e?.name === 'TimeoutError';
      const message = timedOut
        ? `MoEngage's Flows API did not answer the ${call.what} within ${this.#timeoutMs} ms`
        : `Could not reach MoEngage's Flows API (${e?.message ?? String(error)})`;
      this.#log.debug({ what: call.what, path: call.path, trace, err: message }, 'flows call failed');
      const mayHaveReached = new MoEngageNetworkError(message, trace, timedOut, error).mayHaveReached;
      return { kind: 'no_answer', message, mayHaveReached };
    }
  }
}

/** `2026-12-01 10:28`: a time a person can act on, in UTC. */
function utcMinute(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ');
}
