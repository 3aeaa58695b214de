import type { Actor } from '../auth/authorize.ts';
import type { CampaignInfo } from '../core/campaign-info.ts';
import {
  FREEZE_CHANNELS,
  type FreezeScope,
  freezeCandidates,
  freezeHolds,
  freezeKey,
  freezeStatuses,
  scopeToken,
  unfreezeOf,
} from '../core/freeze.ts';
import type { Outcome } from '../core/outcomes.ts';
import type { CampaignActionRequest } from '../core/request.ts';
import { campaignsReadable } from './campaign-access.ts';
import type { LifecycleContext } from './context.ts';
import type { FreezeInput, ProposeInput, ScopeInput } from './contract.ts';
import type { CampaignLookup } from './lookup.ts';

export type { FreezeAnswer } from '../core/freeze.ts';

/**
 * Freeze and unfreeze. A freeze is authorized first, as far as it can be before the search (who, PAUSE, this
 * channel, and whether the caller's rules cover the scope: a rule limited to campaign groups covers a group, never
 * all or a channel), so nobody the policy refuses holds a scope or spends MoEngage's search budget. Then it holds
 * the scope's key (one freeze at a time per scope across replicas), finds every campaign of its scope that a PAUSE
 * can apply to (MoEngage's campaign search, paged, through the search's own limiter; a group's campaigns looked
 * up by id), and proposes pausing them as one request under the one policy. An unfreeze is that request's undo: the RESUME of exactly the campaigns it paused.
 */
type HoldState =
  | { state: 'held'; request: CampaignActionRequest }
  | { state: 'starting' }
  | { state: 'none' };

/** A hold whose request is not stored after this long was left by a freeze that died while searching. */
const STARTING_MS = 5 * 60_000;

export function createFreeze(
  ctx: LifecycleContext,
  propose: (input: ProposeInput) => Promise<Outcome>,
  followUp: (requestId: string, kind: 'undo', actor: Actor) => Promise<Outcome>,
  search: CampaignLookup | undefined,
) {
  const { deps } = ctx;
  const rules = deps.lookupRules ?? { stopBeyondScheduled: false };

  /** A hold is `<request id>|<when taken>`: a young one whose request is not stored yet is a freeze starting. */
  const parseHold = (value: string) => {
    const at = value.lastIndexOf('|');
    return at < 0
      ? { id: value, takenAt: 0 }
      : { id: value.slice(0, at), takenAt: Number(value.slice(at + 1)) };
  };

  /**
   * Who holds the scope: a freeze that still holds it, one starting (held a moment ago, its request not stored
   * yet: its search is running), or nobody. A stale hold (its freeze cancelled, expired, unfrozen, or never
   * stored) is let go.
   */
  async function holder(scope: FreezeScope): Promise<HoldState> {
    const key = freezeKey(scope);
    const value = (await deps.store.holders()).get(key);
    return value === undefined ? { state: 'none' } : stateOf(key, value);
  }

  /** What a hold's value stands for now; a stale hold is let go. */
  async function stateOf(key: string, value: string): Promise<HoldState> {
    const { id, takenAt } = parseHold(value);
    const freeze = await deps.store.get(id);
    if (!freeze && ctx.now() - takenAt < STARTING_MS) return { state: 'starting' };
    const unfreeze = freeze ? unfreezeOf(freeze) : undefined;
    const undone = unfreeze ? (await deps.store.get(unfreeze))?.state === 'confirmed' : false;
    if (freeze && freezeHolds(freeze, undone)) return { state: 'held', request: freeze };
    await deps.store.release(key, value);
    return { state: 'none' };
  }

  /** Takes the scope for a new freeze, or says who has it. */
  async function acquire(scope: FreezeScope, id: string) {
    const value = `${id}|${ctx.now()}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      if ((await deps.store.hold(freezeKey(scope), value)) === undefined) return { ok: true as const, value };
      const who = await holder(scope);
      if (who.state === 'held')
        return { ok: false as const, answer: { kind: 'freeze_held', scope, request: who.request } as const };
      if (who.state === 'starting')
        return { ok: false as const, answer: { kind: 'freeze_starting', scope } as const };
    }
    return { ok: false as const, answer: { kind: 'freeze_starting', scope } as const };
  }

  async function freeze(input: FreezeInput) {
    const { actor, scope, channelId } = input;
    // The caller must be in the policy here before anything is searched (a group as far as their rules name it).
    const readable = await campaignsReadable(ctx, {
      actor,
      ids: scope.kind === 'group' ? [`group:${scope.name}`] : 'me',
      channelId,
      maxIds: 10_000,
    });
    if (!readable.ok) return readable.outcome;
    // …and may ask for a PAUSE here at all: nobody else starts a search of every campaign.
    const who = { action: 'PAUSE' as const, channelId, requestedBy: ctx.actorId(actor) };
    const first = await deps.authorize(actor, 'propose', { ...who, campaignIds: undefined });
    if (!first.allowed) return ctx.denied('propose', actor, first.part, who);
    // …and on the whole scope, as far as it is known before the search: a group by its ids; all campaigns or a
    // channel only under a rule that covers any campaign (a rule limited to groups could not approve what the
    // search finds, and the hold would block everyone else's freeze meanwhile).
    if (scope.kind === 'group') {
      const ids = { ...who, campaignIds: readable.campaignIds ?? [] };
      const verdict = await deps.authorize(actor, 'propose', ids);
      if (!verdict.allowed) return ctx.denied('propose', actor, verdict.part, who);
    } else if (first.groups !== 'all') {
      ctx.denied('propose', actor, 'campaign_group', who);
      return { kind: 'freeze_scope_denied', scope } as const;
    }
    if (!search?.list) return { kind: 'lookup_off' } as const;
    const id = ctx.newId();
    // The scope is held before the search, so two freezes of it never both search and propose.
    const taken = await acquire(scope, id);
    if (!taken.ok) return taken.answer;
    const key = freezeKey(scope);
    const letGo = async <T>(answer: T): Promise<T> => {
      await deps.store.release(key, taken.value);
      return answer;
    };
    const requester = ctx.actorId(actor);
    const statuses = freezeStatuses(rules);
    let seen: CampaignInfo[];
    if (scope.kind === 'group') {
      const found = await search.lookup(readable.campaignIds ?? [], 2, requester);
      if (!found.ok) return letGo({ kind: 'lookup_unavailable', message: found.message } as const);
      seen = [...found.found.values()];
    } else {
      // All campaigns: those of the channels a status API changes (an SMS one could not be paused anyway).
      const channels = scope.kind === 'channel' ? [scope.channel] : [...FREEZE_CHANNELS];
      const listed = await search.list({ statuses, channels }, { priority: 2, requester });
      if (!listed.ok) return letGo({ kind: 'lookup_unavailable', message: listed.message } as const);
      // A partial freeze would look like a whole one: refused, with what to do instead.
      if (listed.truncated)
        return letGo({ kind: 'freeze_too_large', scope, seen: listed.campaigns.length } as const);
      seen = listed.campaigns;
    }
    const candidates = freezeCandidates(seen, rules);
    if (candidates.length === 0)
      return letGo({ kind: 'nothing_to_freeze', scope, seen: seen.length, statuses } as const);
    const outcome = await propose({
      actor,
      action: 'PAUSE',
      ids: candidates.map((c) => c.id),
      // Said with the scope; without one, a policy that asks for a reason asks for it here too.
      reason: input.reason
        ? `freeze of ${scopeToken(scope) || 'all active campaigns'}: ${input.reason}`
        : undefined,
      channelId,
      origin: { kind: 'freeze', scope, id, found: new Map(candidates.map((c) => [c.id, c])) },
    });
    // Refused or not posted: the scope is free again at once.
    if (outcome.kind !== 'proposed' && outcome.kind !== 'running') return letGo(outcome);
    return outcome;
  }

  async function unfreeze(input: ScopeInput) {
    const held = await holder(input.scope);
    if (held.state !== 'held') return { kind: 'no_freeze', scope: input.scope } as const;
    return followUp(held.request.id, 'undo', input.actor);
  }

  /**
   * The freezes holding their scope now that this actor may read, for someone the policy lets use the bot in this
   * channel (as for the groups); nobody else learns what is frozen.
   */
  async function list(q: { actor: Actor; channelId: string }) {
    const facts = {
      action: 'PAUSE' as const,
      channelId: q.channelId,
      campaignIds: [],
      requestedBy: ctx.actorId(q.actor),
    };
    const first = await deps.authorize(q.actor, 'list_groups', facts);
    if (!first.allowed) return ctx.denied('list_groups', q.actor, first.part, { channelId: q.channelId });
    const shown: CampaignActionRequest[] = [];
    for (const r of await active()) if ((await deps.authorize(q.actor, 'read', r)).allowed) shown.push(r);
    return { kind: 'freezes' as const, freezes: shown };
  }

  /** The freezes that hold their scope now (App Home). */
  async function active(): Promise<CampaignActionRequest[]> {
    const out: CampaignActionRequest[] = [];
    for (const [key, value] of await deps.store.holders()) {
      if (!key.startsWith('freeze:')) continue;
      const who = await stateOf(key, value);
      if (who.state === 'held') out.push(who.request);
    }
    return out;
  }

  return { freeze, unfreeze, active, list };
}
