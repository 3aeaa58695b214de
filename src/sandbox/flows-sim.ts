import type { SimCampaign } from './campaigns.ts';

/**
 * MoEngage's Flows API (early access; `api/flows/flows.yaml` and `flows-overview.mdx`, summarised in
 * shared/MOENGAGE-API.md), as functions of the flows and the request: search with cursor paging, one flow with its
 * nodes, and the status changes with their documented transitions. Auth, the Idempotency-Key, the account's access
 * and the rate limits are the server's (moengage-sim.ts). Where the docs are silent, the stricter reading, noted.
 */

export const FLOW_STATUSES = [
  'DRAFT',
  'ACTIVE',
  'SCHEDULED',
  'PAUSED',
  'STOPPED',
  'COMPLETED',
  'RETIRED',
  'UNDER_REVIEW',
  'REJECTED',
] as const;
export type FlowStatus = (typeof FLOW_STATUSES)[number];

export const FLOW_DELIVERY_TYPES = [
  'ONE_TIME',
  'PERIODIC',
  'ON_FLOW_EXIT',
  'EVENT_TRIGGERED',
  'BUSINESS_EVENT_TRIGGERED',
] as const;
export type FlowDeliveryType = (typeof FLOW_DELIVERY_TYPES)[number];

/** The documented actions; the bot uses pause, resume and stop. Lower case only (the enum is lower case). */
export const FLOW_ACTIONS = ['pause', 'resume', 'stop', 'retire', 'archive', 'unarchive'] as const;
export type FlowActionWord = (typeof FLOW_ACTIONS)[number];

/** One campaign step of a flow: an ACTION node with `config.campaign_id`. */
export interface SimFlowStep {
  campaignId: string;
  name: string;
  channel: string;
}

export interface SimFlow {
  /** 24 lower-case hex (the API refuses anything else with a 400). */
  id: string;
  name: string;
  status: FlowStatus;
  /** A flag beside the status, spanning every version (documented): archived flows are left out of search. */
  archived?: boolean;
  /** Default EVENT_TRIGGERED. */
  deliveryType?: FlowDeliveryType;
  tags?: string[];
  /** ISO; search answers the most recently updated first. A status change moves it to now. */
  updatedAt?: string;
  createdAt?: string;
  /** Its campaigns, in order: each an ACTION node, with a wait between them. */
  steps: SimFlowStep[];
  /**
   * A Next Best Action node before the steps, choosing among them (its `config.channels[]` names the same
   * campaigns by the sibling ACTION nodes that send them, as documented).
   */
  nba?: boolean;
  /** The active version's number (default 1); `version_no` above it is a 404. */
  version?: number;
}

export type FlowApi = 'v5-flows-search' | 'v5-flows-get' | 'v5-flows-status';

export const FLOWS_SEARCH_PATH = '/v5/flows/search';
const FLOW_STATUS = /\/v5\/flows\/([^/]+)\/status$/;
const FLOW_GET = /\/v5\/flows\/([^/]+)$/;

export function flowRouteOf(method: string, pathname: string): { api: FlowApi; flowId?: string } | undefined {
  if (method === 'POST' && pathname.endsWith(FLOWS_SEARCH_PATH)) return { api: 'v5-flows-search' };
  const status = FLOW_STATUS.exec(pathname);
  if (method === 'PATCH' && status)
    return { api: 'v5-flows-status', flowId: decodeURIComponent(status[1] as string) };
  const get = FLOW_GET.exec(pathname);
  if (method === 'GET' && get && get[1] !== 'search')
    return { api: 'v5-flows-get', flowId: decodeURIComponent(get[1] as string) };
  return undefined;
}

export interface FlowAnswer {
  status: number;
  body: string;
  outcome: 'applied' | 'rejected' | 'invalid' | 'found' | 'not_found';
  /** A change to make once the answer is decided (the server applies it). */
  change?: { id: string; status?: FlowStatus; archived?: boolean };
}

type Flows = ReadonlyMap<string, SimFlow>;

const FLOW_ID = /^[a-f0-9]{24}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The documented error envelope: `{response_id, error: {code, message, target, details}}`. */
export function flowError(
  status: number,
  code: string,
  message: string,
  at: { responseId: string; target: string; details?: { target: string; message: string }[] },
): FlowAnswer {
  const body = JSON.stringify({
    response_id: at.responseId,
    error: { code, message, target: at.target, details: at.details ?? [{ target: at.target, message }] },
  });
  const outcome = status === 404 ? 'not_found' : status === 409 ? 'rejected' : 'invalid';
  return { status, body, outcome };
}

const invalid = (responseId: string, target: string, message: string) =>
  flowError(400, 'VALIDATION_FAILED', message, { responseId, target });

/** Newest update first, then by id (a stable order for the cursor). */
function byUpdate(a: SimFlow, b: SimFlow): number {
  const ua = a.updatedAt ?? '';
  const ub = b.updatedAt ?? '';
  if (ua !== ub) return ua < ub ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The cursor is opaque to clients: base64 of the last row's place in the order (keyset paging). */
function encodeCursor(flow: SimFlow): string {
  return Buffer.from(JSON.stringify({ u: flow.updatedAt ?? '', id: flow.id })).toString('base64');
}

function decodeCursor(cursor: string): { u: string; id: string } | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as unknown;
    if (isObject(v) && typeof v.u === 'string' && typeof v.id === 'string') return { u: v.u, id: v.id };
  } catch {
    // falls through: a malformed cursor is a 400
  }
  return undefined;
}

/**
 * `POST /v5/flows/search`: filters ANDed, all optional (`name` contains, any case; `status[]` and
 * `delivery_type[]` in any case; `tags[]` any of; `include_archived`); `teams[]` required when the workspace has
 * teams on, refused otherwise; `limit` 1–100 (default 20); `cursor` from the last page's `next_cursor`. Keyset
 * paging: a flow whose update moves it ahead of the cursor meanwhile is not listed again on later pages.
 */
export function answerFlowSearch(
  flows: Flows,
  json: unknown,
  responseId: string,
  options: { teamsEnabled?: boolean } = {},
): FlowAnswer {
  if (!isObject(json)) return invalid(responseId, 'request', 'The request body must be a JSON object.');
  const limit = json.limit ?? 20;
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 100)
    return invalid(responseId, 'limit', 'limit must be a whole number from 1 to 100');
  const lists: Record<string, Set<string> | undefined> = {};
  for (const field of ['status', 'delivery_type', 'tags', 'teams'] as const) {
    const v = json[field];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
      return invalid(responseId, field, `${field} must be a list of strings`);
    const upper = field === 'status' || field === 'delivery_type';
    lists[field] = new Set((v as string[]).map((x) => (upper ? x.toUpperCase() : x)));
  }
  const known: Record<string, readonly string[]> = {
    status: FLOW_STATUSES,
    delivery_type: FLOW_DELIVERY_TYPES,
  };
  for (const [field, values] of Object.entries(known)) {
    const bad = [...(lists[field] ?? [])].find((x) => !values.includes(x));
    if (bad !== undefined) return invalid(responseId, field, `${field} has an unknown value: ${bad}`);
  }
  if (options.teamsEnabled && (lists.teams === undefined || lists.teams.size === 0))
    return invalid(responseId, 'teams', 'teams is required when the team feature is enabled');
  if (!options.teamsEnabled && lists.teams !== undefined)
    return invalid(responseId, 'teams', 'teams is not accepted: the team feature is not enabled');
  if (json.name !== undefined && typeof json.name !== 'string')
    return invalid(responseId, 'name', 'name must be a string');
  let after: { u: string; id: string } | undefined;
  if (json.cursor !== undefined && json.cursor !== null) {
    after = typeof json.cursor === 'string' ? decodeCursor(json.cursor) : undefined;
    if (!after) return invalid(responseId, 'cursor', 'The cursor is malformed.');
  }
  const name = typeof json.name === 'string' ? json.name.toLowerCase() : undefined;
  const archived = json.include_archived === true;
  const matches = (f: SimFlow) =>
    (archived || f.archived !== true) &&
    (name === undefined || f.name.toLowerCase().includes(name)) &&
    (!lists.status || lists.status.has(f.status)) &&
    (!lists.delivery_type || lists.delivery_type.has(f.deliveryType ?? 'EVENT_TRIGGERED')) &&
    (!lists.tags || (f.tags ?? []).some((t) => lists.tags?.has(t)));
  const ordered = [...flows.values()].filter(matches).sort(byUpdate);
  const start = after
    ? ordered.findIndex((f) => byUpdate(f, { id: after.id, updatedAt: after.u } as SimFlow) > 0)
    : 0;
  const rest = start < 0 ? [] : ordered.slice(start);
  const page = rest.slice(0, limit as number);
  const hasMore = rest.length > page.length;
  const last = page[page.length - 1];
  const body = JSON.stringify({
    response_id: responseId,
    type: 'flow',
    data: {
      flows: page.map(summary),
      has_more: hasMore,
      next_cursor: hasMore && last ? encodeCursor(last) : null,
    },
  });
  return { status: 200, body, outcome: 'found' };
}

function summary(f: SimFlow) {
  const version = f.version ?? 1;
  return {
    flow_id: f.id,
    name: f.name,
    status: f.status,
    archived: f.archived === true,
    delivery_type: f.deliveryType ?? 'EVENT_TRIGGERED',
    active_version_name: `Version ${version}`,
    tags: [...(f.tags ?? [])],
    created_at: f.createdAt ?? '2026-01-05T10:00:00Z',
    updated_at: f.updatedAt ?? '2026-01-05T10:00:00Z',
    published_at: f.status === 'DRAFT' ? null : (f.createdAt ?? '2026-01-05T10:00:00Z'),
    created_by: 'marketing@example.com',
  };
}

/**
 * `GET /v5/flows/{flow_id}[?version_no=N]`: the flow with `structure.nodes[]`: a TRIGGER, then each step as an
 * ACTION node (`config.campaign_id`, `channel`, `campaign_name`) with a WAIT_FOR_TIMER between steps, and an NBA
 * node first when the flow has one. A flow id that is not 24 hex is a 400; an unknown one, or a version past the
 * active one, a 404.
 */
export function answerFlowGet(
  flows: Flows,
  flowId: string,
  query: URLSearchParams,
  responseId: string,
): FlowAnswer {
  if (!FLOW_ID.test(flowId))
    return invalid(responseId, 'flow_id', 'flow_id must be the 24-character id of a flow');
  const versionNo = query.get('version_no');
  if (versionNo !== null && !/^[1-9]\d*$/.test(versionNo))
    return invalid(responseId, 'version_no', 'version_no must be a whole number from 1');
  const flow = flows.get(flowId);
  if (!flow || (versionNo !== null && Number(versionNo) > (flow.version ?? 1))) {
    return flowError(404, 'NOT_FOUND', 'Flow not found.', {
      responseId,
      target: 'flow',
      details: [{ target: 'flow_id', message: 'Flow not found.' }],
    });
  }
  const body = JSON.stringify({ response_id: responseId, type: 'flow', data: detail(flow) });
  return { status: 200, body, outcome: 'found' };
}

function detail(f: SimFlow) {
  const version = f.version ?? 1;
  const nodes: Record<string, unknown>[] = [];
  const push = (node: Record<string, unknown>) => {
    const parent = nodes[nodes.length - 1];
    if (parent) (parent.child_stage_ids as string[]).push(node.stage_id as string);
    nodes.push({ ...node, parent_stage_id: parent ? parent.stage_id : null, child_stage_ids: [] });
  };
  push({
    stage_id: 'n1',
    type: 'TRIGGER',
    sub_type: 'EVENT',
    label: 'App Opened',
    config: { segmentation: { audience_type: 'all_users' } },
  });
  const actionId = (i: number) => `a${i + 1}`;
  if (f.nba && f.steps.length > 0) {
    push({
      stage_id: 'nba',
      type: 'ACTION',
      sub_type: 'NBA',
      label: 'Next Best Action',
      config: {
        channels: f.steps.map((s, i) => ({
          channel: s.channel,
          stage_id: actionId(i),
          campaign_id: s.campaignId,
        })),
        fallback_channel: f.steps[0]?.channel,
        best_time_to_send: { default_time: 'SEND_IMMEDIATELY' },
      },
    });
  }
  f.steps.forEach((s, i) => {
    if (i > 0)
      push({
        stage_id: `w${i}`,
        type: 'CONTROL',
        sub_type: 'WAIT_FOR_TIMER',
        label: 'Wait 1 day',
        config: { wait: { duration: 1, unit: 'days' } },
      });
    push({
      stage_id: actionId(i),
      type: 'ACTION',
      sub_type: s.channel,
      label: s.name,
      config: { campaign_id: s.campaignId, channel: s.channel, campaign_name: s.name },
    });
  });
  return {
    ...summary(f),
    published_by: 'marketing@example.com',
    global_control_group_enabled: false,
    versions: Array.from({ length: version }, (_, i) => ({
      version_id: `${f.id.slice(0, 22)}${(i + 1).toString(16).padStart(2, '0')}`,
      version_name: `Version ${i + 1}`,
      version_no: i + 1,
      status: i + 1 === version ? f.status : 'RETIRED',
    })),
    settings: { control_group: { enabled: false }, frequency_capping: { ignore: false }, bypass_dnd: false },
    structure: { nodes },
  };
}

/**
 * The documented transitions (flows.yaml): pause ACTIVE/SCHEDULED → PAUSED; resume PAUSED → ACTIVE; stop
 * ACTIVE/SCHEDULED/PAUSED/RETIRED → STOPPED; retire ACTIVE/PAUSED → RETIRED; archive PAUSED/STOPPED/COMPLETED, not
 * yet archived; unarchive an archived flow. Anything else is MoEngage's 409 `BAD_REQUEST`: its one documented
 * message is "Cannot resume a flow that is not paused."; the others follow its style (pausing a paused flow is not
 * documented: a 409 is assumed, as shared/MOENGAGE-API.md expects).
 */
export function flowTransition(
  flow: SimFlow,
  action: FlowActionWord,
): { ok: true; status?: FlowStatus; archived?: boolean } | { ok: false; reason: string } {
  const is = (...states: FlowStatus[]) => states.includes(flow.status);
  const now = flow.status.toLowerCase().replace(/_/g, ' ');
  switch (action) {
    case 'pause':
      if (is('ACTIVE', 'SCHEDULED')) return { ok: true, status: 'PAUSED' };
      return { ok: false, reason: `Cannot pause a flow that is ${now}.` };
    case 'resume':
      if (is('PAUSED')) return { ok: true, status: 'ACTIVE' };
      return { ok: false, reason: 'Cannot resume a flow that is not paused.' };
    case 'stop':
      if (is('ACTIVE', 'SCHEDULED', 'PAUSED', 'RETIRED')) return { ok: true, status: 'STOPPED' };
      return { ok: false, reason: `Cannot stop a flow that is ${now}.` };
    case 'retire':
      if (is('ACTIVE', 'PAUSED')) return { ok: true, status: 'RETIRED' };
      return { ok: false, reason: `Cannot retire a flow that is ${now}.` };
    case 'archive':
      if (flow.archived) return { ok: false, reason: 'Cannot archive a flow that is already archived.' };
      if (is('PAUSED', 'STOPPED', 'COMPLETED')) return { ok: true, archived: true };
      return { ok: false, reason: `Cannot archive a flow that is ${now}.` };
    case 'unarchive':
      if (flow.archived) return { ok: true, archived: false };
      return { ok: false, reason: 'Cannot unarchive a flow that is not archived.' };
  }
}

/**
 * `PATCH /v5/flows/{flow_id}/status` with `{action, updated_by, version_no?, request_id?}`: `action` in lower case
 * (the documented enum; `PAUSE` is refused, the stricter reading), `updated_by` an email, required. 200
 * `{response_id, type: "flow", data: {flow_id, status}}` with the new status; an invalid transition is a 409.
 */
export function answerFlowStatus(
  flows: Flows,
  flowId: string,
  json: unknown,
  responseId: string,
): FlowAnswer {
  if (!FLOW_ID.test(flowId))
    return invalid(responseId, 'flow_id', 'flow_id must be the 24-character id of a flow');
  if (!isObject(json)) return invalid(responseId, 'request', 'The request body must be a JSON object.');
  if (!FLOW_ACTIONS.includes(json.action as FlowActionWord))
    return invalid(responseId, 'action', `action must be one of ${FLOW_ACTIONS.join(', ')}`);
  if (typeof json.updated_by !== 'string' || !EMAIL.test(json.updated_by))
    return invalid(responseId, 'updated_by', 'updated_by is required and must be an email address');
  const action = json.action as FlowActionWord;
  const versionNo = json.version_no;
  if (versionNo !== undefined) {
    if (!Number.isInteger(versionNo) || (versionNo as number) < 1)
      return invalid(responseId, 'version_no', 'version_no must be a whole number from 1');
    if (action === 'archive' || action === 'unarchive')
      return invalid(responseId, 'version_no', `version_no is not accepted for ${action}`);
  }
  const flow = flows.get(flowId);
  if (!flow || (typeof versionNo === 'number' && versionNo > (flow.version ?? 1))) {
    return flowError(404, 'NOT_FOUND', 'Flow not found.', {
      responseId,
      target: 'flow',
      details: [{ target: 'flow_id', message: 'Flow not found.' }],
    });
  }
  const t = flowTransition(flow, action);
  if (!t.ok) return flowError(409, 'BAD_REQUEST', t.reason, { responseId, target: 'action', details: [] });
  const status = t.status ?? flow.status;
  const body = JSON.stringify({ response_id: responseId, type: 'flow', data: { flow_id: flowId, status } });
  return {
    status: 200,
    body,
    outcome: 'applied',
    change: {
      id: flowId,
      ...(t.status ? { status: t.status } : {}),
      ...(t.archived === undefined ? {} : { archived: t.archived }),
    },
  };
}

/**
 * The flows that campaigns' `flow` fields name (catalogCampaigns makes them), each with those campaigns as its
 * steps, in the campaigns' order: so a catalog's flow steps and its flows agree. All `status` (default ACTIVE).
 */
export function flowsFromCampaigns(
  campaigns: readonly SimCampaign[],
  options: { status?: FlowStatus; updatedAt?: string } = {},
): SimFlow[] {
  const flows = new Map<string, SimFlow>();
  for (const c of campaigns) {
    if (!c.flow) continue;
    const flow = flows.get(c.flow.id) ?? {
      id: c.flow.id,
      name: c.flow.name,
      status: options.status ?? 'ACTIVE',
      updatedAt: options.updatedAt ?? c.updatedAt ?? '2026-01-05T10:00:00Z',
      steps: [],
    };
    flow.steps.push({ campaignId: c.id, name: c.name, channel: c.channel });
    flows.set(c.flow.id, flow);
  }
  return [...flows.values()];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
