import type { CampaignOutcome } from '../core/actions.ts';
import { checkedOutcome, needsCheck } from '../core/campaign-info.ts';
import type { CampaignActionRequest } from '../core/request.ts';
import { errorText } from './error-text.ts';
import type { ExecutionDeps } from './execution-deps.ts';

/** Failures a lookup can settle (a refusal, an answer that never came) are checked against MoEngage now. */
export async function checkOutcomes(
  deps: Pick<ExecutionDeps, 'check' | 'log'>,
  request: CampaignActionRequest,
  outcomes: CampaignOutcome[],
  sentTwice: boolean,
): Promise<CampaignOutcome[]> {
  const ids = outcomes.filter(needsCheck).map((o) => o.campaignId);
  if (ids.length === 0 || !deps.check) return outcomes;
  const seen = await deps
    .check(ids)
    .catch((error: unknown) => ({ ok: false as const, message: errorText(error) }));
  if (!seen.ok)
    deps.log.warn({ requestId: request.id, ids: ids.length, err: seen.message }, 'outcomes not checked');
  return outcomes.map((o) =>
    checkedOutcome(
      request.action,
      o,
      seen.ok ? { ok: true, info: seen.found.get(o.campaignId) } : { ok: false, why: seen.message },
      sentTwice,
    ),
  );
}
