import type { CampaignAction, CampaignOutcome } from './actions.ts';
import type { RequestLookup } from './campaign-info.ts';

/**
 * A campaign action request: what every door (slash command, runbook API, workflow step) turns its input
 * into. It starts pending, gathers approvals, and is decided exactly once: confirmed (by the approval that
 * completes a rule's count, or at once where a rule needs none), cancelled or expired.
 */
export type RequestState = 'pending' | 'confirmed' | 'cancelled' | 'expired';
export type Decision = Exclude<RequestState, 'pending'>;

/** A rule a request was proposed under, and how many distinct approvers it needs there. */
export interface RuleGrant {
  rule: string;
  needed: number;
  /** Whether the requester (or whoever a runbook named) may be one of the approvers under this rule. */
  requesterMayApprove: boolean;
  /** Who may approve under this rule (user and user-group ids), for reminders; absent in older records. */
  approvers?: string[];
  /**
   * `resume`: a rule of the RESUME a PAUSE "for a while" schedules (named `resume:<rule>`). A request is confirmed
   * once one grant of each part is satisfied: the PAUSE's rules and its RESUME's, each by their own approvers.
   */
  part?: 'resume';
}

export interface Approval {
  by: string;
  at: number;
  /** The rules (of the request's grants) this approver counts for. */
  rules: string[];
}

export interface CampaignActionRequest {
  id: string;
  action: CampaignAction;
  campaignIds: string[];
  /** Why, in the requester's words (e.g. an incident number); shown on the message and in every audit event. */
  reason: string | undefined;
  /** A Slack user id, or `runbook:<token name>`: who is verified to have asked. */
  requestedBy: string;
  /** A Slack user a runbook caller named: shown "on behalf of … (not verified)", never trusted as the asker. */
  onBehalfOf?: string | undefined;
  channelId: string;
  /**
   * Where it came from, for the audit trail: 'slash_command', 'slack_picker', 'link_unfurl', 'runbook_api',
   * 'workflow_step', …
   */
  source: string;
  /** The rules it was proposed under and the distinct approvals each needs (any one satisfied confirms it). */
  grants: RuleGrant[];
  approvals: Approval[];
  createdAt: number;
  expiresAt: number;
  /** The confirmation message, once posted. */
  messageTs: string | undefined;
  state: RequestState;
  decidedBy: string | undefined;
  decidedAt: number | undefined;
  /** Set once the run has finished: every id's outcome. */
  result?: RequestResult;
  /** The durable run of a confirmed request (see run-journal.ts). */
  run?: RunJournal;
  /** What MoEngage's campaign search showed before anyone confirmed (see campaign-info.ts). */
  lookup?: RequestLookup;
  /** Proposed by a Workflow Builder step: the step to finish, and its freshest token (each click brings one). */
  workflow?: WorkflowStep;
  /** When its approvers were reminded (once, at half its time), and when a waiting STOP was escalated. */
  nudgedAt?: number;
  escalatedAt?: number;
  /** The follow-ups proposed from this request's result (its "Retry failed" and "Undo" buttons), once each. */
  followUps?: Partial<Record<FollowUpKind, string>>;
  /** `pause … for 2h`: the RESUME of what this PAUSE applied is scheduled when it finishes (see pause-for.ts). */
  pauseFor?: PauseFor;
  resume?: ResumeSchedule;
  /** A RESUME a PAUSE scheduled: that PAUSE's id. */
  scheduledBy?: string;
  /** `/campaign freeze`: the PAUSE of every active campaign of a scope, holding that scope (see freeze.ts). */
  freeze?: { scope: FreezeScope };
  /** The incident a runbook or webhook names: shown on the confirmation and in every audit event. */
  incident?: IncidentRef;
  /** The API caller's `callback_url`: called once when the request settles, signed with its token's key. */
  callback?: CallbackState;
}

/** A callback_url and how its one delivery went (claimed by one replica, then delivered or given up). */
export interface CallbackState {
  url: string;
  /** The runbook token that asked: its key signs the callback. */
  token: string;
  claimedAt?: number;
  deliveredAt?: number;
  failed?: string;
  attempts?: number;
}

export interface IncidentRef {
  id: string;
  url?: string;
}

/**
 * A Workflow step waiting on a request. Slack's token for it works 15 minutes from when it was issued (the step
 * starting, or a click on the step's confirmation) or until the step is finished; the freshest is kept here so
 * whichever replica settles the request can finish the step, and nothing waits in memory.
 */
export interface WorkflowStep {
  executionId: string;
  token: string;
  tokenUntil: number;
  /** Already finished (a run that outlasts the token ends the step early, with the reason). */
  ended?: boolean;
}

/** retry: the ids that failed, again; undo: the inverse of what was applied (RESUME a PAUSE, PAUSE a RESUME). */
export type FollowUpKind = 'retry' | 'undo';

export interface RequestResult {
  applied: number;
  failed: number;
  /** In the target state already (not a failure); absent in records from before lookups. */
  already?: number;
  /** Flagged before confirming and never sent. */
  skipped?: number;
  /** Sent, but no answer or lookup said whether MoEngage applied them: "may have been applied". */
  uncertain?: number;
  completedAt: number;
  outcomes: ResultOutcome[];
}

/**
 * One id's result as the doors show it: `error` for a failure, `note` for how the others came to be (for an
 * uncertain one, "may have been applied: check in MoEngage" and why).
 */
export interface ResultOutcome {
  campaignId: string;
  status: 'applied' | 'already' | 'skipped' | 'failed' | 'uncertain';
  error?: string;
  note?: string;
}

export type DecideResult =
  | { ok: true; request: CampaignActionRequest }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'already_decided' | 'expired' | 'not_due'; request: CampaignActionRequest };

export type ApproveResult =
  | { ok: true; request: CampaignActionRequest; confirmed: boolean }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'already_decided' | 'expired' | 'already_approved'; request: CampaignActionRequest };

/** The rule every store applies inside its atomic step for confirm (at once), cancel and expire. */
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

/**
 * Records one approval; the approval that completes any grant's count confirms the request (the single-use
 * claim). An approver counts once, however often they click.
 */
export function approveTransition(request: CampaignActionRequest, approval: Approval): ApproveResult {
  if (request.state !== 'pending') return { ok: false, reason: 'already_decided', request };
  if (approval.at >= request.expiresAt) return { ok: false, reason: 'expired', request };
  if (request.approvals.some((a) => a.by === approval.by)) {
    return { ok: false, reason: 'already_approved', request };
  }
  const approvals = [...request.approvals, approval];
  const next = { ...request, approvals };
  if (!isSatisfied(next)) return { ok: true, request: next, confirmed: false };
  return {
    ok: true,
    confirmed: true,
    request: { ...next, state: 'confirmed', decidedBy: approval.by, decidedAt: approval.at },
  };
}

export function approvalsFor(request: Pick<CampaignActionRequest, 'approvals'>, rule: string): number {
  return request.approvals.filter((a) => a.rules.includes(rule)).length;
}

/** A RESUME rule as a grant of a PAUSE "for a while" (`resume:<rule>`, part `resume`), and back. */
const RESUME_RULE = 'resume:';
export function asResumeGrant(g: RuleGrant): RuleGrant {
  return { ...g, rule: `${RESUME_RULE}${g.rule}`, part: 'resume' };
}
export function resumeRuleName(rule: string): string {
  return rule.startsWith(RESUME_RULE) ? rule.slice(RESUME_RULE.length) : rule;
}

export function isSatisfied(request: Pick<CampaignActionRequest, 'approvals' | 'grants'>): boolean {
  return partsOf(request.grants).every((grants) =>
    grants.some((g) => approvalsFor(request, g.rule) >= g.needed),
  );
}

/** The grants by part: the request's own, and (a PAUSE "for a while") its RESUME's. */
export function partsOf(grants: readonly RuleGrant[]): RuleGrant[][] {
  const own = grants.filter((g) => g.part === undefined);
  const resume = grants.filter((g) => g.part === 'resume');
  return resume.length > 0 ? [own, resume] : [own];
}

/** "1 of 2 approvals": in each part the grant closest to done; of the parts, the one furthest from it. */
export function approvalProgress(request: Pick<CampaignActionRequest, 'approvals' | 'grants'>): {
  n: number;
  of: number;
} {
  let worst: { n: number; of: number } | undefined;
  for (const grants of partsOf(request.grants)) {
    let best = { n: 0, of: Number.POSITIVE_INFINITY };
    for (const g of grants) {
      const n = Math.min(approvalsFor(request, g.rule), g.needed);
      if (g.needed - n < best.of - best.n) best = { n, of: g.needed };
    }
    if (Number.isFinite(best.of) && (!worst || best.of - best.n > worst.of - worst.n)) worst = best;
  }
  return worst ?? { n: 0, of: 1 };
}

/** A confirmed request's run, chunk by chunk (the transitions are in run-journal.ts). */
export interface RunChunk {
  ids: string[];
  requestId: string;
  /** answered: MoEngage's answers are in (`outcomes`), their check by lookup is not: never sent again. */
  state: 'planned' | 'sent' | 'answered' | 'done';
  /** How many runners handed it to MoEngage: above 1, its ids may have been sent twice (a crash mid-send). */
  sends: number;
  outcomes?: CampaignOutcome[];
  /** Known before the run, never sent: the ids the lookup flagged before confirming, with their outcomes. */
  preset?: CampaignOutcome[];
}

export interface RunJournal {
  chunks: RunChunk[];
  owner: string | undefined;
  leaseUntil: number;
  /**
   * The lease's fencing token: one more at every take. A runner writes a step of its run (a send, a renewal, a
   * hand-back) only while the journal still carries its owner and token, so one that stalled (SIGSTOP, a long
   * pause) and was taken over stops at its next step. Absent on records written before it existed (read as 0).
   */
  fence?: number;
  startedAt: number;
  /** MoEngage requests sent over the whole run, retries and splits included. */
  requests: number;
  /** The runner's latest estimate of the time left, from the limiter's schedule (for progress lines). */
  eta?: { at: number; ms: number };
}

/** How long the pause lasts from the moment it applied, or the time it ends; `text` as the person wrote it. */
export type PauseFor = { ms: number; text: string } | { until: number; text: string };

/** The schedule's record on the PAUSE, as it moves on. */
export interface ResumeSchedule {
  /** "Resume now" moved it here (earlier than planned). */
  at?: number;
  /** The reminder with "Resume now" / "Keep paused" was posted. */
  remindedAt?: number;
  /** "Keep paused": nothing will be resumed. */
  kept?: { by: string; at: number };
  /** The RESUME request's id, claimed once; `created` once it is stored (then the PAUSE is no longer due). */
  requestId?: string;
  created?: boolean;
  /** Who moved it, when "Resume now" was pressed. */
  by?: string;
  /** The access policy no longer lets the requester ask for this RESUME (checked again when it is due). */
  refused?: string;
  /** Ids left paused when the RESUME started, because a freeze covering them was on then. */
  frozen?: string[];
}

/** What `/campaign freeze` covers (see freeze.ts). */
export type FreezeScope =
  | { kind: 'all' }
  | { kind: 'group'; name: string }
  | { kind: 'channel'; channel: string };
