import type { Actor } from '../auth/authorize.ts';
import { planFollowUp } from '../core/follow-up.ts';
import type { Outcome } from '../core/outcomes.ts';
import type { CampaignActionRequest, FollowUpKind } from '../core/request.ts';
import type { LifecycleContext } from './context.ts';
import type { ProposeInput } from './contract.ts';

/**
 * A result's "Retry failed" or "Undo": a new request, proposed as if the person had typed it (the same policy
 * decides, the same confirmation asks), of exactly the ids the result names. Each is proposed once per request,
 * whoever clicks and on whichever replica: the claim is a compare-and-set on the original request.
 */
const PROPOSING = 'proposing:';
const CLAIM_MS = 60_000;

function withoutStaleClaim(
  r: CampaignActionRequest,
  kind: FollowUpKind,
  t: number,
  /** A follow-up proposed before that nobody confirmed (cancelled, expired): the button may be pressed again. */
  lapsed?: string,
): CampaignActionRequest {
  const claim = r.followUps?.[kind];
  const stale = claim?.startsWith(PROPOSING) && t - Number(claim.slice(PROPOSING.length)) >= CLAIM_MS;
  if (!claim || (!stale && claim !== lapsed)) return r;
  const followUps = { ...r.followUps };
  delete followUps[kind];
  return { ...r, followUps };
}

export function createFollowUp(ctx: LifecycleContext, propose: (input: ProposeInput) => Promise<Outcome>) {
  const { deps, now } = ctx;
  const undoWindowMs = (deps.undoWindowHours ?? 24) * 3_600_000;
  return async function followUp(requestId: string, kind: FollowUpKind, actor: Actor): Promise<Outcome> {
    const original = await deps.store.get(requestId);
    if (!original) return { kind: 'not_found' };
    const prior = original.followUps?.[kind];
    const priorState =
      prior && !prior.startsWith(PROPOSING) ? (await deps.store.get(prior))?.state : undefined;
    const lapsed = priorState === 'cancelled' || priorState === 'expired' ? prior : undefined;
    const plan = planFollowUp(withoutStaleClaim(original, kind, now(), lapsed), kind, now(), undoWindowMs);
    if (!plan.ok) return { kind: 'invalid_input', field: 'campaign_ids', message: plan.why };
    // A claim a crashed replica left (still "proposing" a minute later) does not block the button for good.
    const claimed = await deps.store.update(requestId, (r) =>
      withoutStaleClaim(r, kind, now(), lapsed).followUps?.[kind]
        ? { value: false }
        : { next: { ...r, followUps: { ...r.followUps, [kind]: `${PROPOSING}${now()}` } }, value: true },
    );
    if (!claimed?.value) {
      return {
        kind: 'invalid_input',
        field: 'campaign_ids',
        message: `${kind === 'undo' ? 'An undo' : 'A retry'} of this request was proposed already.`,
      };
    }
    const outcome = await propose({
      actor,
      action: plan.action,
      ids: plan.ids,
      reason: plan.reason,
      channelId: original.channelId,
      // Its ids come from a request that was allowed them (a freeze takes more than a command would).
      origin: {
        kind: 'follow_up',
        source: original.freeze && kind === 'undo' ? 'unfreeze' : `${kind}_button`,
      },
    });
    const proposedId =
      outcome.kind === 'proposed' || outcome.kind === 'running' ? outcome.request.id : undefined;
    // Recorded, or given back when the policy (or anything else) said no: another person may press it then.
    await deps.store.update(requestId, (r) => {
      const followUps = { ...r.followUps };
      if (proposedId) followUps[kind] = proposedId;
      else delete followUps[kind];
      return { next: { ...r, followUps }, value: true };
    });
    return outcome;
  };
}
