import type { Actor } from '../auth/authorize.ts';
import { type ResolvedRefs, refOf, refsInText, resolveRefs } from '../core/campaign-refs.ts';
import type { CatalogEntry, NameResolution } from '../core/catalog.ts';
import type { Outcome } from '../core/outcomes.ts';
import type { CampaignCatalog } from './catalog.ts';
import type { LifecycleContext } from './context.ts';

/** The campaigns a person may be shown: found by what they typed, or in a message, or behind a link. */
export type CampaignsAnswer =
  | { kind: 'campaigns'; entries: CatalogEntry[]; loading: boolean; fullAt: number | undefined }
  /** No catalog where this bot runs (CAMPAIGN_LOOKUP=off, or no search for this account). */
  | { kind: 'catalog_off' }
  | Outcome;

export interface CampaignQuery {
  actor: Actor;
  channelId: string;
}

/**
 * Who may see campaigns' names: someone the policy lets use the bot in this channel (its first look, as for a
 * status or the groups), nobody else; a picker or an unfurl for anyone else shows nothing.
 */
async function mayRead(ctx: LifecycleContext, q: CampaignQuery): Promise<Outcome | undefined> {
  const requestedBy = ctx.actorId(q.actor);
  const facts = { action: 'PAUSE' as const, channelId: q.channelId, campaignIds: [], requestedBy };
  const first = await ctx.deps.authorize(q.actor, 'list_groups', facts);
  return first.allowed
    ? undefined
    : ctx.denied('list_groups', q.actor, first.part, { channelId: q.channelId });
}

export function createCampaignReads(ctx: LifecycleContext, catalog: CampaignCatalog | undefined) {
  return {
    /** What someone types in the picker: the best matches, from the catalog (never a MoEngage call once whole). */
    async find(q: CampaignQuery & { query: string; limit: number }): Promise<CampaignsAnswer> {
      if (!catalog) return { kind: 'catalog_off' };
      const refused = await mayRead(ctx, q);
      if (refused) return refused;
      const link = refOf(q.query.trim());
      const copy = await catalog.view();
      if (link.kind === 'link') {
        const entry = copy.byId(link.id) ?? bare(link.id);
        return { kind: 'campaigns', entries: [entry], loading: false, fullAt: copy.fullAt };
      }
      const found = await catalog.search(q.query, q.limit);
      return { kind: 'campaigns', ...found, fullAt: copy.fullAt };
    },

    /** The campaigns a message points at: its links and ids, its quoted names, and the catalog's names in it. */
    async inText(q: CampaignQuery & { text: string; limit: number }): Promise<CampaignsAnswer> {
      if (!catalog) return { kind: 'catalog_off' };
      const refused = await mayRead(ctx, q);
      if (refused) return refused;
      const copy = await catalog.view();
      const found = new Map<string, CatalogEntry>();
      for (const ref of refsInText(q.text)) {
        if (ref.kind === 'id' || ref.kind === 'link') found.set(ref.id, copy.byId(ref.id) ?? bare(ref.id));
        if (ref.kind === 'name') {
          const r = copy.resolve(ref.query, 3);
          if (r.kind === 'one') found.set(r.entry.id, r.entry);
        }
      }
      for (const entry of copy.namesIn(q.text, q.limit)) found.set(entry.id, entry);
      return {
        kind: 'campaigns',
        entries: [...found.values()].slice(0, q.limit),
        loading: copy.fullAt === undefined,
        fullAt: copy.fullAt,
      };
    },
  };
}

/** A campaign the catalog does not list (yet): its id stands for it; the confirmation's look says the rest. */
function bare(id: string): CatalogEntry {
  return { id, name: id, status: 'UNKNOWN', seenAt: 0 };
}

/**
 * A request's quoted names and dashboard links read as campaign ids (propose's resolve step): links at once,
 * names through the catalog. Gives the tokens to check, or why not (several matches: choose; none: say so).
 */
export async function resolveNames(
  tokens: readonly string[],
  catalog: CampaignCatalog | undefined,
): Promise<{ ok: true; resolved: ResolvedRefs } | { ok: false; outcome: Outcome }> {
  const names = [...new Set(tokens.map(refOf).flatMap((r) => (r.kind === 'name' ? [r.query] : [])))];
  if (names.length > 0 && !catalog) {
    const message =
      'Campaign names need the campaign list, which is off where this bot runs: give campaign ids or dashboard links.';
    return { ok: false, outcome: { kind: 'invalid_input', field: 'campaign_names', message } };
  }
  const answers = new Map<string, NameResolution>();
  for (const name of names) answers.set(name, await (catalog as CampaignCatalog).resolve(name, 10));
  const resolved = resolveRefs(tokens, {
    resolve: (query) => answers.get(query) ?? { kind: 'none' },
  });
  if (resolved.ambiguous.length > 0) {
    // What the rest named stays chosen while the person chooses (an id as the catalog knows it, a group by name).
    const copy = await (catalog as CampaignCatalog).view();
    const named = new Map(resolved.named.map((n) => [n.entry.id, n.entry]));
    const chosen = resolved.tokens.map(
      (t) => named.get(t) ?? copy.byId(t) ?? { id: t, name: t, status: '', seenAt: 0 },
    );
    return {
      ok: false,
      outcome: { kind: 'choose_campaigns', choices: resolved.ambiguous, missing: resolved.missing, chosen },
    };
  }
  if (resolved.missing.length > 0) {
    const loading = catalog && (await catalog.view()).fullAt === undefined;
    const list = resolved.missing.map((q) => `"${q}"`).join(', ');
    const message = `No campaign is named like ${list}${
      loading
        ? ' (the campaign list is still loading: try again in a minute, or give an id or a dashboard link)'
        : ''
    }.`;
    return { ok: false, outcome: { kind: 'invalid_input', field: 'campaign_names', message } };
  }
  return { ok: true, resolved };
}
