import { z } from 'zod';

/**
 * MoEngage's Flows answers (`api/flows/flows.yaml`) read into the bot's shapes: a search page's flows, and one
 * flow's campaign steps from its nodes. Loose on purpose: the API is in early access and "a node may include
 * additional keys"; what a row leaves out is left out here too.
 */

export interface FlowSummary {
  /** 24 hex. */
  id: string;
  name: string;
  /** Upper case (DRAFT, ACTIVE, SCHEDULED, PAUSED, STOPPED, COMPLETED, RETIRED, …), or UNKNOWN. */
  status: string;
  archived: boolean;
  deliveryType?: string;
  tags?: string[];
  updatedAt?: string;
}

/** One campaign a flow sends: an ACTION node's `config.campaign_id`. */
export interface FlowStep {
  stageId: string;
  campaignId: string;
  channel?: string;
  /** `config.campaign_name`, else the node's label. */
  name?: string;
}

export interface FlowDetail extends FlowSummary {
  steps: FlowStep[];
  /** Every campaign the flow names (its steps', and those an NBA node chooses among), once each. */
  campaignIds: string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

const row = z.looseObject({ flow_id: z.string().min(1) });
const searchBody = z.looseObject({
  data: z.looseObject({
    flows: z.array(z.unknown()),
    has_more: z.boolean().optional(),
    next_cursor: z.string().nullish(),
  }),
});
const detailBody = z.looseObject({ data: z.looseObject({ flow_id: z.string().min(1) }) });
const statusBody = z.looseObject({ data: z.looseObject({ status: z.string().optional() }) });

export function flowSummary(raw: Record<string, unknown> & { flow_id: string }): FlowSummary {
  const tags = Array.isArray(raw.tags)
    ? raw.tags.filter((t): t is string => typeof t === 'string' && t !== '')
    : [];
  const deliveryType = str(raw.delivery_type)?.toUpperCase();
  const updatedAt = str(raw.updated_at);
  return {
    id: raw.flow_id,
    name: str(raw.name) ?? '',
    status: (str(raw.status) ?? 'UNKNOWN').toUpperCase(),
    archived: raw.archived === true,
    ...(deliveryType ? { deliveryType } : {}),
    ...(tags.length > 0 ? { tags } : {}),
    ...(updatedAt ? { updatedAt } : {}),
  };
}

/** One search page: its flows (rows without a `flow_id` dropped) and the cursor of the next, if any. */
export function parseSearchPage(
  json: unknown,
): { flows: FlowSummary[]; rows: number; nextCursor: string | undefined } | undefined {
  const parsed = searchBody.safeParse(json);
  if (!parsed.success) return undefined;
  const flows = parsed.data.data.flows.flatMap((r) => {
    const ok = row.safeParse(r);
    return ok.success ? [flowSummary(ok.data)] : [];
  });
  // A page says `has_more`; a cursor without it (or the reverse) is taken at its word only when both agree.
  const next = parsed.data.data.has_more === false ? undefined : (parsed.data.data.next_cursor ?? undefined);
  return { flows, rows: parsed.data.data.flows.length, nextCursor: next || undefined };
}

/** One flow with its campaign steps, from `structure.nodes[]`. */
export function parseFlowDetail(json: unknown): FlowDetail | undefined {
  const parsed = detailBody.safeParse(json);
  if (!parsed.success) return undefined;
  const data = parsed.data.data;
  const structure = data.structure as { nodes?: unknown } | undefined;
  const nodes = Array.isArray(structure?.nodes) ? structure.nodes : [];
  const steps: FlowStep[] = [];
  const ids: string[] = [];
  const add = (id: string | undefined) => {
    if (id !== undefined && !ids.includes(id)) ids.push(id);
  };
  for (const n of nodes) {
    const node = (n ?? {}) as Record<string, unknown>;
    if (node.type !== 'ACTION') continue;
    const config = (node.config ?? {}) as Record<string, unknown>;
    const campaignId = str(config.campaign_id);
    if (campaignId) {
      const channel = str(config.channel) ?? str(node.sub_type);
      const name = str(config.campaign_name) ?? str(node.label);
      steps.push({
        stageId: str(node.stage_id) ?? '',
        campaignId,
        ...(channel ? { channel } : {}),
        ...(name ? { name } : {}),
      });
      add(campaignId);
    }
    // A Next Best Action node names the campaigns of the sibling ACTION nodes it chooses among.
    if (Array.isArray(config.channels))
      for (const c of config.channels) add(str(((c ?? {}) as Record<string, unknown>).campaign_id));
  }
  return { ...flowSummary(data), steps, campaignIds: ids };
}

/** A 200's new status (`data.status`), upper case, or undefined when the body does not say. */
export function parseStatusAnswer(json: unknown): string | undefined {
  const parsed = statusBody.safeParse(json);
  return parsed.success ? parsed.data.data.status?.toUpperCase() : undefined;
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
