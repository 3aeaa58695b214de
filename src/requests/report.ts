import type { Logger } from 'pino';
import type { SlackMessage } from '../slack/messages.ts';
import type { SlackPort } from '../slack/port.ts';
import type { CampaignActionRequest, RequestResult, RequestStore } from './model.ts';

/**
 * How a request's progress reaches people and the store. Every step is best-effort and logged on failure: a
 * Slack or storage hiccup must never stop an action or hide its outcome (the audit trail has it regardless).
 */
export function createReport(deps: { slack: SlackPort; store: RequestStore; log: Logger }) {
  const { slack, store, log } = deps;
  return {
    /** Edits the confirmation message (nothing to edit before it was posted). */
    async update(r: CampaignActionRequest, message: SlackMessage): Promise<void> {
      if (!r.messageTs) return;
      try {
        await slack.updateMessage(r.channelId, r.messageTs, message);
      } catch (error) {
        log.warn({ requestId: r.id, err: errorText(error) }, 'could not update the confirmation message');
      }
    },
    async postThread(r: CampaignActionRequest, message: SlackMessage): Promise<void> {
      try {
        await slack.postMessage(r.channelId, message, r.messageTs);
      } catch (error) {
        // The outcome is still in the audit log and the parent message's summary.
        log.error({ requestId: r.id, err: errorText(error) }, 'could not post results in the thread');
      }
    },
    /** For the runbook API and the Workflow step, which read results from the store (on any replica). */
    async saveResult(r: CampaignActionRequest, result: RequestResult): Promise<void> {
      await store
        .setResult(r.id, result)
        .catch((error: unknown) =>
          log.error({ requestId: r.id, err: errorText(error) }, 'could not store the result'),
        );
    },
  };
}

export type Report = ReturnType<typeof createReport>;

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
