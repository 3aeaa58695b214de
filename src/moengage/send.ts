import type { Logger } from 'pino';
import { Pool } from 'undici';
import { type MoEngageError, MoEngageHttpError, MoEngageNetworkError, parseErrorBody } from './errors.ts';
import { boundedRetryAt, retryAtFromHeaders } from './retry-policy.ts';
import type { CampaignAction, SendRecord } from './types.ts';

export const STATUS_PATH = '/core-services/v1/campaigns/status';

/**
 * MoEngage's two status APIs. v1, the batch API: up to 10 ids a request, but only for campaigns created through
 * its Create Campaign API. v5: one campaign a request (any campaign, as far as its documentation says), with a
 * required Idempotency-Key that makes a repeated send return the first answer instead of acting twice.
 */
export type StatusApiVersion = 'v1' | 'v5';

/** Ids per status request: the batch API's documented limit, or one for V5. */
export const IDS_PER_REQUEST: Record<StatusApiVersion, number> = { v1: 10, v5: 1 };

export interface RequestEvent {
  requestId: string;
  action: CampaignAction;
  ids: number;
  attempt: number;
  /** HTTP status, or undefined when no response came. */
  status: number | undefined;
  errorKind: string | undefined;
  ms: number;
  /** How long this send waited in the limiter before it started. */
  queuedMs: number;
}

/** What one send came to, and how long it took (`answered`: MoEngage's answer came, whatever its status). */
export type SendResult = ({ ok: true } | { ok: false; error: MoEngageError }) & {
  ms: number;
  answered: boolean;
};

export interface SenderOptions {
  baseUrl: string;
  workspaceId: string;
  apiKey: string;
  /** The shortest whole-request deadline (connect, headers and body) of one send; each send is given its own. */
  timeoutMs: number;
  /** The longest deadline a send may be given (the HTTP pool's backstops are set past it). */
  maxTimeoutMs: number;
  connections: number;
  apiVersion: StatusApiVersion;
  logger: Logger;
  onRequest: ((event: RequestEvent) => void) | undefined;
}

/** What one send needs of the status change it belongs to; every send is recorded in `sends`. */
export interface SendRun {
  action: CampaignAction;
  sends: SendRecord[];
}

/** MoEngage's authentication for every API the bot calls: Basic workspace id and key, and MOE-APPKEY. */
export function moengageHeaders(workspaceId: string, apiKey: string): Record<string, string> {
  const credential = Buffer.from(`${workspaceId}:${apiKey}`).toString('base64');
  return {
    authorization: `Basic ${credential}`,
    'moe-appkey': workspaceId,
    'content-type': 'application/json',
    accept: 'application/json',
  };
}

/**
 * One HTTP send of a status-change request and what it came to: the client decides about retries, splits
 * and the limiter, this only sends once, turns MoEngage's answer (or the network's failure) into a result
 * and logs and records the send.
 */
export class StatusSender {
  readonly #pool: Pool;
  readonly #base: string;
  readonly #version: StatusApiVersion;
  readonly #headers: Record<string, string>;
  readonly #log: Logger;
  readonly #onRequest: ((event: RequestEvent) => void) | undefined;

  constructor(options: SenderOptions) {
    const url = new URL(options.baseUrl);
    this.#pool = new Pool(url.origin, {
      connections: options.connections,
      keepAliveTimeout: 30_000,
      connectTimeout: Math.min(5_000, options.timeoutMs),
      // Backstops only: undici's own timers are coarse (~1 s); each send's AbortSignal is the real deadline.
      headersTimeout: options.maxTimeoutMs + 1_000,
      bodyTimeout: options.maxTimeoutMs + 1_000,
    });
    this.#base = url.pathname.replace(/\/+$/, '');
    this.#version = options.apiVersion;
    this.#headers = moengageHeaders(options.workspaceId, options.apiKey);
    this.#log = options.logger;
    this.#onRequest = options.onRequest;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  /**
   * The HTTP request for one send. In v5 the request_id is a UUID v4 and doubles as the Idempotency-Key: the
   * client reuses it on every retry and the run journal on every takeover, so MoEngage acts on it once.
   */
  #request(action: CampaignAction, ids: string[], requestId: string) {
    if (this.#version === 'v5') {
      if (ids.length !== 1) throw new RangeError(`a V5 status request takes one campaign, got ${ids.length}`);
      return {
        method: 'PATCH' as const,
        path: `${this.#base}/v5/campaigns/${encodeURIComponent(ids[0] as string)}/status`,
        headers: { ...this.#headers, 'idempotency-key': requestId },
        body: JSON.stringify({ action, request_id: requestId }),
      };
    }
    return {
      method: 'POST' as const,
      path: this.#base + STATUS_PATH,
      headers: this.#headers,
      body: JSON.stringify({ request_id: requestId, action, campaign_ids: ids }),
    };
  }

  async send(
    run: SendRun,
    ids: string[],
    requestId: string,
    attempt: number,
    queuedMs: number,
    /** This send's deadline (see deadline.ts: it adapts to how long MoEngage takes). */
    timeoutMs: number,
  ): Promise<SendResult> {
    const started = performance.now();
    let status: number | undefined;
    let result: { ok: true } | { ok: false; error: MoEngageError };
    try {
      const response = await this.#pool.request({
        ...this.#request(run.action, ids, requestId),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.statusCode;
      const text = await response.body.text();
      if (status >= 200 && status < 300) {
        result = { ok: true };
      } else {
        const parsed = parseErrorBody(status, text);
        const said =
          status === 429 || status === 503 ? retryAtFromHeaders(response.headers, Date.now()) : undefined;
        const bounded = said === undefined ? undefined : boundedRetryAt(said, Date.now());
        if (bounded?.capped) {
          this.#log.warn(
            { requestId, status, askedUntil: new Date(said as number).toISOString() },
            'suspicious rate-limit answer: asked to wait past MoEngage’s longest window; waiting at most an hour',
          );
        }
        const retryAt = bounded?.atMs;
        const message = `MoEngage ${status}: ${parsed.message}`;
        const { code, detailText } = parsed;
        const error = new MoEngageHttpError({
          status,
          code,
          message,
          requestId,
          retryAtMs: retryAt,
          detailText,
        });
        result = { ok: false, error };
      }
    } catch (cause) {
      const timedOut = isTimeout(cause);
      const message = timedOut
        ? `MoEngage did not answer within ${timeoutMs} ms`
        : `Could not reach MoEngage (${describeNetworkError(cause)})`;
      result = { ok: false, error: new MoEngageNetworkError(message, requestId, timedOut, cause) };
    }
    const ms = Math.round(performance.now() - started);
    const errorKind = result.ok ? undefined : result.error.kind;
    const line = { requestId, action: run.action, ids: ids.length, status, attempt, ms, errorKind };
    if (result.ok) this.#log.info(line, 'moengage request');
    else this.#log.warn({ ...line, error: result.error.message }, 'moengage request failed');
    this.#log.debug({ requestId, campaignIds: ids }, 'moengage request ids');
    run.sends.push({ requestId, campaignIds: ids, attempt, status, errorKind, ms });
    this.#onRequest?.({
      requestId,
      action: run.action,
      ids: ids.length,
      attempt,
      status,
      errorKind,
      ms,
      queuedMs,
    });
    return { ...result, ms, answered: status !== undefined };
  }
}

function isTimeout(error: unknown): boolean {
  const e = error as { name?: string; code?: string } | undefined;
  return e?.name === 'TimeoutError' || /TIMEOUT/.test(e?.code ?? '');
}

function describeNetworkError(error: unknown): string {
  const e = error as
    | { code?: string; message?: string; cause?: { code?: string; message?: string } }
    | undefined;
  const code = e?.code ?? e?.cause?.code;
  const message = e?.message ?? String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
