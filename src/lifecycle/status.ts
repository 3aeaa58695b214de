import type { Actor } from '../auth/authorize.ts';
import { CAMPAIGN_ACTIONS } from '../core/actions.ts';
import type { CampaignInfo } from '../core/campaign-info.ts';
import type { Outcome } from '../core/outcomes.ts';
import { checkProposal } from '../core/proposal.ts';
import type { LifecycleContext } from './context.ts';
import type { Lookup } from './lookup.ts';

export type StatusAnswer =
  | {
      kind: 'campaign_status';
      ids: string[];
      found: Map<string, CampaignInfo>;
    }
  | { kind: 'lookup_unavailable'; message: string }
  | { kind: 'lookup_off' }
  | Outcome;

/**
 * `/campaign status <ids|group:NAME>`: the campaigns as MoEngage shows them, proposing nothing. Under the same
 * policy as a request: whoever may ask for some action on these campaigns in this channel may see them; groups
 * are expanded as far as the caller's rules name them.
 */
export function createStatus(ctx: LifecycleContext, lookup: Lookup | undefined) {
  const { deps } = ctx;
  return async function status(input: {
    actor: Actor;
    ids: readonly string[];
    channelId: string;
  }): Promise<StatusAnswer> {
    const requestedBy = ctx.actorId(input.actor);
    const facts = { action: 'PAUSE' as const, channelId: input.channelId, campaignIds: [], requestedBy };
    const first = await deps.authorize(input.actor, 'list_groups', facts);
    if (!first.allowed)
      return ctx.denied('list_groups', input.actor, first.part, { channelId: input.channelId });
    const visible = first.groups ?? [];
    const groups =
      visible === 'all' ? deps.groups : new Map([...deps.groups].filter(([g]) => visible.includes(g)));
    const checked = checkProposal(
      { action: 'PAUSE', ids: input.ids, reason: undefined },
      { ...deps.proposalRules, requireReasonFor: [], groups },
    );
    if (!checked.ok) return { kind: 'invalid_input', field: checked.field, message: checked.message };
    let lastPart: Extract<Outcome, { kind: 'denied' }>['part'] = 'action';
    for (const action of CAMPAIGN_ACTIONS) {
      const verdict = await deps.authorize(input.actor, 'propose', {
        action,
        channelId: input.channelId,
        requestedBy,
        campaignIds: checked.campaignIds,
      });
      if (!verdict.allowed) {
        lastPart = verdict.part;
        continue;
      }
      if (!lookup) return { kind: 'lookup_off' };
      const result = await lookup.find(checked.campaignIds, requestedBy);
      if (!result.ok) return { kind: 'lookup_unavailable', message: result.message };
      return { kind: 'campaign_status', ids: checked.campaignIds, found: result.found };
    }
    return ctx.denied('propose', input.actor, lastPart, { channelId: input.channelId });
  };
}
