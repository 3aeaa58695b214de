import { historyOf } from '../core/history.ts';
import { campaignsReadable } from './campaign-access.ts';
import type { LifecycleContext } from './context.ts';
import type { HistoryAnswer, HistoryQuery } from './contract.ts';

export type { HistoryAnswer } from './contract.ts';

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
  return async function history(input: HistoryQuery): Promise<HistoryAnswer> {
    const requestedBy = ctx.actorId(input.actor);
    const readable = await campaignsReadable(ctx, { ...input, maxIds: 10_000 });
    if (!readable.ok) return readable.outcome;
    const campaignIds = readable.campaignIds ? new Set(readable.campaignIds) : undefined;
    if (!deps.auditTrail) return { kind: 'history_unavailable' };
    const events = await deps.auditTrail.since(now() - input.sinceMs, EVENTS_READ);
    const all = historyOf(events, campaignIds ? { campaignIds } : { person: requestedBy });
    return { kind: 'history', entries: all.slice(0, SHOWN), sinceMs: input.sinceMs, total: all.length };
  };
}
