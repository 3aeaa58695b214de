import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Logger } from 'pino';
import type { SlackPort } from '../../slack/port.ts';

export interface StepCloseDeps {
  slack: Pick<SlackPort, 'finishStep' | 'updateMessage' | 'postEphemeral'>;
  logger: Logger;
}

/**
 * "End the workflow step", on an expired confirmation whose Workflow step the bot could no longer finish (its
 * token had expired): the click brings a fresh token for the step (Slack's function-scoped interactivity), with
 * which the step is failed with the reason, and the button goes.
 */
export function createStepClose(deps: StepCloseDeps) {
  const log = deps.logger.child({ module: 'step-close' });
  return async ({ ack, body }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs) => {
    await ack();
    const b = body as unknown as { function_data?: { execution_id?: unknown }; bot_access_token?: unknown };
    const executionId = b.function_data?.execution_id;
    const token = b.bot_access_token;
    const channelId = body.channel?.id ?? body.container?.channel_id;
    if (typeof executionId !== 'string' || typeof token !== 'string') {
      if (channelId)
        await deps.slack.postEphemeral(channelId, body.user.id, 'This message has no workflow step to end.');
      return;
    }
    try {
      await deps.slack.finishStep(executionId, token, {
        error: 'the request expired without confirmation; nothing changed',
      });
      const ts = body.container?.message_ts ?? body.message?.ts;
      const blocks = (body.message?.blocks ?? []) as Record<string, unknown>[];
      if (channelId && ts) {
        await deps.slack.updateMessage(channelId, ts, {
          text: body.message?.text ?? 'expired',
          blocks: blocks.filter((block) => block.type !== 'actions'),
        });
      }
    } catch (error) {
      log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'could not end the workflow step',
      );
      if (channelId)
        await deps.slack
          .postEphemeral(channelId, body.user.id, 'Slack did not take the end of the step.')
          .catch(() => {});
    }
  };
}
