import type { Logger } from 'pino';
import type { CampaignActionRequest } from '../core/request.ts';
import { keyedSerial } from '../core/serial.ts';
import type { Notifier, RequestChange } from '../lifecycle/notifier.ts';
import { NotifyError } from '../lifecycle/notifier.ts';
import {
  cancelledMessage,
  completedMessage,
  confirmationMessage,
  crashedMessage,
  crashReply,
  expiredMessage,
  idListReplies,
  lookupReplies,
  repeatedReply,
  resultReplies,
  runningMessage,
  type SlackMessage,
  unrecordedMessage,
} from './messages.ts';
import { SlackCallError, type SlackPort } from './port.ts';

/**
 * The lifecycle's notifier in Slack: the confirmation with its buttons, edits as the request moves on, and the
 * per-campaign results in its thread. Changes to one request are shown in the order they happened (the
 * "running" edit never lands after the summary). Slack's error codes stop here.
 */
export function createSlackNotifier(slack: SlackPort, logger: Logger): Notifier {
  const log = logger.child({ module: 'slack-notifier' });
  const inOrder = keyedSerial();
  // Requests whose message shows a decision already: an edit of the pending confirmation (an approval counted,
  // a lookup landing late) must not bring its buttons back. Bounded: the oldest are forgotten first.
  const decided = new Set<string>();
  const markDecided = (id: string) => {
    decided.add(id);
    if (decided.size > 10_000) decided.delete(decided.values().next().value as string);
  };

  const edit = async (r: CampaignActionRequest, message: SlackMessage) => {
    if (!r.messageTs) return;
    try {
      await slack.updateMessage(r.channelId, r.messageTs, message);
    } catch (error) {
      log.warn({ requestId: r.id, code: codeOf(error) }, 'could not update the confirmation message');
    }
  };
  const thread = async (r: CampaignActionRequest, message: SlackMessage) => {
    try {
      await slack.postMessage(r.channelId, message, r.messageTs);
    } catch (error) {
      // The outcome is still in the audit log, the store and the parent message's summary.
      log.error({ requestId: r.id, code: codeOf(error) }, 'could not post in the thread');
    }
  };

  async function show(r: CampaignActionRequest, change: RequestChange): Promise<void> {
    const pendingView = change.kind === 'approval_recorded' || change.kind === 'looked_up';
    if (pendingView && (decided.has(r.id) || r.state !== 'pending')) return;
    if (!pendingView) markDecided(r.id);
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
        return edit(r, expiredMessage(r));
      case 'unrecorded':
        return edit(r, unrecordedMessage(r));
      case 'completed':
        for (const reply of resultReplies(
          change.report,
          r.lookup?.state === 'done' ? r.lookup.campaigns : {},
        ))
          await thread(r, reply);
        if (change.repeated && change.repeated.length > 0) await thread(r, repeatedReply(change.repeated));
        return edit(r, completedMessage(r, change.report));
      case 'crashed':
        await thread(r, crashReply(change.error));
        return edit(r, crashedMessage(r));
    }
  }

  return {
    async post(request) {
      let ts: string;
      try {
        ts = await slack.postMessage(request.channelId, confirmationMessage(request));
      } catch (error) {
        const code = codeOf(error);
        const notIn = code === 'not_in_channel' || code === 'channel_not_found';
        throw new NotifyError(notIn ? 'not_in_channel' : 'unavailable', code);
      }
      // A list too long for the message goes in its thread, so whoever confirms can see every id.
      for (const reply of idListReplies(request)) await thread({ ...request, messageTs: ts }, reply);
      return ts;
    },
    update: (request, change) => inOrder(request.id, () => show(request, change)),
  };
}

function codeOf(error: unknown): string {
  return error instanceof SlackCallError ? error.code : 'unknown';
}
