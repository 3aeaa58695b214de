import type { Logger } from 'pino';
import { type JudgeRules, lookupOf, type RequestLookup } from '../core/campaign-info.ts';
import type { Notifier } from '../core/notifier.ts';
import type { CampaignLookup } from '../core/ports.ts';
import type { CampaignActionRequest } from '../core/request.ts';
import type { RequestStore } from '../core/store.ts';
import { errorText } from './error-text.ts';

export type { CampaignLookup } from '../core/ports.ts';

export interface LookupDeps {
  search: CampaignLookup;
  store: RequestStore;
  notifier: Notifier;
  now: () => number;
  log: Logger;
  rules: JudgeRules;
}

/**
 * The look before confirming: the confirmation is posted at once, then MoEngage's search runs (never holding the
 * post up) and its answer is recorded on the request, while it is still pending, and shown on the message: each
 * campaign's name, channel, type and status, and the ids flagged (unknown, already in the target state, not
 * eligible) that Confirm will not send. A search that fails or that the account lacks leaves a one-line note.
 */
export function createLookup(deps: LookupDeps) {
  const { store, notifier, now, log } = deps;

  async function find(ids: readonly string[], requester: string | undefined) {
    try {
      return await deps.search.lookup(ids, 3, requester);
    } catch (error) {
      return { ok: false as const, reason: 'failed' as const, message: errorText(error) };
    }
  }

  async function beforeConfirm(request: CampaignActionRequest): Promise<void> {
    const result = await find(request.campaignIds, request.requestedBy);
    const lookup: RequestLookup = result.ok
      ? lookupOf(request.action, request.campaignIds, result.found, deps.rules, now())
      : {
          state: 'unavailable',
          at: now(),
          note:
            result.reason === 'unavailable'
              ? `MoEngage's campaign search is not available to this account (${result.message}); ask your MoEngage CSM to enable it`
              : `Could not look the campaigns up in MoEngage (${result.message})`,
        };
    if (!result.ok)
      log.warn({ requestId: request.id, reason: result.reason, err: result.message }, 'lookup failed');
    // Only while nobody has decided: a confirmation already given applies to what its message showed.
    const recorded = await store
      .update(request.id, (r) =>
        r.state === 'pending' && r.lookup?.state === 'pending'
          ? { next: { ...r, lookup }, value: true }
          : { value: false },
      )
      .catch((error: unknown) => {
        log.warn({ requestId: request.id, err: errorText(error) }, 'lookup not recorded');
        return undefined;
      });
    if (recorded?.value) await notifier.update(recorded.request, { kind: 'looked_up' });
  }

  /** The look as it starts, with about how long it takes (V1's search takes one id a call). */
  const pending = (ids: number): RequestLookup => {
    const etaMs = deps.search.estimateMs?.(ids);
    return etaMs !== undefined && etaMs >= 20_000 ? { state: 'pending', etaMs } : { state: 'pending' };
  };

  return { beforeConfirm, find, pending };
}

export type Lookup = ReturnType<typeof createLookup>;
