import type { Actor } from '../auth/authorize.ts';
import { CAMPAIGN_ACTIONS } from '../core/actions.ts';
import { type HistoryEntry, historyOf } from '../core/history.ts';
import type { Outcome } from '../core/outcomes.ts';
import { checkProposal } from '../core/proposal.ts';
import type { LifecycleContext } from './context.ts';

export type HistoryAnswer =
  | { kind: 'history'; entries: HistoryEntry[]; sinceMs: number; total: number }
  | { kind: 'history_unavailable' }
  | Outcome;

/** How many events a history reads at most, and how many requests it shows. */
const EVENTS_READ = 20_000;
const SHOWN = 15;

/**
 * `/campaign history <ids | group:NAME | me> [since 7d]`: who requested, approved and ran what, and how it
 * ended, from the stored audit trail (SQLite or Redis). Under the same policy as a request: whoever may ask for
 * some action on these campaigns in this channel may read their history; `me` needs only to be in the policy
 * here.
 */
export function createHistory(ctx: LifecycleContext) {
  const { deps, now } = ctx;
  return async function history(input: {
    actor: Actor;
    ids: readonly string[] | 'me';
    channelId: string;
    sinceMs: number;
  }): Promise<HistoryAnswer> {
    const requestedBy = ctx.actorId(input.actor);
    const facts = { action: 'PAUSE' as const, channelId: input.channelId, campaignIds: [], requestedBy };
    const first = await deps.authorize(input.actor, 'list_groups', facts);
    if (!first.allowed)
      return ctx.denied('list_groups', input.actor, first.part, { channelId: input.channelId });
    let campaignIds: Set<string> | undefined;
    if (input.ids !== 'me') {
      const visible = first.groups ?? [];
      const groups =
        visible === 'all' ? deps.groups : new Map([...deps.groups].filter(([g]) => visible.includes(g)));
      const checked = checkProposal(
        { action: 'PAUSE', ids: input.ids, reason: undefined },
        { ...deps.proposalRules, requireReasonFor: [], maxIds: 10_000, groups },
      );
      if (!checked.ok) return { kind: 'invalid_input', field: checked.field, message: checked.message };
      let allowed = false;
      let part: Extract<Outcome, { kind: 'denied' }>['part'] = 'action';
      for (const action of CAMPAIGN_ACTIONS) {
        const verdict = await deps.authorize(input.actor, 'propose', {
          action,
          channelId: input.channelId,
          requestedBy,
          campaignIds: checked.campaignIds,
        });
        if (verdict.allowed) {
          allowed = true;
          break;
        }
        part = verdict.part;
      }
      if (!allowed) return ctx.denied('propose', input.actor, part, { channelId: input.channelId });
      campaignIds = new Set(checked.campaignIds);
    }
    if (!deps.auditTrail) return { kind: 'history_unavailable' };
    const events = await deps.auditTrail.since(now() - input.sinceMs, EVENTS_READ);
    const all = historyOf(events, campaignIds ? { campaignIds } : { person: requestedBy });
    return { kind: 'history', entries: all.slice(0, SHOWN), sinceMs: input.sinceMs, total: all.length };
  };
}
