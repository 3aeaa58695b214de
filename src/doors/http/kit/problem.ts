import { plainWords } from '../../../core/outcome-words.ts';
import type { Outcome } from '../../../core/outcomes.ts';

/**
 * What every HTTP door answers a refusal with: problem JSON (`{ error: { code, message, field? } }`) under the
 * status the lifecycle's outcome calls for. The runbook API and the webhooks share it; no door imports another.
 */
export type Answer = { status: number; body: unknown; headers?: Record<string, string> };
export const problem = (status: number, code: string, message: string, field?: string): Answer => ({
  status,
  body: { error: { code, message, ...(field ? { field } : {}) } },
});

/** Where in the body a refusal points: the part of the policy that failed, as a field of the call. */
const DENIED_FIELD: Record<string, string> = {
  action: 'action',
  channel: 'channel_id',
  campaign_group: 'campaign_ids',
  user: 'token',
  lookup: 'token',
};

/** An outcome that is not a success, as problem JSON (the same codes the lifecycle speaks). */
export function problemFor(o: Outcome): Answer {
  const words = plainWords(o);
  switch (o.kind) {
    case 'invalid_input':
      return problem(400, 'invalid_request', words, o.field);
    case 'denied':
      return problem(403, 'forbidden', words, DENIED_FIELD[o.part]);
    case 'not_in_channel':
      return problem(409, 'not_in_channel', words, 'channel_id');
    case 'unavailable':
      return o.what === 'store' ? problem(503, 'store_error', words) : problem(502, 'slack_error', words);
    case 'not_found':
      return problem(404, 'not_found', 'no such campaign action');
    case 'choose_campaigns': {
      // A name matched several campaigns: the caller chooses, by id, among those listed (nothing was proposed).
      const answer = problem(409, 'ambiguous_name', words, 'campaign_names');
      const error = (answer.body as { error: Record<string, unknown> }).error;
      error.choices = o.choices.map((c) => ({
        query: c.query,
        more: c.more,
        candidates: c.candidates.map((e) => ({
          id: e.id,
          name: e.name,
          status: e.status,
          ...(e.channel ? { channel: e.channel } : {}),
        })),
      }));
      error.missing = o.missing;
      return answer;
    }
    default:
      return problem(409, o.kind, words);
  }
}
