import type { StatusChangeReport } from './report.ts';
import type { CampaignActionRequest } from './request.ts';

/**
 * How the lifecycle tells people about a request, without knowing the medium: the Slack notifier
 * (src/slack/notifier.ts) posts the confirmation and edits it, and puts results in its thread.
 */
export type RequestChange =
  | { kind: 'approval_recorded'; by: string; n: number; of: number }
  /** The lookup before confirming is recorded on the request (`request.lookup`): show it. */
  | { kind: 'looked_up' }
  | { kind: 'running' }
  /** Nobody has approved at half the confirmation's time: its approvers are reminded. */
  | { kind: 'nudge' }
  /** A STOP waits longer than ESCALATE_AFTER_MINUTES: the ESCALATE_TO group is told. */
  | { kind: 'escalate'; to: string }
  /** A long run's counts so far and time left (`request.run`): best-effort, superseded by the next. */
  | { kind: 'progress' }
  /** The run outlasts the Workflow step's token: the step is ended now, with the reason (`request.workflow`). */
  | { kind: 'step_outlasted'; etaMs: number | undefined }
  | { kind: 'cancelled' }
  /** A PAUSE "for a while": its RESUME is ten minutes away (with "Resume now" / "Keep paused"), … */
  | { kind: 'resume_reminder' }
  /** …was called off, … */
  | { kind: 'resume_kept'; by: string }
  /** …or has started as a request of its own (`request.resume.requestId`), … */
  | { kind: 'resume_started' }
  /** …or was not run: the access policy no longer lets the requester ask for it (`part` failed), or `frozen`. */
  | { kind: 'resume_refused'; part: string }
  | { kind: 'expired' }
  /** Posted, but the store could not tie the message to the request: the buttons must come down. */
  | { kind: 'unrecorded' }
  /** `repeated`: ids whose chunk two runners sent (a crash mid-send): MoEngage may have had them twice. */
  | { kind: 'completed'; report: StatusChangeReport; repeated?: string[] }
  | { kind: 'crashed'; error: string };

/** The changes that settle a request: what waits on it (a Workflow step, a callback) is told then. */
export const SETTLING: readonly RequestChange['kind'][] = [
  'completed',
  'cancelled',
  'expired',
  'crashed',
  'unrecorded',
];

export function settles(change: RequestChange): boolean {
  return SETTLING.includes(change.kind);
}

export interface Notifier {
  /**
   * Posts the confirmation (and whatever else the medium needs to show every id) and returns the handle of
   * the message that later changes edit. Throws NotifyError when it could not.
   */
  post(request: CampaignActionRequest): Promise<string>;
  /**
   * Shows a change. Resolves once it is durably queued (the Slack notifier's outbox in the store), not once people
   * see it: a slow or absent Slack never holds the lifecycle. A failure is logged by the notifier and never stops
   * the lifecycle.
   */
  update(request: CampaignActionRequest, change: RequestChange): Promise<void>;
}

/**
 * The hook through which a door adds to what the lifecycle tells: it wraps the notifier the lifecycle is built
 * with, and the composition root applies it there, once (the runbook door's callbacks POST a request's resource to
 * its callback_url once the request settles, after people are told).
 */
export type NotifierDecorator = (inner: Notifier) => Notifier;

/** The confirmation could not be posted. `not_in_channel`: the bot must be invited; else the medium failed. */
export class NotifyError extends Error {
  readonly code: 'not_in_channel' | 'unavailable';
  readonly detail: string;
  constructor(code: 'not_in_channel' | 'unavailable', detail: string) {
    super(`could not post the confirmation: ${detail}`);
    this.name = 'NotifyError';
    this.code = code;
    this.detail = detail;
  }
}
