import type { AllMiddlewareArgs, MessageShortcut, SlackShortcutMiddlewareArgs } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Deduper } from '../../core/ports.ts';
import type { Lifecycle } from '../../lifecycle/contract.ts';
import type { SlackPort } from '../../slack/port.ts';
import { plural } from '../../slack/views/blocks.ts';
import { messageText } from '../../slack/views/message-text.ts';
import { escapeMrkdwn } from '../../slack/views/mrkdwn.ts';
import { outcomeText } from '../../slack/views/outcome-text.ts';
import { MAX_OPTIONS } from '../../slack/views/picker-view.ts';
import type { Picker } from './picker.ts';
import { type FailureWords, firstDelivery, guarded } from './respond.ts';

/** The message shortcut's callback_id (manifest.yml `features.shortcuts`). */
export const ACT_ON_MESSAGE_ID = 'act_on_campaigns';

export interface MessageShortcutDeps {
  lifecycle: Pick<Lifecycle, 'campaignsIn'>;
  picker: Pick<Picker, 'open'>;
  slack: Pick<SlackPort, 'postEphemeral'>;
  logger: Logger;
  /** Drops a repeated delivery of the same shortcut (same trigger_id), across replicas. */
  dedupe?: Deduper;
}

const SHORTCUT_FAILED: FailureWords = {
  could: 'read that message',
  unchanged: 'Nothing was proposed; run the shortcut again in a moment',
};

/**
 * "Act on campaigns in this message": the ids, dashboard links and known names in the message's text, blocks and
 * attachments (an alert is mostly attachments), for the person in the policy here, opened in the picker already
 * chosen. Nothing found: the picker opens empty and says so.
 */
export function createMessageShortcut(deps: MessageShortcutDeps) {
  const log = deps.logger.child({ module: 'shortcut' });
  return async ({
    shortcut,
    ack,
    respond,
  }: SlackShortcutMiddlewareArgs<MessageShortcut> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const channelId = shortcut.channel.id;
    const userId = shortcut.user.id;
    // The response_url works where the bot is no member; an ephemeral when it no longer takes posts.
    const tell = async (text: string) => {
      try {
        await respond({ response_type: 'ephemeral', text });
      } catch {
        await deps.slack.postEphemeral(channelId, userId, text);
      }
    };
    await guarded(log, tell, SHORTCUT_FAILED, async () => {
      if (!(await firstDelivery(deps.dedupe, `shortcut:${shortcut.trigger_id}`, log))) return undefined;
      const actor = { kind: 'user', id: userId } as const;
      const found = await deps.lifecycle.campaignsIn({
        actor,
        channelId,
        text: messageText(shortcut.message),
        limit: MAX_OPTIONS,
      });
      if (found.kind === 'catalog_off')
        return 'Campaign names and links need the campaign list, which is off where this bot runs: use `/campaign pause <ids>`.';
      if (found.kind !== 'campaigns') return outcomeText(found);
      const n = found.entries.length;
      const opened = await deps.picker.open({
        triggerId: shortcut.trigger_id,
        actor,
        channelId,
        chosen: found.entries,
        loading: found.loading,
        note:
          n > 0
            ? `Found ${plural(n, 'campaign')} in this message: check them and choose what to do.`
            : 'I found no campaign in this message (no id, dashboard link or known name): search for them below.',
      });
      if (opened) return undefined;
      if (n === 0) return 'I found no campaign in this message, and could not open the picker in time.';
      const list = found.entries.map((e) => `${escapeMrkdwn(e.name)} (\`${e.id}\`)`).join(', ');
      return `I could not open the picker in time. This message names: ${list}. Run the shortcut again, or \`/campaign pause <ids>\`.`;
    });
  };
}
