import { CAMPAIGN_ACTIONS, type CampaignAction, MAX_IDS_PER_REQUEST } from '../moengage/types.ts';
import { type SimCampaign, transition, transitionV5 } from './campaigns.ts';
import { type NameMatch, searchFilter, v1Row, v5Row } from './moengage-sim-search.ts';

/**
 * The documented MoEngage endpoints the simulator answers (shared/MOENGAGE-API.md), as functions of the
 * campaigns and the request body: auth, rate limits, Idempotency-Keys and faults are the server's
 * (moengage-sim.ts). Where the docs are silent, the stricter reading; where they disagree, noted at the answer.
 */

export type SimApi = 'v1-status' | 'v5-status' | 'v1-search' | 'v5-search';

export const V1_STATUS_PATH = '/core-services/v1/campaigns/status';
export const V1_SEARCH_PATH = '/core-services/v1/campaigns/search';
export const V5_SEARCH_PATH = '/v5/campaigns/search';
const V5_STATUS = /\/v5\/campaigns\/([^/]+)\/status$/;

export function routeOf(method: string, pathname: string): { api: SimApi; campaignId?: string } | undefined {
  if (method === 'POST' && pathname.endsWith(V1_STATUS_PATH)) return { api: 'v1-status' };
  if (method === 'POST' && pathname.endsWith(V1_SEARCH_PATH)) return { api: 'v1-search' };
  if (method === 'POST' && pathname.endsWith(V5_SEARCH_PATH)) return { api: 'v5-search' };
  const v5 = V5_STATUS.exec(pathname);
  if (method === 'PATCH' && v5) return { api: 'v5-status', campaignId: decodeURIComponent(v5[1] as string) };
  return undefined;
}

export type AnswerOutcome = 'applied' | 'rejected' | 'invalid' | 'found';

export interface Answer {
  status: number;
  body: string;
  outcome: AnswerOutcome;
  /** Status changes to make once the answer is decided (the server applies them). */
  changes?: Map<string, SimCampaign['status']>;
}

const VERB: Record<CampaignAction, string> = { PAUSE: 'paused', RESUME: 'resumed', STOP: 'stopped' };

type Campaigns = ReadonlyMap<string, SimCampaign>;

export function answerV1Status(campaigns: Campaigns, json: unknown, requestId: string): Answer {
  const invalid = validateV1Status(json);
  if (invalid) return v1Error(400, invalid.message, requestId, invalid.target, 'invalid');
  const body = json as { action: CampaignAction; campaign_ids: string[] };
  const problems: { target: string; message: string }[] = [];
  const changes = new Map<string, SimCampaign['status']>();
  for (const id of body.campaign_ids) {
    const campaign = campaigns.get(id);
    if (!campaign) {
      problems.push({ target: id, message: `Campaign ${id} not found` });
      continue;
    }
    if (campaign.createdVia === 'dashboard') {
      // Documented: this API changes campaigns created through the Create Campaign API, not dashboard ones.
      // The wording of the refusal is not documented; this one is assumed.
      problems.push({
        target: id,
        message: `Campaign ${id} was created in the dashboard; only campaigns created through the API can be changed here`,
      });
      continue;
    }
    const t = transition(campaign, body.action);
    if (t.ok) changes.set(id, t.status);
    else problems.push({ target: id, message: `Campaign ${id} cannot be ${VERB[body.action]}: ${t.reason}` });
  }
  if (problems.length > 0) {
    // A request succeeds or fails as a whole (documented): nothing is applied.
    const message =
      problems.length === 1
        ? (problems[0] as { message: string }).message
        : `${problems.length} of ${body.campaign_ids.length} campaigns cannot be ${VERB[body.action]}`;
    return v1Error(400, message, requestId, 'campaign_ids', 'rejected', problems);
  }
  // Documented: 200 with no body.
  return { status: 200, body: '', outcome: 'applied', changes };
}

export function answerV5Status(campaigns: Campaigns, id: string, json: unknown, responseId: string): Answer {
  const raw = isObject(json) ? json : undefined;
  const requestId = typeof raw?.request_id === 'string' ? raw.request_id : '';
  if (!raw || !CAMPAIGN_ACTIONS.includes(raw.action as CampaignAction)) {
    return v5Error(400, 'VALIDATION_FAILED', `action must be one of ${CAMPAIGN_ACTIONS.join(', ')}`, {
      responseId,
      requestId,
      target: 'action',
    });
  }
  const action = raw.action as CampaignAction;
  const campaign = campaigns.get(id);
  if (!campaign) {
    // Not documented for this path: a 404 in the V5 envelope is assumed.
    return {
      ...v5Error(404, 'NOT_FOUND', `Campaign ${id} not found`, {
        responseId,
        requestId,
        target: 'campaign_id',
      }),
      outcome: 'rejected',
    };
  }
  const t = transitionV5(campaign, action);
  if (!t.ok) {
    return {
      ...v5Error(422, 'UNPROCESSABLE_ENTITY', t.reason, { responseId, requestId, target: 'action' }),
      outcome: 'rejected',
    };
  }
  const body = JSON.stringify({ response_id: responseId, type: 'campaign', data: { id, action } });
  return { status: 200, body, outcome: 'applied', changes: new Map([[id, t.status]]) };
}

/**
 * V1 search: `campaign_fields.id` is a single string, `limit` 1–15, `page` required; the answer a bare array.
 * `campaign_fields.name` matches as `nameMatch` says (V1 does not document how: see moengage-sim-search.ts).
 */
export function answerV1Search(
  campaigns: Campaigns,
  json: unknown,
  options: { nameMatch?: NameMatch } = {},
): Answer {
  const raw = isObject(json) ? json : undefined;
  const requestId = typeof raw?.request_id === 'string' ? raw.request_id : '';
  if (!raw || typeof raw.request_id !== 'string' || raw.request_id === '')
    return v1Error(400, 'request_id key is mandatory field', requestId, 'request_id', 'invalid');
  if (!Number.isInteger(raw.page) || (raw.page as number) < 1)
    return v1Error(400, 'page is a mandatory field (a whole number from 1)', requestId, 'page', 'invalid');
  const limit = raw.limit ?? 15;
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 15)
    return v1Error(400, 'limit must be between 1 and 15', requestId, 'limit', 'invalid');
  const fields = isObject(raw.campaign_fields) ? raw.campaign_fields : {};
  if (fields.id !== undefined && typeof fields.id !== 'string')
    return v1Error(400, 'campaign_fields.id must be a string', requestId, 'campaign_fields.id', 'invalid');
  const filter = searchFilter(raw, fields, { version: 'v1', nameMatch: options.nameMatch ?? 'exact' });
  if (!filter.ok) return v1Error(400, filter.message, requestId, filter.target, 'invalid');
  const candidates =
    typeof fields.id === 'string'
      ? [campaigns.get(fields.id)].filter((c): c is SimCampaign => c !== undefined)
      : campaigns.values();
  const page = pageOf(candidates, filter.matches, raw.page as number, limit as number);
  return {
    status: 200,
    body: JSON.stringify(page.map((c) => v1Row(c, filter.withChildren))),
    outcome: 'found',
  };
}

/** Rows `(page-1)*limit` to `page*limit` of the matches, in the catalog's order (MoEngage documents none). */
function pageOf(
  candidates: Iterable<SimCampaign>,
  matches: (c: SimCampaign) => boolean,
  page: number,
  limit: number,
): SimCampaign[] {
  // Walks the catalog once and stops at the page's end, so paging a 20,000-campaign catalog stays cheap.
  const skip = (page - 1) * limit;
  const out: SimCampaign[] = [];
  let seen = 0;
  for (const c of candidates) {
    if (!matches(c)) continue;
    if (seen++ < skip) continue;
    out.push(c);
    if (out.length === limit) break;
  }
  return out;
}

/** The most rows one search page holds, V1 and V5 alike (`limit` 1–15, documented). */
export const SEARCH_PAGE_MAX = 15;

/**
 * V5 search: `campaign_fields.ids[]` (no documented maximum), `limit` 1–15 and `page` from 1, both required; the
 * answer under `data.campaigns`, with no total (documented: page until a page holds fewer than `limit`). Rows are
 * whole, or — `rows: 'id-only'` — carry only `id`, as the migration guide shows them.
 */
export function answerV5Search(
  campaigns: Campaigns,
  json: unknown,
  responseId: string,
  rows: 'full' | 'id-only' = 'full',
): Answer {
  // V5 matches part of a name ("partial matches are supported"); `nameMatch` is V1's alone.
  const raw = isObject(json) ? json : undefined;
  const requestId = typeof raw?.request_id === 'string' ? raw.request_id : '';
  const fields = raw && isObject(raw.campaign_fields) ? raw.campaign_fields : {};
  const ids = fields.ids;
  if (ids !== undefined && (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))) {
    return v5Error(400, 'VALIDATION_FAILED', 'campaign_fields.ids must be a list of strings', {
      responseId,
      requestId,
      target: 'campaign_fields.ids',
    });
  }
  const limit = raw?.limit;
  const pageNo = raw?.page;
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > SEARCH_PAGE_MAX)
    return v5Error(
      400,
      'VALIDATION_FAILED',
      `limit is required and must be between 1 and ${SEARCH_PAGE_MAX}`,
      {
        responseId,
        requestId,
        target: 'limit',
      },
    );
  if (!Number.isInteger(pageNo) || (pageNo as number) < 1)
    return v5Error(400, 'VALIDATION_FAILED', 'page is required and must be a whole number from 1', {
      responseId,
      requestId,
      target: 'page',
    });
  const filter = searchFilter(raw as Record<string, unknown>, fields, {
    version: 'v5',
    nameMatch: 'partial',
  });
  if (!filter.ok)
    return v5Error(400, 'VALIDATION_FAILED', filter.message, {
      responseId,
      requestId,
      target: filter.target,
    });
  const candidates = Array.isArray(ids)
    ? (ids as string[]).map((id) => campaigns.get(id)).filter((c): c is SimCampaign => c !== undefined)
    : campaigns.values();
  const page = pageOf(candidates, filter.matches, pageNo as number, limit as number);
  const body = JSON.stringify({
    response_id: responseId,
    type: 'campaign',
    data: {
      campaigns: page.map(rows === 'id-only' ? (c) => ({ id: c.id }) : (c) => v5Row(c, filter.withChildren)),
    },
  });
  return { status: 200, body, outcome: 'found' };
}

function validateV1Status(json: unknown): { target: string; message: string } | undefined {
  if (!isObject(json)) return { target: 'body', message: 'Request body must be a JSON object' };
  if (typeof json.request_id !== 'string' || json.request_id === '') {
    return { target: 'request_id', message: 'request_id key is mandatory field' };
  }
  if (!CAMPAIGN_ACTIONS.includes(json.action as CampaignAction)) {
    return { target: 'action', message: `action must be one of ${CAMPAIGN_ACTIONS.join(', ')}` };
  }
  const ids = json.campaign_ids;
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const STATUS_TEXT: Record<number, string> = {
  400: '400 Bad Request',
  401: '401 Authentication error',
  403: '403 Forbidden',
  404: '404 Not Found',
  429: '429 conflict',
  500: '500 Internal Server Error',
  502: '502 Bad Gateway',
  503: '503 Service Unavailable',
};

export function errorBody(
  status: number,
  message: string,
  requestId: string,
  target = '',
  details: { target: string; message: string }[] = [{ target, message }],
): string {
  const code = STATUS_TEXT[status] ?? `${status} Error`;
  return JSON.stringify({ error: { code, message, target, details, request_id: requestId } });
}

function v1Error(
  status: number,
  message: string,
  requestId: string,
  target: string,
  outcome: AnswerOutcome,
  details?: { target: string; message: string }[],
): Answer {
  return { status, body: errorBody(status, message, requestId, target, details), outcome };
}

/** The V5 error envelope: `{response_id, error: {code, message, target, details, request_id}}`. */
export function v5Error(
  status: number,
  code: string,
  message: string,
  at: { responseId: string; requestId: string; target: string },
): Answer {
  const body = JSON.stringify({
    response_id: at.responseId,
    error: {
      code,
      message,
      target: at.target,
      details: [{ target: at.target, message }],
      request_id: at.requestId,
    },
  });
  return { status, body, outcome: 'invalid' };
}
