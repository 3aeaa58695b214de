import { campaignsReadable } from './campaign-access.ts';
import type { LifecycleContext } from './context.ts';
import type { StatusAnswer, StatusQuery } from './contract.ts';

export type { StatusAnswer } from './contract.ts';

import type { Lookup } from './lookup.ts';

/**
 * `/campaign status <ids|group:NAME>`: the campaigns as MoEngage shows them, proposing nothing. Under the same
 * policy as a request: whoever may ask for some action on these campaigns in this channel may see them; groups
 * are expanded as far as the caller's rules name them.
 */
export function createStatus(ctx: LifecycleContext, lookup: Lookup | undefined) {
  return async function status(input: StatusQuery): Promise<StatusAnswer> {
    const readable = await campaignsReadable(ctx, { ...input, ids: input.ids });
    if (!readable.ok) return readable.outcome;
    const ids = readable.campaignIds ?? [];
    if (!lookup) return { kind: 'lookup_off' };
    const result = await lookup.find(ids, ctx.actorId(input.actor));
    if (!result.ok) return { kind: 'lookup_unavailable', message: result.message };
    return { kind: 'campaign_status', ids, found: result.found };
  };
}
