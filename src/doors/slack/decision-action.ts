import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Actor } from '../../auth/authorize.ts';
import type { Outcome } from '../../core/outcomes.ts';
import type { Deduper } from '../../core/ports.ts';
import type { StepToken } from '../../lifecycle/contract.ts';
import type { SlackPort } from '../../slack/port.ts';
import { outcomeText } from '../../slack/views/outcome-text.ts';
import { type FailureWords, firstDelivery, guarded } from './respond.ts';
import { STEP_TOKEN_LIFE_MS } from './workflow-step.ts';

export interface DecisionActionDeps {
  /** Confirm or Cancel: which words a failure is told in. */
  kind: 'confirm' | 'cancel';
  /** `lifecycle.approve` or `lifecycle.cancel`. */
  decide: (requestId: string, actor: Actor, seenTs?: string, step?: StepToken) => Promise<Outcome>;
  /** How long the fresh step token a click brings works (Slack: 15 min); tests shorten it. */
  stepTokenLifeMs?: number;
  slack: Pick<SlackPort, 'postEphemeral'>;
  logger: Logger;
  /** Drops a repeated delivery of the same click (same trigger_id), across replicas. */
  dedupe?: Deduper;
  /** A click on the Home tab has no channel to answer in: its Home is drawn again with the answer on it. */
  homeNotice?: (userId: string, text: string | undefined) => Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9-]{8,64}$/;

/** A click that failed before its decision was recorded (the storage refused it) changed nothing: said so. */
export const DECISION_FAILED: Record<DecisionActionDeps['kind'], FailureWords> = {
  confirm: {
    could: 'record your approval',
    unchanged: 'Nothing was sent to MoEngage; press Confirm again in a moment',
    unknown: 'Check the message before trying again',
  },
  cancel: {
    could: 'record your cancel',
    unchanged: 'The request is unchanged; press Cancel again in a moment',
    unknown: 'Check the message before trying again',
  },
};

/** Slack's function-scoped interactivity: a click on a Workflow step's message names the step, with a fresh token. */
function stepOf(body: unknown, lifeMs = STEP_TOKEN_LIFE_MS): StepToken | undefined {
  const b = body as { function_data?: { execution_id?: unknown }; bot_access_token?: unknown };
  const executionId = b.function_data?.execution_id;
  const token = b.bot_access_token;
  if (typeof executionId !== 'string' || typeof token !== 'string') return undefined;
  return { executionId, token, tokenUntil: Date.now() + lifeMs };
}

/**
 * A Confirm or Cancel click. Acknowledged at once; the lifecycle decides (single-use, whoever is first) and
 * what the person needs to know (a refusal, an approval counted) is shown only to them.
 */
export function createDecisionAction(deps: DecisionActionDeps) {
  const log = deps.logger.child({ module: 'action' });
  return async ({ ack, body, action }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs) => {
    await ack();
    const channelId = body.channel?.id ?? body.container?.channel_id;
    const requestId = action.value ?? '';
    const onHome = (body.container as { type?: string } | undefined)?.type === 'view';
    const tell = async (text: string) => {
      if (onHome) await deps.homeNotice?.(body.user.id, text);
      else if (channelId) await deps.slack.postEphemeral(channelId, body.user.id, text);
    };
    await guarded(log, tell, DECISION_FAILED[deps.kind], async () => {
      if (!(await firstDelivery(deps.dedupe, `click:${body.trigger_id}`, log))) return undefined;
      if (!REQUEST_ID.test(requestId)) return 'This button does not carry a request I know.';
      const seenTs = body.container?.message_ts ?? body.message?.ts;
      const step = stepOf(body, deps.stepTokenLifeMs);
      const text = outcomeText(
        await deps.decide(requestId, { kind: 'user', id: body.user.id }, seenTs, step),
      );
      // On the Home tab the buttons must reflect the click at once, with or without words for it.
      if (onHome && text === undefined) await deps.homeNotice?.(body.user.id, undefined);
      return text;
    });
  };
}
