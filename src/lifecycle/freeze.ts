import type { Actor } from '../auth/authorize.ts';
import type { CampaignInfo } from '../core/campaign-info.ts';
import {
  type FreezeScope,
  freezeCandidates,
  freezeHolds,
  freezeKey,
  scopeToken,
  unfreezeOf,
} from '../core/freeze.ts';
import type { Outcome } from '../core/outcomes.ts';
import type { CampaignActionRequest } from '../core/request.ts';
import { campaignsReadable } from './campaign-access.ts';
import type { LifecycleContext } from './context.ts';
import type { CampaignLookup } from './lookup.ts';
import type { ProposeInput } from './propose.ts';

export type FreezeAnswer =
  | Outcome
  | { kind: 'lookup_off' }
  | { kind: 'lookup_unavailable'; message: string }
  /** Nothing in the scope is active and pausable: nothing proposed. */
  | { kind: 'nothing_to_freeze'; scope: FreezeScope; seen: number }
  /** A freeze of this scope holds it already (or is waiting for its confirmation). */
  | { kind: 'freeze_held'; scope: FreezeScope; request: CampaignActionRequest }
  | { kind: 'no_freeze'; scope: FreezeScope };

/**
 * Freeze and unfreeze. A freeze finds every active campaign of its scope that a PAUSE can apply to (MoEngage's
 * campaign search, paged, through the search's own limiter; a group's campaigns looked up by id), then proposes
 * pausing them as one request under the one policy, holding the scope's key so there is one freeze at a time per
 * scope across replicas. An unfreeze is that request's undo: the RESUME of exactly the campaigns it paused.
 */
export function createFreeze(
  ctx: LifecycleContext,
  propose: (input: ProposeInput) => Promise<Outcome>,
  followUp: (requestId: string, kind: 'undo', actor: Actor) => Promise<Outcome>,
  search: CampaignLookup | undefined,
) {
  const { deps } = ctx;
  const rules = deps.lookupRules ?? { stopBeyondScheduled: false };

  /** The freeze holding the scope's key now, if it still holds it; a stale holder is let go. */
  async function holder(scope: FreezeScope): Promise<CampaignActionRequest | undefined> {
    const key = freezeKey(scope);
    const id = (await deps.store.holders()).get(key);
    if (id === undefined) return undefined;
    const freeze = await deps.store.get(id);
    const unfreeze = freeze ? unfreezeOf(freeze) : undefined;
    const undone = unfreeze ? (await deps.store.get(unfreeze))?.state === 'confirmed' : false;
    if (freezeHolds(freeze, undone)) return freeze;
    await deps.store.release(key, id);
    return undefined;
  }

  async function freeze(input: { actor: Actor; scope: FreezeScope; channelId: string; reason?: string }) {
    const { actor, scope, channelId } = input;
    // The caller must be in the policy here before anything is searched (a group as far as their rules name it).
    const readable = await campaignsReadable(ctx, {
      actor,
      ids: scope.kind === 'group' ? [`group:${scope.name}`] : 'me',
      channelId,
      maxIds: 10_000,
    });
    if (!readable.ok) return readable.outcome;
    if (!search?.list) return { kind: 'lookup_off' } as const;
    const held = await holder(scope);
    if (held) return { kind: 'freeze_held', scope, request: held } as const;
    const requester = ctx.actorId(actor);
    let seen: CampaignInfo[];
    if (scope.kind === 'group') {
      const found = await search.lookup(readable.campaignIds ?? [], 2, requester);
      if (!found.ok) return { kind: 'lookup_unavailable', message: found.message } as const;
      seen = [...found.found.values()];
    } else {
      const listed = await search.list(
        { statuses: ['ACTIVE'], ...(scope.kind === 'channel' ? { channels: [scope.channel] } : {}) },
        { priority: 2, requester },
      );
      if (!listed.ok) return { kind: 'lookup_unavailable', message: listed.message } as const;
      seen = listed.campaigns;
    }
    const candidates = freezeCandidates(seen, rules);
    if (candidates.length === 0) return { kind: 'nothing_to_freeze', scope, seen: seen.length } as const;
    const key = freezeKey(scope);
    const id = ctx.newId();
    const other = await deps.store.hold(key, id);
    if (other !== undefined) {
      // Another freeze of this scope got there first (another person, another replica).
      const winner = await holder(scope);
      if (winner) return { kind: 'freeze_held', scope, request: winner } as const;
      if ((await deps.store.hold(key, id)) !== undefined) {
        const now = await holder(scope);
        if (now) return { kind: 'freeze_held', scope, request: now } as const;
      }
    }
    const outcome = await propose({
      actor,
      action: 'PAUSE',
      ids: candidates.map((c) => c.id),
      // Said with the scope; without one, a policy that asks for a reason asks for it here too.
      reason: input.reason
        ? `freeze of ${scopeToken(scope) || 'all active campaigns'}: ${input.reason}`
        : undefined,
      channelId,
      source: 'freeze',
      freeze: { scope, id, found: new Map(candidates.map((c) => [c.id, c])) },
    });
    // Refused or not posted: the scope is free again at once.
    if (outcome.kind !== 'proposed' && outcome.kind !== 'running') await deps.store.release(key, id);
    return outcome;
  }

  async function unfreeze(input: { actor: Actor; scope: FreezeScope; channelId: string }) {
    const held = await holder(input.scope);
    if (!held) return { kind: 'no_freeze', scope: input.scope } as const;
    return followUp(held.id, 'undo', input.actor);
  }

  /** The freezes that hold their scope now (App Home). */
  async function active(): Promise<CampaignActionRequest[]> {
    const out: CampaignActionRequest[] = [];
    for (const [key, id] of await deps.store.holders()) {
      if (!key.startsWith('freeze:')) continue;
      const r = await deps.store.get(id);
      if (r?.freeze && (await holder(r.freeze.scope))?.id === id) out.push(r);
    }
    return out;
  }

  return { freeze, unfreeze, active };
}
