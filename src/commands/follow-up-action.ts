import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Logger } from 'pino';
import type { FollowUpKind } from '../core/request.ts';
import type { Lifecycle } from '../lifecycle/lifecycle.ts';
import type { Deduper } from '../requests/dedupe.ts';
import { outcomeText } from '../slack/outcome-text.ts';
import type { SlackPort } from '../slack/port.ts';
import { guarded } from './respond.ts';

export interface FollowUpActionDeps {
  lifecycle: Pick<Lifecycle, 'followUp'>;
  kind: FollowUpKind;
  slack: Pick<SlackPort, 'postEphemeral'>;
  logger: Logger;
  dedupe?: Deduper;
}

const REQUEST_ID = /^[A-Za-z0-9-]{8,64}$/;

/**
 * "Retry failed" / "Undo" on a result: proposes the follow-up as if the person had typed it. The new
 * confirmation says the rest; a refusal (the policy, a lapsed undo, one proposed already) is told to them alone.
 */
export function createFollowUpAction(deps: FollowUpActionDeps) {
  const log = deps.logger.child({ module: 'follow-up' });
  return async ({ ack, body, action }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs) => {
    await ack();
    if (deps.dedupe && !(await deps.dedupe.firstTime(`click:${body.trigger_id}`))) return;
    const channelId = body.channel?.id ?? body.container?.channel_id;
    const tell = async (text: string) => {
      if (channelId) await deps.slack.postEphemeral(channelId, body.user.id, text);
    };
    await guarded(
      log,
      tell,
      'Something went wrong on my side; nothing was proposed. Try again.',
      async () => {
        const requestId = action.value ?? '';
        if (!REQUEST_ID.test(requestId)) return 'This button does not carry a request I know.';
        return outcomeText(
          await deps.lifecycle.followUp(requestId, deps.kind, { kind: 'user', id: body.user.id }),
        );
      },
    );
  };
}
