import Bottleneck from 'bottleneck';
import type { Logger } from 'pino';
import type { Notifier, RequestChange } from '../core/notifier.ts';
import { NotifyError, settles } from '../core/notifier.ts';
import type { NewEntry, Outbox } from '../core/outbox.ts';
import type { CampaignActionRequest } from '../core/request.ts';
import { keyedSerial } from '../core/serial.ts';
import { editEntry, finishStepEntry, postEntry, RANK, slackDelivery } from './outbox-delivery.ts';
import { SlackCallError, type SlackPort } from './port.ts';
import type { SlackMessage } from './views/blocks.ts';
import { lookupReplies } from './views/campaign-view.ts';
import {
  cancelledMessage,
  completedMessage,
  confirmationMessage,
  crashedMessage,
  expiredMessage,
  firstMessage,
  idListReplies,
  runningMessage,
  unrecordedMessage,
} from './views/messages.ts';
import { escalationReply, nudgeReply } from './views/reminder-view.ts';
import { crashReply, repeatedReply, resultReplies } from './views/results.ts';
import {
  resumeKeptReply,
  resumeRefusedReply,
  resumeReminderReply,
  resumeStartedReply,
  scheduledReply,
} from './views/schedule-view.ts';
import { stepEnd } from './views/step-outputs.ts';

/** Progress edits a minute for the whole workspace, of chat.update's ~50 (Tier 3). */
const PROGRESS_EDITS_PER_MINUTE = 30;

/**
 * The lifecycle's notifier in Slack: the confirmation with its buttons, edits as the request moves on, and the
 * per-campaign results in its thread. Changes to one request are shown in the order they happened (the
 * "running" edit never lands after the summary). Slack's error codes stop here.
 *
 * The confirmation is posted at once (its ts is the request's handle); everything after it (thread replies,
 * edits, a Workflow step's end) is queued in the outbox, which any replica drains into Slack in order, so a Slack
 * outage delays it instead of losing it. `update` resolves once the change is queued. When the outbox cannot
 * take it (the store is away), it is sent directly instead, as best it can.
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
  /** Where changes wait for Slack (the bot's store); the drainer (lifecycle/outbox-drainer.ts) sends them. */
  outbox?: Outbox,
  /** Wakes the drainer when something was queued (sooner than its next look). */
  onQueued?: () => void,
): Notifier {
  const log = logger.child({ module: 'slack-notifier' });
  const deliver = slackDelivery(slack, log, current);
  /** Queues a change's calls in one step (a summary never without its results); direct when it cannot. */
  const send = async (r: CampaignActionRequest, entries: NewEntry[]): Promise<void> => {
    if (entries.length === 0) return;
    if (outbox) {
      try {
        await outbox.enqueue(r.id, entries);
        onQueued?.();
        return;
      } catch (error) {
        log.error(
          { requestId: r.id, err: error instanceof Error ? error.message : String(error) },
          'outbox unavailable: sending to Slack directly',
        );
      }
    }
    for (const entry of entries) {
      await deliver(entry.payload, { dropped: 0 }).catch((error: unknown) =>
        log.error({ requestId: r.id, code: codeOf(error) }, 'could not send to Slack'),
      );
    }
  };
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

  const edit = (r: CampaignActionRequest, message: SlackMessage, rank: number, noteDropped = false) =>
    r.messageTs ? [editEntry(r.channelId, r.messageTs, message, rank, noteDropped ? r.id : undefined)] : [];
  /** A reply in the request's thread (none before its message exists). */
  const thread = (r: CampaignActionRequest, message: SlackMessage) =>
    r.messageTs ? [postEntry(r.channelId, r.messageTs, message)] : [];

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
      return send(r, edit(r, message, RANK.running));
    }
    if (change.kind === 'step_outlasted') return send(r, endStep(r, change.etaMs));
    if (change.kind === 'nudge' || change.kind === 'escalate') {
      if (shown.has(r.id) || r.state !== 'pending') return;
      return send(r, thread(r, change.kind === 'nudge' ? nudgeReply(r) : escalationReply(r, change.to)));
    }
    // A PAUSE "for a while": its schedule, told in its thread (the message itself shows the result).
    if (change.kind === 'resume_reminder') return send(r, thread(r, resumeReminderReply(r)));
    if (change.kind === 'resume_kept') return send(r, thread(r, resumeKeptReply(change.by)));
    if (change.kind === 'resume_started') return send(r, thread(r, resumeStartedReply(r)));
    if (change.kind === 'resume_refused') return send(r, thread(r, resumeRefusedReply(change.part)));
    if (!pendingView) mark(r.id, change.kind === 'running' ? 'decided' : 'final');
    const entries = showChange(r, change);
    if (r.workflow && settles(change)) entries.push(...(await finishStep(r)));
    await send(r, entries);
  }

  /**
   * Finishes the Workflow step that asked for a settled request, with the freshest token stored for it (a click
   * on the confirmation brings one), read when the outbox sends it: from whichever replica settled it, never by
   * a wait in memory. A token past its life cannot finish it: said in the log, and the expired message offers a
   * button whose click can.
   */
  async function finishStep(given: CampaignActionRequest): Promise<NewEntry[]> {
    const r = (current ? await current(given.id).catch(() => given) : given) ?? given;
    const step = r.workflow;
    if (!step || step.ended) return [];
    return [finishStepEntry(r.id, step, stepEnd(r))];
  }

  /** Ends the step of a run that outlasts its token: the run goes on, and its results go in the thread. */
  function endStep(r: CampaignActionRequest, etaMs: number | undefined): NewEntry[] {
    const step = r.workflow;
    if (!step || step.tokenUntil <= Date.now()) return [];
    const left = etaMs === undefined ? '' : ` (about ${Math.max(1, Math.round(etaMs / 60_000))} min left)`;
    const error = `the run takes longer than Slack lets this step wait${left}; it goes on, and every campaign's result will be in the thread of the confirmation in <#${r.channelId}>`;
    return [finishStepEntry(r.id, step, { error }, true)];
  }

  function showChange(r: CampaignActionRequest, change: RequestChange): NewEntry[] {
    switch (change.kind) {
      case 'approval_recorded':
        return edit(r, confirmationMessage(r), RANK.pending);
      case 'looked_up':
        // A list too long to show each campaign on the message is tabled in the thread, once.
        return [
          ...lookupReplies(r).flatMap((reply) => thread(r, reply)),
          ...edit(r, confirmationMessage(r), RANK.pending),
        ];
      case 'running':
        return edit(r, runningMessage(r), RANK.running);
      case 'cancelled':
        return edit(r, cancelledMessage(r), RANK.settled);
      case 'expired':
        return edit(
          r,
          expiredMessage(r, r.workflow !== undefined && r.workflow.tokenUntil <= Date.now()),
          RANK.settled,
        );
      case 'unrecorded':
        return edit(r, unrecordedMessage(r), RANK.settled);
      case 'completed': {
        const replies = resultReplies(change.report, r.lookup?.state === 'done' ? r.lookup.campaigns : {});
        if (change.repeated && change.repeated.length > 0) replies.push(repeatedReply(change.repeated));
        const scheduled = scheduledReply(r);
        if (scheduled) replies.push(scheduled);
        // The results first, then the summary that points at them; it says so if Slack refused any for good.
        return [
          ...replies.flatMap((reply) => thread(r, reply)),
          ...edit(r, completedMessage(r, change.report), RANK.settled, true),
        ];
      }
      case 'crashed':
        return [...thread(r, crashReply(change.error)), ...edit(r, crashedMessage(r), RANK.settled)];
      default:
        return [];
    }
  }

  return {
    async post(request) {
      let ts: string;
      // Drawn when the channel's turn comes: a confirmation that waited past its time behind Slack's pacing is
      // posted expired, never with live buttons. A request confirmed already (a RESUME a PAUSE scheduled) is
      // posted as running: nothing to click.
      const late = async () => {
        const now = current ? await current(request.id).catch(() => undefined) : undefined;
        return firstMessage(now ?? request, Date.now());
      };
      try {
        // A Workflow step's confirmation is posted with the step's token: its clicks then carry the step.
        ts = await slack.postMessage(request.channelId, late, undefined, request.workflow?.token);
      } catch (error) {
        const code = codeOf(error);
        const notIn = code === 'not_in_channel' || code === 'channel_not_found';
        throw new NotifyError(notIn ? 'not_in_channel' : 'unavailable', code);
      }
      const posted = { ...request, messageTs: ts };
      // A list too long for the message goes in its thread, so whoever confirms can see every id; looked up
      // already (a freeze found its campaigns by searching), the table goes there too.
      const replies = [
        ...idListReplies(request),
        ...(request.lookup?.state === 'done' ? lookupReplies(request) : []),
      ];
      await send(
        posted,
        replies.flatMap((reply) => thread(posted, reply)),
      );
      return ts;
    },
    update: (request, change) =>
      change.kind === 'progress' ? progress(request) : inOrder(request.id, () => show(request, change)),
  };
}

function codeOf(error: unknown): string {
  return error instanceof SlackCallError ? error.code : 'unknown';
}
