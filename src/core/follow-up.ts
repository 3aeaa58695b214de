import type { CampaignAction } from './actions.ts';
import type { CampaignActionRequest, FollowUpKind } from './request.ts';

/** STOP cannot be undone (a stopped campaign cannot be resumed); PAUSE and RESUME undo each other. */
export const INVERSE: Record<CampaignAction, CampaignAction | undefined> = {
  PAUSE: 'RESUME',
  RESUME: 'PAUSE',
  STOP: undefined,
};

export type FollowUpPlan =
  | { ok: true; action: CampaignAction; ids: string[]; reason: string }
  | { ok: false; why: string };

/**
 * What a result's follow-up button proposes, from the request as it ended. Pure.
 * - retry: the ids that failed, the same action;
 * - undo: the inverse action, of exactly the ids this request applied (not those already in that state, nor
 *   those that failed), while `undoWindowMs` after its end lasts.
 */
export function planFollowUp(
  r: CampaignActionRequest,
  kind: FollowUpKind,
  now: number,
  undoWindowMs: number,
): FollowUpPlan {
  const result = r.result;
  if (r.state !== 'confirmed' || !result) return { ok: false, why: 'This request has not finished running.' };
  if (r.followUps?.[kind])
    return {
      ok: false,
      why: `${kind === 'undo' ? 'An undo' : 'A retry'} of this request was proposed already.`,
    };
  if (kind === 'retry') {
    const ids = result.outcomes.filter((o) => o.status === 'failed').map((o) => o.campaignId);
    if (ids.length === 0) return { ok: false, why: 'Nothing failed in this request.' };
    return { ok: true, action: r.action, ids, reason: `retry of ${r.id}${r.reason ? `: ${r.reason}` : ''}` };
  }
  const inverse = INVERSE[r.action];
  if (!inverse) return { ok: false, why: 'A STOP cannot be undone: a stopped campaign cannot be resumed.' };
  // A freeze is undone by its unfreeze whenever that comes (a freeze may last the whole holiday season).
  if (!r.freeze && now - result.completedAt > undoWindowMs) {
    return {
      ok: false,
      why: `The undo of this request has lapsed (${Math.round(undoWindowMs / 3_600_000)} h).`,
    };
  }
  const ids = result.outcomes.filter((o) => o.status === 'applied').map((o) => o.campaignId);
  if (ids.length === 0) return { ok: false, why: 'This request applied nothing to undo.' };
  const what = r.freeze ? 'unfreeze' : 'undo';
  return { ok: true, action: inverse, ids, reason: `${what} of ${r.id}${r.reason ? `: ${r.reason}` : ''}` };
}
