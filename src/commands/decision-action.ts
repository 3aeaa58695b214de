import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Deduper } from '../requests/dedupe.ts';
import type { Click, Outcome } from '../requests/lifecycle.ts';
import type { SlackPort } from '../slack/port.ts';

export interface DecisionActionDeps {
  /** `lifecycle.confirm` or `lifecycle.cancel`. */
  decide: (click: Click) => Promise<Outcome>;
  slack: Pick<SlackPort, 'postEphemeral'>;
  logger: Logger;
  /** Drops a repeated delivery of the same click (same trigger_id), across replicas. */
  dedupe?: Deduper;
}

const REQUEST_ID = /^[A-Za-z0-9-]{8,64}$/;

/**
 * A Confirm or Cancel click. Acknowledged at once; the lifecycle decides (single-use, whoever is first) and a
 * refusal is shown only to the person who clicked.
 */
export function createDecisionAction(deps: DecisionActionDeps) {
  return async ({ ack, body, action }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs) => {
    await ack();
    if (deps.dedupe && !(await deps.dedupe.firstTime(`click:${body.trigger_id}`))) return;
    const channelId = body.channel?.id ?? body.container?.channel_id;
    const requestId = action.value ?? '';
    let message: string | undefined;
    try {
      const result = REQUEST_ID.test(requestId)
        ? await deps.decide({ requestId, userId: body.user.id })
        : ({ ok: false, message: 'This button does not carry a request I know.' } as const);
      if (!result.ok) message = result.message;
    } catch (error) {
      deps.logger.error(
        { module: 'action', err: String(error), user: body.user.id, requestId },
        'click failed',
      );
      message =
        'Something went wrong on my side while handling that click. Check the message before trying again.';
    }
    if (message && channelId) await deps.slack.postEphemeral(channelId, body.user.id, message);
  };
}
