import { type SimCampaign, searchStatus } from './campaigns.ts';

/**
 * What MoEngage's two campaign searches (V1 `core-services/v1/campaigns/search`, V5 `v5/campaigns/search`) filter
 * on, and the rows they answer with (shared/MOENGAGE-API.md). The servers' validation and paging are in
 * moengage-sim-api.ts; this file decides which campaigns a search matches.
 *
 * Names: V5 documents "partial matches are supported" (here: the name contains the text, in any case); V1 says
 * only "filter by campaign name", so the simulator does either (`nameMatch`): `exact` (the whole name, case
 * and all — the strictest reading, and the default) or `partial` (as V5). Accents are never folded: MoEngage
 * does not say it folds them.
 */
export type NameMatch = 'exact' | 'partial';

export interface SearchScope {
  version: 'v1' | 'v5';
  /** How V1 matches `campaign_fields.name`; V5 always matches part of a name. */
  nameMatch: NameMatch;
}

export type SearchFilter =
  | { ok: true; matches: (c: SimCampaign) => boolean; withChildren: boolean }
  | { ok: false; target: string; message: string };

/**
 * The documented filters: `name`, `status[]`, `channels[]`, `tags[]` (any of), the delivery type (V1
 * `delivery_type[]`, V5 `campaign_delivery_type[]`: V5 answers no rows at all for V1's spelling, with no error,
 * as its migration guide warns), `include_child_campaigns` (flow steps and periodic children) and the archive
 * flag (spelled `include_archive_campaigns` and `include_archived_campaigns` in different documents: either is
 * taken). Lists are matched in one case where MoEngage's enum is upper case and its examples are not; anything
 * that is not a list of strings is ignored, as before. A `name` that is not a string is refused.
 */
export function searchFilter(
  body: Record<string, unknown>,
  fields: Record<string, unknown>,
  scope: SearchScope,
): SearchFilter {
  if (fields.name !== undefined && typeof fields.name !== 'string') {
    return { ok: false, target: 'campaign_fields.name', message: 'campaign_fields.name must be a string' };
  }
  const name = fields.name as string | undefined;
  const statuses = upperSet(fields.status);
  const channels = upperSet(fields.channels);
  const tags = stringSet(fields.tags);
  const deliveryTypes = upperSet(
    scope.version === 'v5' ? fields.campaign_delivery_type : fields.delivery_type,
  );
  const withChildren = body.include_child_campaigns === true || fields.include_child_campaigns === true;
  const withArchived = [body, fields].some(
    (o) => o.include_archive_campaigns === true || o.include_archived_campaigns === true,
  );
  if (scope.version === 'v5' && fields.delivery_type !== undefined) {
    // Documented trap: V1's field name on V5 filters everything out, silently.
    return { ok: true, matches: () => false, withChildren };
  }
  const nameMatches = nameMatcher(name, scope.version === 'v5' ? 'partial' : scope.nameMatch);
  return {
    ok: true,
    withChildren,
    matches: (c) =>
      (withChildren || (c.flow === undefined && c.parentId === undefined)) &&
      (withArchived || c.archived !== true) &&
      nameMatches(c.name) &&
      (!statuses || statuses.has(searchStatus(c.status).toUpperCase())) &&
      (!channels || channels.has(c.channel)) &&
      (!deliveryTypes || deliveryTypes.has(c.type)) &&
      (!tags || (c.tags ?? []).some((t) => tags.has(t))),
  };
}

function nameMatcher(name: string | undefined, how: NameMatch): (candidate: string) => boolean {
  if (name === undefined) return () => true;
  if (how === 'exact') return (candidate) => candidate === name;
  const wanted = name.toLowerCase();
  return (candidate) => candidate.toLowerCase().includes(wanted);
}

function stringSet(v: unknown): Set<string> | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? new Set(v as string[]) : undefined;
}

function upperSet(v: unknown): Set<string> | undefined {
  const set = stringSet(v);
  return set && new Set([...set].map((x) => x.toUpperCase()));
}

/** `2024-07-04 08:00:54.847000`: how V1's rows write a time (UTC, no zone, microseconds). */
export function moengageTime(iso: string): string {
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}.${String(d.getUTCMilliseconds()).padStart(3, '0')}000`;
}

/** The fields a row adds for tags, flows, children and times, each only where the campaign has it. */
function extras(c: SimCampaign, withChildren: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (c.updatedAt !== undefined) out.updated_at = moengageTime(c.updatedAt);
  if (withChildren && c.flow) {
    out.flow_id = c.flow.id;
    out.flow_name = c.flow.name;
  }
  if (withChildren && c.parentId !== undefined) out.parent_id = c.parentId;
  return out;
}

function basicDetails(c: SimCampaign) {
  return c.tags === undefined ? { name: c.name } : { name: c.name, tags: [...c.tags] };
}

export function v1Row(c: SimCampaign, withChildren = false) {
  return {
    campaign_id: c.id,
    status: searchStatus(c.status),
    channel: c.channel,
    campaign_delivery_type: c.type,
    created_by: 'marketing@example.com',
    created_at: c.createdAt === undefined ? '2026-11-02T09:00:00Z' : moengageTime(c.createdAt),
    basic_details: basicDetails(c),
    ...extras(c, withChildren),
  };
}

export function v5Row(c: SimCampaign, withChildren = false) {
  return {
    // The raw document id (an ObjectId) beside the stable campaign_id.
    id: Buffer.from(c.id).toString('hex').padEnd(24, '0').slice(0, 24),
    campaign_id: c.id,
    status: searchStatus(c.status),
    channel: c.channel,
    campaign_delivery_type: c.type,
    created_by: 'marketing@example.com',
    ...(c.createdAt === undefined ? {} : { created_at: moengageTime(c.createdAt) }),
    basic_details: basicDetails(c),
    ...extras(c, withChildren),
  };
}
