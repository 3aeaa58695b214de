import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Pool } from 'undici';
import { z } from 'zod';
import type { CampaignInfo } from '../core/campaign-info.ts';
import { parseErrorBody } from './errors.ts';
import { type CallLimiter, createSlidingLimiter, estimateMs, type Priority } from './limiter.ts';
import { boundedRetryAt, retryAtFromHeaders } from './retry-policy.ts';
import { moengageHeaders, type StatusApiVersion } from './send.ts';

export const V1_SEARCH_PATH = '/core-services/v1/campaigns/search';
export const V5_SEARCH_PATH = '/v5/campaigns/search';

export interface CampaignSearchOptions {
  baseUrl: string;
  workspaceId: string;
  apiKey: string;
  apiVersion: StatusApiVersion;
  logger: Logger;
  /** The search API has limits of its own (10/s, 100/min, 6,000/h): never the status API's limiter. */
  limiter?: CallLimiter;
  timeoutMs?: number;
  /** Sends per call, retries included; a lookup is advice, so it gives up early. */
  maxAttempts?: number;
}

/** Found campaigns by id, and the ids MoEngage does not know; or why no lookup could be made. */
export type LookupResult =
  | { ok: true; found: Map<string, CampaignInfo> }
  | { ok: false; reason: 'unavailable' | 'failed'; message: string };

const v1Rows = z.array(z.looseObject({ campaign_id: z.string() }));
/** V5 rows carry `campaign_id` (canonical) and `id`; the migration guide shows rows with `id` only: either does. */
const v5Body = z.looseObject({
  data: z.looseObject({
    campaigns: z.array(z.looseObject({ campaign_id: z.string().optional(), id: z.string().optional() })),
  }),
});

/** The most rows a search page holds, V1 and V5 alike (`limit` 1–15, documented): MoEngage refuses more. */
export const SEARCH_PAGE_LIMIT = 15;

/** How long a 401/403 from the search is believed before it is asked again (an account may get it enabled). */
const UNAVAILABLE_FOR_MS = 10 * 60_000;

/** How many ids one V5 search asks for: no maximum is documented; fewer than a page holds, so one page answers. */
const V5_IDS_PER_SEARCH = 10;

/**
 * MoEngage's campaign search, to show what a confirmation is about and to check outcomes that were uncertain.
 * V1 (`POST /core-services/v1/campaigns/search`) takes one id per call (`campaign_fields.id` is a string); V5
 * (`POST /v5/campaigns/search`) takes a list, with an Idempotency-Key that must be fresh for every send: MoEngage
 * replays the stored answer for a repeated key, so a reused key would return an old page (or an old failure).
 * The same workspace credentials; its own limiter. A 401/403 means the account has no search (MoEngage enables it per account): `unavailable`.
 */
export class CampaignSearch {
  readonly #pool: Pool;
  readonly #base: string;
  readonly #headers: Record<string, string>;
  readonly #version: StatusApiVersion;
  readonly #limiter: CallLimiter;
  readonly #ownsLimiter: boolean;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #log: Logger;
  /** MoEngage refused the search to these credentials (401/403): believed for a while, not asked again. */
  #unavailable: { message: string; until: number } | undefined;

  constructor(options: CampaignSearchOptions) {
    const url = new URL(options.baseUrl);
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    // As many at once as the search allows in a second: a 10-id lookup is one round trip.
    this.#pool = new Pool(url.origin, { connections: 10, keepAliveTimeout: 30_000 });
    this.#base = url.pathname.replace(/\/+$/, '');
    this.#headers = moengageHeaders(options.workspaceId, options.apiKey);
    this.#version = options.apiVersion;
    this.#ownsLimiter = options.limiter === undefined;
    this.#limiter = options.limiter ?? createSlidingLimiter({ maxConcurrent: 10 });
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#log = options.logger.child({ module: 'moengage-search' });
  }

  get limiter(): CallLimiter {
    return this.#limiter;
  }

  /** About how long a lookup of `ids` takes at the search's limits (V1: a call an id; V5: ten ids a call). */
  estimateMs(ids: number): number {
    const calls = this.#version === 'v5' ? Math.ceil(ids / V5_IDS_PER_SEARCH) : ids;
    return estimateMs(calls, this.#limiter.limits);
  }

  async close(): Promise<void> {
    if (this.#ownsLimiter) await this.#limiter.stop();
    await this.#pool.close();
  }

  /** Looks every id up; ids MoEngage does not know are absent from `found`. */
  async lookup(ids: readonly string[], priority: Priority = 3, requester?: string): Promise<LookupResult> {
    const unique = [...new Set(ids)];
    const batches =
      this.#version === 'v5'
        ? Array.from({ length: Math.ceil(unique.length / V5_IDS_PER_SEARCH) }, (_, i) =>
            unique.slice(i * V5_IDS_PER_SEARCH, (i + 1) * V5_IDS_PER_SEARCH),
          )
        : unique.map((id) => [id]);
    const found = new Map<string, CampaignInfo>();
    let problem: { reason: 'unavailable' | 'failed'; message: string } | undefined;
    if (this.#unavailable && this.#unavailable.until > Date.now()) {
      return { ok: false, reason: 'unavailable', message: this.#unavailable.message };
    }
    await Promise.all(
      batches.map(async (batch) => {
        const answer = await this.#search(batch, priority, requester);
        if (!answer.ok) {
          if (!problem || answer.reason === 'unavailable') problem = answer;
          return;
        }
        for (const info of answer.campaigns) if (batch.includes(info.id)) found.set(info.id, info);
      }),
    );
    if (problem) return { ok: false, ...problem };
    return { ok: true, found };
  }

  /**
   * Every campaign in some status (and channel), page by page through the same limiter: what a freeze pauses.
   * Both APIs take at most 15 a page and give no total: pages of 15 until one holds fewer (documented), or
   * `maxPages` (then `truncated`). A V5 row may carry only its id (status unknown). Flow children and archived
   * campaigns are not asked for.
   */
  async list(
    filter: { statuses: readonly string[]; channels?: readonly string[] },
    options: { priority?: Priority; requester?: string; maxPages?: number } = {},
  ): Promise<
    | { ok: true; campaigns: CampaignInfo[]; pages: number; truncated: boolean }
    | { ok: false; reason: 'unavailable' | 'failed'; message: string }
  > {
    if (this.#unavailable && this.#unavailable.until > Date.now()) {
      return { ok: false, reason: 'unavailable', message: this.#unavailable.message };
    }
    const limit = SEARCH_PAGE_LIMIT;
    const maxPages = options.maxPages ?? 200;
    const fields = {
      status: [...filter.statuses],
      ...(filter.channels && filter.channels.length > 0 ? { channels: [...filter.channels] } : {}),
    };
    const seen = new Map<string, CampaignInfo>();
    for (let page = 1; page <= maxPages; page++) {
      const answer = await this.#search({ fields, limit, page }, options.priority ?? 2, options.requester);
      if (!answer.ok) return answer;
      for (const info of answer.campaigns) seen.set(info.id, info);
      // A short page is the last; counted in rows, so a row without an id does not end the listing early.
      if (answer.rows < limit)
        return { ok: true, campaigns: [...seen.values()], pages: page, truncated: false };
    }
    return { ok: true, campaigns: [...seen.values()], pages: maxPages, truncated: true };
  }

  /**
   * One page of every campaign (child campaigns of flows and periodic parents included, archived left out),
   * optionally those whose name matches `name` (MoEngage: "partial matches are supported" in V5; unstated in V1):
   * what the catalog is listed from, page by page, at the priority the caller gives (after look-ups).
   */
  async page(
    query: { page: number; name?: string },
    options: { priority?: Priority; requester?: string } = {},
  ): Promise<
    | { ok: true; campaigns: CampaignInfo[]; rows: number; limit: number }
    | { ok: false; reason: 'unavailable' | 'failed'; message: string }
  > {
    if (this.#unavailable && this.#unavailable.until > Date.now()) {
      return { ok: false, reason: 'unavailable', message: this.#unavailable.message };
    }
    const statuses = [
      'ACTIVE',
      'SCHEDULED',
      'PAUSED',
      'SENT',
      'STOPPED',
      ...(this.#version === 'v5' ? ['SENDING'] : []),
    ];
    const fields = { status: statuses, ...(query.name ? { name: query.name } : {}) };
    const answer = await this.#search(
      { fields, limit: SEARCH_PAGE_LIMIT, page: query.page, extra: { include_child_campaigns: true } },
      options.priority ?? 6,
      options.requester,
    );
    return answer.ok ? { ...answer, limit: SEARCH_PAGE_LIMIT } : answer;
  }

  async #search(
    batch: string[] | SearchPage,
    priority: Priority,
    requester: string | undefined,
  ): Promise<
    | { ok: true; campaigns: CampaignInfo[]; rows: number }
    | { ok: false; reason: 'unavailable' | 'failed'; message: string }
  > {
    // One request_id per logical search (a trace only, never deduplicated); a fresh Idempotency-Key per send.
    const requestId = randomUUID();
    let last = 'no answer';
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const sent = await this.#limiter.schedule(
        priority,
        async (slot) => {
          // Refused to this account a moment ago: the queued searches are not sent (their slots come back).
          const known = this.#unavailable;
          if (known && known.until > Date.now()) {
            slot.unused();
            return { kind: 'unavailable' as const, message: known.message };
          }
          return this.#send(batch, requestId, randomUUID());
        },
        requester,
      );
      if (sent.kind === 'ok') return { ok: true, campaigns: sent.campaigns, rows: sent.rows };
      last = sent.message;
      if (sent.kind === 'unavailable') {
        this.#unavailable = { message: sent.message, until: Date.now() + UNAVAILABLE_FOR_MS };
        return { ok: false, reason: 'unavailable', message: sent.message };
      }
      if (sent.kind === 'final') break;
      const wait = Math.max(200 * 2 ** (attempt - 1), (sent.retryAtMs ?? 0) - Date.now());
      if (attempt < this.#maxAttempts && wait <= 10_000) await sleep(wait);
      else break;
    }
    return { ok: false, reason: 'failed', message: last };
  }

  async #send(
    batch: string[] | SearchPage,
    requestId: string,
    idempotencyKey: string,
  ): Promise<
    | { kind: 'ok'; campaigns: CampaignInfo[]; rows: number }
    | { kind: 'unavailable' | 'final' | 'retry'; message: string; retryAtMs?: number }
  > {
    const v5 = this.#version === 'v5';
    const body = !Array.isArray(batch)
      ? {
          request_id: requestId,
          campaign_fields: batch.fields,
          limit: batch.limit,
          page: batch.page,
          ...batch.extra,
        }
      : v5
        ? { request_id: requestId, campaign_fields: { ids: batch }, limit: SEARCH_PAGE_LIMIT, page: 1 }
        : { request_id: requestId, campaign_fields: { id: batch[0] }, limit: SEARCH_PAGE_LIMIT, page: 1 };
    const started = performance.now();
    try {
      const response = await this.#pool.request({
        method: 'POST',
        path: this.#base + (v5 ? V5_SEARCH_PATH : V1_SEARCH_PATH),
        // A search changes nothing, so a retry needs no replay: a repeated key would answer the stored page
        // (or a stored failure) again, never a fresh one.
        headers: v5 ? { ...this.#headers, 'idempotency-key': idempotencyKey } : this.#headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const text = await response.body.text();
      const status = response.statusCode;
      this.#log.debug(
        {
          requestId,
          status,
          ...(Array.isArray(batch) ? { ids: batch.length } : { page: batch.page }),
          ms: Math.round(performance.now() - started),
        },
        'search',
      );
      if (status === 200) {
        const page = v5 ? parseV5(text) : parseV1(text);
        if (page) return { kind: 'ok', ...page };
        return { kind: 'final', message: 'MoEngage answered the campaign search with an unexpected body' };
      }
      const message = `MoEngage ${status}: ${parseErrorBody(status, text).message}`;
      if (status === 401 || status === 403) return { kind: 'unavailable', message };
      if (status === 429 || status >= 500) {
        const said = retryAtFromHeaders(response.headers, Date.now());
        const retryAtMs = said === undefined ? undefined : boundedRetryAt(said, Date.now()).atMs;
        return { kind: 'retry', message, ...(retryAtMs === undefined ? {} : { retryAtMs }) };
      }
      return { kind: 'final', message };
    } catch (error) {
      const e = error as { name?: string; message?: string };
      const message =
        e?.name === 'TimeoutError'
          ? `MoEngage's campaign search did not answer within ${this.#timeoutMs} ms`
          : `Could not reach MoEngage's campaign search (${e?.message ?? String(error)})`;
      return { kind: 'retry', message };
    }
  }
}

/** A page of a listing: the filter, and body fields beside it (`include_child_campaigns`). */
interface SearchPage {
  fields: Record<string, unknown>;
  limit: number;
  page: number;
  extra?: Record<string, unknown>;
}

/** A campaign as a search row describes it; what a row leaves out is unknown (a name '', status UNKNOWN). */
function info(row: Record<string, unknown> & { campaign_id: string }): CampaignInfo {
  const details = row.basic_details as { name?: unknown; tags?: unknown } | undefined;
  const name =
    typeof details?.name === 'string'
      ? details.name
      : typeof row.campaign_name === 'string'
        ? row.campaign_name
        : '';
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    id: row.campaign_id,
    name,
    channel: str(row.channel)?.toUpperCase(),
    deliveryType: str(row.campaign_delivery_type)?.toUpperCase(),
    // The enum is upper case, the examples answer "Active": compare in one case.
    status: (str(row.status) ?? str(row.campaign_status) ?? 'UNKNOWN').toUpperCase(),
    ...tagsOf(details?.tags ?? row.campaign_tags ?? row.tags),
    // Flow steps carry flow_id / flow_name (V1, with include_child_campaigns); V5 rows may say flow too.
    ...(str(row.flow_id)
      ? {
          flow: {
            id: str(row.flow_id) as string,
            ...(str(row.flow_name) ? { name: str(row.flow_name) } : {}),
          },
        }
      : {}),
  };
}

function tagsOf(raw: unknown): { tags?: string[] } {
  if (!Array.isArray(raw)) return {};
  const tags = raw.filter((t): t is string => typeof t === 'string' && t !== '');
  return tags.length > 0 ? { tags } : {};
}

function parseV1(text: string): { campaigns: CampaignInfo[]; rows: number } | undefined {
  const parsed = v1Rows.safeParse(safeJson(text));
  return parsed.success ? { campaigns: parsed.data.map(info), rows: parsed.data.length } : undefined;
}

function parseV5(text: string): { campaigns: CampaignInfo[]; rows: number } | undefined {
  const parsed = v5Body.safeParse(safeJson(text));
  if (!parsed.success) return undefined;
  const rows = parsed.data.data.campaigns;
  // The canonical campaign_id where the row has it, else its id; a row with neither names nothing to act on.
  const campaigns = rows.flatMap((row) => {
    const id = row.campaign_id ?? row.id;
    return id ? [info({ ...row, campaign_id: id })] : [];
  });
  return { campaigns, rows: rows.length };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
