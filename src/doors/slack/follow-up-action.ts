import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Actor } from '../../core/access.ts';
import type { Outcome } from '../../core/outcomes.ts';
import type { Deduper } from '../../core/ports.ts';
import type { SlackPort } from '../../slack/port.ts';
import type { SlackMessage } from '../../slack/views/blocks.ts';
import { outcomeText } from '../../slack/views/outcome-text.ts';
import { type FailureWords, firstDelivery, guarded } from './respond.ts';

export interface FollowUpActionDeps {
  /** What the button does with the request it carries, as the person who pressed it. */
  press: (requestId: string, actor: Actor) => Promise<Outcome>;
  /** What a failure says could not be done, and what holds. */
  failed: FailureWords;
  slack: Pick<SlackPort, 'postEphemeral' | 'updateMessage'>;
  logger: Logger;
  dedupe?: Deduper;
  /** What the pressed message becomes once the press did something (its buttons gone); unchanged when absent. */
  answered?: (outcome: Outcome, by: string) => SlackMessage | undefined;
}

const REQUEST_ID = /^[A-Za-z0-9-]{8,64}$/;

/** "Retry failed" and "Undo" propose a follow-up: failing before it is stored, nothing was proposed. */
export const FOLLOW_UP_FAILED: FailureWords = {
  could: 'propose that',
  unchanged: 'Nothing was proposed and nothing was sent to MoEngage; press the button again in a moment',
  unknown: 'Check the channel before pressing it again',
};
/** "Resume now" and "Keep paused" move a PAUSE's schedule. */
export const SCHEDULE_FAILED: FailureWords = {
  could: 'change the schedule',
  unchanged: 'The schedule is unchanged; press the button again in a moment',
  unknown: 'Check the thread before pressing it again',
};

/**
 * A button on a result or in a thread that acts on the request it carries: "Retry failed" / "Undo" (proposes
 * the follow-up as if the person had typed it), "Resume now" / "Keep paused" (moves a PAUSE's schedule). What
 * it did shows in the channel; a refusal (the policy, a lapsed undo, done already) is told to them alone.
 */
export function createFollowUpAction(deps: FollowUpActionDeps) {
  const log = deps.logger.child({ module: 'follow-up' });
  return async ({ ack, body, action }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs) => {
    await ack();
    const channelId = body.channel?.id ?? body.container?.channel_id;
    const tell = async (text: string) => {
      if (channelId) await deps.slack.postEphemeral(channelId, body.user.id, text);
    };
    await guarded(log, tell, deps.failed, async () => {
      if (!(await firstDelivery(deps.dedupe, `click:${body.trigger_id}`, log))) return undefined;
      const requestId = action.value ?? '';
      if (!REQUEST_ID.test(requestId)) return 'This button does not carry a request I know.';
      const outcome = await deps.press(requestId, { kind: 'user', id: body.user.id });
      const next = deps.answered?.(outcome, body.user.id);
      const ts = body.message?.ts ?? body.container?.message_ts;
      if (next && channelId && ts) {
        await deps.slack
          .updateMessage(channelId, ts, next)
          .catch((error: unknown) => log.warn({ err: String(error) }, 'could not take the buttons down'));
      }
      return outcomeText(outcome);
    });
  };
}
