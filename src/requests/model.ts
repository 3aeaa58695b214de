import type { CampaignAction } from '../moengage/types.ts';

/**
 * A campaign action request: what every door (slash command, runbook API, workflow step) turns its input
 * into. It starts pending and is decided exactly once: confirmed, cancelled or expired.
 */
export type RequestState = 'pending' | 'confirmed' | 'cancelled' | 'expired';
export type Decision = Exclude<RequestState, 'pending'>;

export interface CampaignActionRequest {
  id: string;
  action: CampaignAction;
  campaignIds: string[];
  /** Why, in the requester's words (e.g. an incident number); shown on the message and in every audit event. */
  reason: string | undefined;
  requestedBy: string;
  channelId: string;
  /** Where it came from, for the audit trail: 'slash_command', later 'runbook_api', 'workflow_step'. */
  source: string;
  createdAt: number;
  expiresAt: number;
  /** The confirmation message, once posted. */
  messageTs: string | undefined;
  state: RequestState;
  decidedBy: string | undefined;
  decidedAt: number | undefined;
  /** Set once the run has finished: every id's outcome. */
  result?: RequestResult;
}

export interface RequestResult {
  applied: number;
  failed: number;
  completedAt: number;
  outcomes: { campaignId: string; status: 'applied' | 'failed'; error?: string }[];
}

export type DecideResult =
  | { ok: true; request: CampaignActionRequest }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'already_decided' | 'expired' | 'not_due'; request: CampaignActionRequest };

/**
 * Where pending requests live. `decide` is the single atomic step every transition goes through, so the first
 * click, retry or replica wins and every other one is told who did. Memory store below; Redis store later.
 */
export interface RequestStore {
  create(request: CampaignActionRequest): Promise<void>;
  get(id: string): Promise<CampaignActionRequest | undefined>;
  setMessageTs(id: string, ts: string): Promise<void>;
  /** Records a finished run's outcomes (for the runbook API's status call). */
  setResult(id: string, result: RequestResult): Promise<void>;
  /**
   * Moves a pending request to `to`, once. Confirm and cancel are refused once `expiresAt` has passed
   * ('expired'); expire is refused before it ('not_due').
   */
  decide(id: string, to: Decision, by: string, now: number): Promise<DecideResult>;
  /** Pending requests whose time is up, for the expiry sweep. */
  dueForExpiry(now: number): Promise<CampaignActionRequest[]>;
}

/** The pure rule both stores apply inside their atomic step. */
export function decideTransition(
  request: CampaignActionRequest,
  to: Decision,
  by: string,
  now: number,
): DecideResult {
  if (request.state !== 'pending') return { ok: false, reason: 'already_decided', request };
  const due = now >= request.expiresAt;
  if (to === 'expired' && !due) return { ok: false, reason: 'not_due', request };
  if (to !== 'expired' && due) return { ok: false, reason: 'expired', request };
  return { ok: true, request: { ...request, state: to, decidedBy: by, decidedAt: now } };
}
