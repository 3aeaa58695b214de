import { scheduleOf } from '../../../core/pause-for.ts';
import { type CampaignActionRequest, isSatisfied, type RunJournal } from '../../../core/request.ts';
import { runProgress } from '../../../core/run-journal.ts';

/** The public view of a request (the API's resource). */
export function describe(r: CampaignActionRequest) {
  const status =
    r.state === 'pending'
      ? 'pending'
      : r.state === 'confirmed'
        ? r.result
          ? 'completed'
          : 'running'
        : r.state;
  return {
    id: r.id,
    action: r.action,
    campaign_ids: r.campaignIds,
    reason: r.reason ?? null,
    channel_id: r.channelId,
    requested_by: r.requestedBy,
    on_behalf_of: r.onBehalfOf ?? null,
    status,
    decided_by: r.decidedBy ?? null,
    approvals: r.approvals.map((a) => ({ by: a.by, at: new Date(a.at).toISOString() })),
    created_at: new Date(r.createdAt).toISOString(),
    expires_at: new Date(r.expiresAt).toISOString(),
    message_ts: r.messageTs ?? null,
    progress: r.run && !r.result ? progressOf(r.run) : null,
    result: r.result
      ? {
          applied: r.result.applied,
          already: r.result.already ?? 0,
          skipped: r.result.skipped ?? 0,
          failed: r.result.failed,
          uncertain: r.result.uncertain ?? 0,
          completed_at: new Date(r.result.completedAt).toISOString(),
          outcomes: r.result.outcomes.map((o) => ({
            campaign_id: o.campaignId,
            status: o.status,
            ...(o.error ? { error: o.error } : {}),
            ...(o.note ? { note: o.note } : {}),
          })),
        }
      : null,
    resume: r.pauseFor ? resumeOf(r) : null,
    scheduled_by: r.scheduledBy ?? null,
  };
}

/** A PAUSE for a while: its RESUME, as far as it has got. */
function resumeOf(r: CampaignActionRequest) {
  const s = scheduleOf(r);
  const state = r.resume?.kept
    ? 'kept_paused'
    : r.resume?.requestId
      ? 'started'
      : s
        ? 'scheduled'
        : r.result
          ? 'nothing_to_resume'
          : 'after_the_pause';
  return {
    for: r.pauseFor?.text ?? null,
    state,
    at: s ? new Date(s.at).toISOString() : null,
    request_id: r.resume?.requestId ?? null,
  };
}

/** A running request's counts so far and the time left, as the Slack message shows them. */
function progressOf(run: RunJournal) {
  const p = runProgress(run, Date.now());
  return {
    total: p.total,
    done: p.done,
    applied: p.applied,
    already: p.already,
    skipped: p.skipped,
    failed: p.failed,
    uncertain: p.uncertain,
    eta_seconds: p.etaMs === undefined ? null : Math.round(p.etaMs / 1000),
  };
}

/** What a dry run says would be proposed. */
export function dryRunView(r: CampaignActionRequest) {
  const immediate = isSatisfied({ approvals: [], grants: r.grants });
  return {
    action: r.action,
    campaign_ids: r.campaignIds,
    channel_id: r.channelId,
    reason: r.reason ?? null,
    incident: r.incident ?? null,
    rules: r.grants.map((g) => ({
      rule: g.rule,
      approvals_needed: g.needed,
      requester_may_approve: g.requesterMayApprove,
    })),
    runs_without_approval: immediate,
    lookup_before_confirming: !immediate,
    pause_for: r.pauseFor?.text ?? null,
  };
}
