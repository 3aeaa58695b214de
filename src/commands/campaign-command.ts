import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { Logger } from 'pino';
import type { CampaignGroups } from '../groups.ts';
import type { Deduper } from '../requests/dedupe.ts';
import type { Lifecycle } from '../requests/lifecycle.ts';
import { groupsList } from '../slack/messages.ts';
import { parseCampaignCommand, USAGE } from './parse.ts';

export interface CampaignCommandDeps {
  lifecycle: Pick<Lifecycle, 'propose'>;
  maxCampaignsPerCommand: number;
  groups?: CampaignGroups;
  requireReasonFor?: readonly string[];
  logger: Logger;
  /** Drops a repeated delivery of the same command (same trigger_id), across replicas. */
  dedupe?: Deduper;
  onOutcome?: (outcome: 'requested' | 'help' | 'bad_input' | 'denied' | 'failed') => void;
}

/**
 * `/campaign pause|resume|stop <ids>`. Input errors and help go back in the acknowledgement itself (no extra
 * call, instant); a valid request is acknowledged at once and then proposed, a refusal sent via response_url.
 */
export function createCampaignCommand(deps: CampaignCommandDeps) {
  const log = deps.logger.child({ module: 'command' });
  return async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const parsed = parseCampaignCommand(command.text ?? '', {
      maxIds: deps.maxCampaignsPerCommand,
      ...(deps.groups ? { groups: deps.groups } : {}),
      ...(deps.requireReasonFor ? { requireReasonFor: deps.requireReasonFor } : {}),
    });
    if (parsed.kind === 'groups') {
      deps.onOutcome?.('help');
      await ack({ response_type: 'ephemeral', text: groupsList(deps.groups ?? new Map()) });
      return;
    }
    if (parsed.kind === 'help') {
      deps.onOutcome?.('help');
      await ack({ response_type: 'ephemeral', text: USAGE });
      return;
    }
    if (parsed.kind === 'error') {
      deps.onOutcome?.('bad_input');
      log.info({ user: command.user_id, channel: command.channel_id }, 'command refused: bad input');
      await ack({ response_type: 'ephemeral', text: parsed.message });
      return;
    }
    await ack();
    if (deps.dedupe && !(await deps.dedupe.firstTime(`command:${command.trigger_id}`))) {
      log.info({ user: command.user_id, triggerId: command.trigger_id }, 'repeated command delivery ignored');
      return;
    }
    let message: string | undefined;
    try {
      const result = await deps.lifecycle.propose({
        action: parsed.action,
        campaignIds: parsed.campaignIds,
        reason: parsed.reason,
        requestedBy: command.user_id,
        channelId: command.channel_id,
        source: 'slash_command',
      });
      if (!result.ok) message = result.message;
      deps.onOutcome?.(result.ok ? 'requested' : 'denied');
    } catch (error) {
      deps.onOutcome?.('failed');
      log.error({ err: String(error), user: command.user_id }, 'command failed');
      message =
        'Something went wrong on my side, so nothing was requested. Try again; if it keeps failing, check the bot logs.';
    }
    if (message) await respond({ response_type: 'ephemeral', replace_original: false, text: message });
  };
}
