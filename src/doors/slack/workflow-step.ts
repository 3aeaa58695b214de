import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { Logger } from 'pino';
import { splitTokens } from '../../core/campaign-refs.ts';
import { USER_ID_PATTERN } from '../../core/ids.ts';
import { plainWords } from '../../core/outcome-words.ts';
import type { Deduper } from '../../core/ports.ts';
import type { Lifecycle } from '../../lifecycle/contract.ts';
import { errorText } from '../../lifecycle/error-text.ts';
import { type FailureWords, failureText, firstDelivery } from './respond.ts';

export const WORKFLOW_STEP_ID = 'change_campaign_status';
/** The step's parameters; manifest.yml declares exactly these (a test checks). */
export const WORKFLOW_INPUTS = ['action', 'campaign_ids', 'reason', 'channel_id', 'requested_by'] as const;
export { WORKFLOW_OUTPUTS } from '../../slack/views/step-outputs.ts';

export interface WorkflowStepDeps {
  lifecycle: Pick<Lifecycle, 'propose'>;
  dedupe: Deduper;
  logger: Logger;
  /** How long the step's token works from its function_executed (Slack: 15 min); tests shorten it. */
  tokenLifeMs?: number;
}

/** What the step's failure says in Workflow Builder's run history. */
const STEP_FAILED: FailureWords = {
  could: 'record the request',
  unchanged: 'Nothing was proposed and nothing was sent to MoEngage; run the workflow again in a moment',
  unknown: 'Look in the channel before running the workflow again',
};

/** Slack's life of a Workflow step's token: 15 minutes from when it is issued, or until the step is finished. */
export const STEP_TOKEN_LIFE_MS = 15 * 60_000;

/**
 * Workflow Builder step "Change MoEngage campaign status": the same request a person's command makes, through
 * the same policy (the person who ran the workflow must be allowed), the same confirmation in the channel, and
 * the same execution. Nothing waits here: the confirmation is posted with the step's token, so a click on it
 * brings a fresh one (Slack's function-scoped interactivity), kept with the request; whichever replica settles
 * the request (the run's end, a cancel, the expiry) finishes the step with it (src/slack/notifier.ts). A
 * refusal fails the step at once, and so does anything that goes wrong here, the bot's own storage included.
 */
export function createWorkflowStep(deps: WorkflowStepDeps) {
  const log = deps.logger.child({ module: 'workflow-step' });
  return async ({
    inputs,
    fail,
    body,
  }: SlackEventMiddlewareArgs<'function_executed'> & AllMiddlewareArgs) => {
    const eventId = (body as { event_id?: string }).event_id;
    const failWith = (error: string) =>
      fail({ error }).catch((e: unknown) => log.warn({ err: String(e) }, 'could not fail the step'));
    try {
      if (eventId && !(await firstDelivery(deps.dedupe, `event:${eventId}`, log))) return;
      const event = (body as { event?: { function_execution_id?: unknown; bot_access_token?: unknown } })
        .event;
      const executionId = typeof event?.function_execution_id === 'string' ? event.function_execution_id : '';
      const token = typeof event?.bot_access_token === 'string' ? event.bot_access_token : '';
      const text = (name: (typeof WORKFLOW_INPUTS)[number]) =>
        typeof inputs[name] === 'string' ? (inputs[name] as string).trim() : '';
      const tokenUntil = (eventTimeMs(body) ?? Date.now()) + (deps.tokenLifeMs ?? STEP_TOKEN_LIFE_MS);
      const step = executionId && token ? { executionId, token, tokenUntil } : undefined;
      const proposed = await deps.lifecycle.propose({
        actor: { kind: 'user', id: userContextId(inputs.requested_by) },
        action: text('action'),
        // Ids, group:NAME, dashboard links and "quoted names", as the slash command takes them.
        ids: splitTokens(text('campaign_ids')),
        reason: text('reason') || undefined,
        channelId: text('channel_id'),
        origin: { kind: 'workflow_step', step },
      });
      if (proposed.kind !== 'proposed' && proposed.kind !== 'running') {
        await failWith(plainWords(proposed));
        return;
      }
      log.info({ requestId: proposed.request.id, executionId }, 'workflow step waits on its request');
    } catch (error) {
      // The step's error boundary: Slack shows the step as failed instead of leaving it hanging.
      log.error({ err: errorText(error) }, 'workflow step failed');
      await failWith(failureText(error, STEP_FAILED));
    }
  };
}

/** When Slack sent the function_executed (its token's life runs from then), as epoch ms. */
function eventTimeMs(body: unknown): number | undefined {
  const t = (body as { event_time?: unknown }).event_time;
  return typeof t === 'number' && Number.isFinite(t) ? t * 1000 : undefined;
}

/**
 * `requested_by` is a `slack#/types/user_context`: Slack fills it with the person who ran the workflow and a
 * builder cannot type someone else in (a plain user_id input could name anyone, and so pass the policy or the
 * requester-may-not-approve rule in their name). Anything else yields no user, which the policy refuses.
 */
function userContextId(value: unknown): string {
  const id = (value as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' && USER_ID_PATTERN.test(id) ? id : 'unknown-user';
}
