import type { Actor } from '../auth/authorize.ts';
import { CAMPAIGN_ACTIONS } from '../core/actions.ts';
import type { Outcome } from '../core/outcomes.ts';
import { checkProposal } from '../core/proposal.ts';
import { resolveNames } from './campaigns.ts';
import type { LifecycleContext } from './context.ts';

/**
 * Who may read about campaigns (their status, their history) without asking for anything: the same policy as a
 * request. The caller must be in the policy in this channel; with campaigns named, some action on all of them
 * must be one they could ask for here; groups are expanded as far as the caller's rules name them, quoted names
 * and dashboard links read as a proposal's are. Gives the campaign ids (none for `me`), or the refusal.
 */
export async function campaignsReadable(
  ctx: LifecycleContext,
  input: { actor: Actor; ids: readonly string[] | 'me'; channelId: string; maxIds?: number },
): Promise<{ ok: true; campaignIds: string[] | undefined } | { ok: false; outcome: Outcome }> {
  const { deps } = ctx;
  const requestedBy = ctx.actorId(input.actor);
  const facts = { action: 'PAUSE' as const, channelId: input.channelId, campaignIds: [], requestedBy };
  const first = await deps.authorize(input.actor, 'list_groups', facts);
  if (!first.allowed) {
    return {
      ok: false,
      outcome: ctx.denied('list_groups', input.actor, first.part, { channelId: input.channelId }),
    };
  }
  if (input.ids === 'me') return { ok: true, campaignIds: undefined };
  // Names and dashboard links, read only for someone the policy admitted, as a proposal's are.
  const read = await resolveNames(input.ids, deps.catalog);
  if (!read.ok) return read;
  const visible = first.groups ?? [];
  const groups =
    visible === 'all' ? deps.groups : new Map([...deps.groups].filter(([g]) => visible.includes(g)));
  const checked = checkProposal(
    { action: 'PAUSE', ids: read.resolved.tokens, reason: undefined },
    {
      ...deps.proposalRules,
      requireReasonFor: [],
      groups,
      ...(input.maxIds ? { maxIds: input.maxIds } : {}),
    },
  );
  if (!checked.ok) {
    return { ok: false, outcome: { kind: 'invalid_input', field: checked.field, message: checked.message } };
  }
  let part: Extract<Outcome, { kind: 'denied' }>['part'] = 'action';
  for (const action of CAMPAIGN_ACTIONS) {
    const verdict = await deps.authorize(input.actor, 'propose', {
      action,
      channelId: input.channelId,
      requestedBy,
      campaignIds: checked.campaignIds,
    });
    if (verdict.allowed) return { ok: true, campaignIds: checked.campaignIds };
    part = verdict.part;
  }
  return { ok: false, outcome: ctx.denied('propose', input.actor, part, { channelId: input.channelId }) };
}
