import Bottleneck from 'bottleneck';
import type { Logger } from 'pino';
import type { CampaignActionRequest } from '../core/request.ts';
import { keyedSerial } from '../core/serial.ts';
import type { Notifier, RequestChange } from '../lifecycle/notifier.ts';
import { NotifyError, settles } from '../lifecycle/notifier.ts';
import type { SlackMessage } from './blocks.ts';
import { lookupReplies } from './campaign-view.ts';
import {
  cancelledMessage,
  completedMessage,
  confirmationMessage,
  crashedMessage,
  expiredMessage,
  idListReplies,
  runningMessage,
  unrecordedMessage,
} from './messages.ts';
import { SlackCallError, type SlackPort } from './port.ts';
import { escalationReply, nudgeReply } from './reminder-view.ts';
import { crashReply, repeatedReply, resultReplies } from './results.ts';
import {
  resumeKeptReply,
  resumeRefusedReply,
  resumeReminderReply,
  resumeStartedReply,
  scheduledReply,
} from './schedule-view.ts';
import { stepEnd } from './step-outputs.ts';

/** Progress edits a minute for the whole workspace, of chat.update's ~50 (Tier 3). */
const PROGRESS_EDITS_PER_MINUTE = 30;

/**
 * The lifecycle's notifier in Slack: the confirmation with its buttons, edits as the request moves on, and the
 * per-campaign results in its thread. Changes to one request are shown in the order they happened (the
 * "running" edit never lands after the summary). Slack's error codes stop here.
 */
export function createSlackNotifier(
  slack: SlackPort,
  logger: Logger,
  /**
   * The request as stored now. A view that may be stale (the pending confirmation, a progress line) is drawn from
   * it just before it is sent, so an edit from this replica never undoes what another has shown since (a
   * decision, the summary).
   */
  current?: (requestId: string) => Promise<CampaignActionRequest | undefined>,
): Notifier {
  const log = logger.child({ module: 'slack-notifier' });
  const inOrder = keyedSerial();
  // What each request's message shows: a pending view (an approval counted, a lookup landing late) must not
  // bring the buttons back once it shows a decision, nor a progress line come after the summary. Bounded: the
  // oldest are forgotten first.
  const shown = new Map<string, 'decided' | 'final'>();
  const mark = (id: string, view: 'decided' | 'final') => {
    shown.delete(id);
    shown.set(id, view);
    if (shown.size > 10_000) shown.delete(shown.keys().next().value as string);
  };
  // Progress edits are extra: within a budget of Slack's chat.update limit (Tier 3, about 50 a minute for the
  // workspace) that leaves room for the edits that must happen, and coalesced per request (only the latest
  // counts go out). Bottleneck keeps the budget; the edits themselves still go through the request's own order.
  const progressBudget = new Bottleneck({
    reservoir: PROGRESS_EDITS_PER_MINUTE,
    reservoirRefreshAmount: PROGRESS_EDITS_PER_MINUTE,
    reservoirRefreshInterval: 60_000,
    maxConcurrent: 1,
  });
  const latestProgress = new Map<string, CampaignActionRequest>();
  const lastProgress = new Map<string, string>();
  const progress = (r: CampaignActionRequest) => {
    const queued = latestProgress.has(r.id);
    latestProgress.set(r.id, r);
    if (queued) return Promise.resolve();
    return progressBudget
      .schedule(() => {
        const latest = latestProgress.get(r.id) ?? r;
        latestProgress.delete(r.id);
        return inOrder(r.id, () => show(latest, { kind: 'progress' }));
      })
      .catch((error: unknown) => log.warn({ requestId: r.id, err: String(error) }, 'progress edit dropped'));
  };

  const edit = async (r: CampaignActionRequest, message: SlackMessage) => {
    if (!r.messageTs) return;
    try {
      await slack.updateMessage(r.channelId, r.messageTs, message);
    } catch (error) {
      log.warn({ requestId: r.id, code: codeOf(error) }, 'could not update the confirmation message');
    }
  };
  /** Posts in the request's thread; false (logged) when Slack would not take it even after the pacer's retries. */
  const thread = async (r: CampaignActionRequest, message: SlackMessage): Promise<boolean> => {
    try {
      await slack.postMessage(r.channelId, message, r.messageTs);
      return true;
    } catch (error) {
      // The outcome is still in the audit log, the store and the parent message's summary, which says so.
      log.error({ requestId: r.id, code: codeOf(error) }, 'could not post in the thread');
      return false;
    }
  };

  async function show(given: CampaignActionRequest, change: RequestChange): Promise<void> {
    const pendingView = change.kind === 'approval_recorded' || change.kind === 'looked_up';
    const mayBeStale = pendingView || change.kind === 'progress';
    const r = mayBeStale && current ? await current(given.id).catch(() => given) : given;
    if (!r) return;
    if (pendingView && (shown.has(r.id) || r.state !== 'pending')) return;
    if (change.kind === 'progress') {
      if (shown.get(r.id) === 'final' || r.result || r.state !== 'confirmed') return;
      const message = runningMessage(r);
      // Nothing new since the last one (the counts move in bursts): no edit.
      if (lastProgress.get(r.id) === message.text) return;
      lastProgress.set(r.id, message.text);
      if (lastProgress.size > 1_000) lastProgress.delete(lastProgress.keys().next().value as string);
      return edit(r, message);
    }
    if (change.kind === 'step_outlasted') return endStep(r, change.etaMs);
    if (change.kind === 'nudge' || change.kind === 'escalate') {
      if (shown.has(r.id) || r.state !== 'pending') return;
      await thread(r, change.kind === 'nudge' ? nudgeReply(r) : escalationReply(r, change.to));
      return;
    }
    // A PAUSE "for a while": its schedule, told in its thread (the message itself shows the result).
    if (change.kind === 'resume_reminder') return void (await thread(r, resumeReminderReply(r)));
    if (change.kind === 'resume_kept') return void (await thread(r, resumeKeptReply(change.by)));
    if (change.kind === 'resume_started') return void (await thread(r, resumeStartedReply(r)));
    if (change.kind === 'resume_refused') return void (await thread(r, resumeRefusedReply(change.part)));
    if (!pendingView) mark(r.id, change.kind === 'running' ? 'decided' : 'final');
    await showChange(r, change);
    if (r.workflow && settles(change)) await finishStep(r);
  }

  /**
   * Finishes the Workflow step that asked for a settled request, with the freshest token stored for it (a click
   * on the confirmation brings one): from whichever replica settled it, never by a wait in memory. A token past
   * its life cannot finish it: said in the log, and the expired message offers a button whose click can.
   */
  async function finishStep(given: CampaignActionRequest): Promise<void> {
    const r = (current ? await current(given.id).catch(() => given) : given) ?? given;
    const step = r.workflow;
    if (!step || step.ended) return;
    if (step.tokenUntil <= Date.now()) {
      log.warn(
        { requestId: r.id, executionId: step.executionId },
        'workflow step not finished: its token has expired',
      );
      return;
    }
    try {
      await slack.finishStep(step.executionId, step.token, stepEnd(r));
    } catch (error) {
      log.error({ requestId: r.id, code: codeOf(error) }, 'could not finish the workflow step');
    }
  }

  /** Ends the step of a run that outlasts its token: the run goes on, and its results go in the thread. */
  async function endStep(r: CampaignActionRequest, etaMs: number | undefined): Promise<void> {
    const step = r.workflow;
    if (!step || step.tokenUntil <= Date.now()) return;
    const left = etaMs === undefined ? '' : ` (about ${Math.max(1, Math.round(etaMs / 60_000))} min left)`;
    const error = `the run takes longer than Slack lets this step wait${left}; it goes on, and every campaign's result will be in the thread of the confirmation in <#${r.channelId}>`;
    await slack
      .finishStep(step.executionId, step.token, { error })
      .catch((e: unknown) =>
        log.error({ requestId: r.id, code: codeOf(e) }, 'could not end the workflow step'),
      );
  }

  async function showChange(r: CampaignActionRequest, change: RequestChange): Promise<void> {
    switch (change.kind) {
      case 'approval_recorded':
        return edit(r, confirmationMessage(r));
      case 'looked_up':
        // A list too long to show each campaign on the message is tabled in the thread, once.
        for (const reply of lookupReplies(r)) await thread(r, reply);
        return edit(r, confirmationMessage(r));
      case 'running':
        return edit(r, runningMessage(r));
      case 'cancelled':
        return edit(r, cancelledMessage(r));
      case 'expired':
        return edit(r, expiredMessage(r, r.workflow !== undefined && r.workflow.tokenUntil <= Date.now()));
      case 'unrecorded':
        return edit(r, unrecordedMessage(r));
      case 'completed': {
        const replies = resultReplies(change.report, r.lookup?.state === 'done' ? r.lookup.campaigns : {});
        if (change.repeated && change.repeated.length > 0) replies.push(repeatedReply(change.repeated));
        let undelivered = 0;
        const scheduled = scheduledReply(r);
        if (scheduled) replies.push(scheduled);
        for (const reply of replies) if (!(await thread(r, reply))) undelivered += 1;
        // Never dropped silently: the summary on the parent says what the thread is missing.
        return edit(r, completedMessage(r, change.report, undelivered));
      }
      case 'crashed':
        await thread(r, crashReply(change.error));
        return edit(r, crashedMessage(r));
    }
  }

  return {
    async post(request) {
      let ts: string;
      try {
        // A Workflow step's confirmation is posted with the step's token: its clicks then carry the step.
        // A request confirmed already (a RESUME a PAUSE scheduled) is posted as running: nothing to click.
        ts = await slack.postMessage(
          request.channelId,
          request.state === 'pending' ? confirmationMessage(request) : runningMessage(request),
          undefined,
          request.workflow?.token,
        );
      } catch (error) {
        const code = codeOf(error);
        const notIn = code === 'not_in_channel' || code === 'channel_not_found';
        throw new NotifyError(notIn ? 'not_in_channel' : 'unavailable', code);
      }
      // A list too long for the message goes in its thread, so whoever confirms can see every id.
      for (const reply of idListReplies(request)) await thread({ ...request, messageTs: ts }, reply);
      // Looked up already (a freeze found its campaigns by searching): the table goes in the thread at once.
      if (request.lookup?.state === 'done') {
        for (const reply of lookupReplies(request)) await thread({ ...request, messageTs: ts }, reply);
      }
      return ts;
    },
    update: (request, change) =>
      change.kind === 'progress'
        ? progress(request)
        : // A reminder is a post in the thread, paced behind the channel's other posts: the request's own edits
          // (its expiry, a decision) must not wait for it in the request's order.
          change.kind === 'nudge' || change.kind === 'escalate'
          ? show(request, change)
          : inOrder(request.id, () => show(request, change)),
  };
}

function codeOf(error: unknown): string {
  return error instanceof SlackCallError ? error.code : 'unknown';
}
