import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { Logger } from 'pino';
import { USER_ID_PATTERN } from '../core/ids.ts';
import { plainWords } from '../core/outcome-words.ts';
import type { Lifecycle } from '../lifecycle/lifecycle.ts';
import type { Deduper } from '../requests/dedupe.ts';

export const WORKFLOW_STEP_ID = 'change_campaign_status';
/** The step's parameters; manifest.yml declares exactly these (a test checks). */
export const WORKFLOW_INPUTS = ['action', 'campaign_ids', 'reason', 'channel_id', 'requested_by'] as const;
export const WORKFLOW_OUTPUTS = [
  'summary',
  'applied_count',
  'failed_count',
  'results',
  'request_id',
] as const;

export interface WorkflowStepDeps {
  lifecycle: Pick<Lifecycle, 'propose' | 'settled'>;
  dedupe: Deduper;
  logger: Logger;
  /** Give up waiting after this long (the confirmation's TTL plus the time a run may take). */
  waitMs: number;
  /** How long the step's token works from its function_executed (Slack: 15 min); tests shorten it. */
  tokenLifeMs?: number;
}

/** Slack's life of a Workflow step's token: 15 minutes from function_executed, or until the step completes. */
export const STEP_TOKEN_LIFE_MS = 15 * 60_000;

/**
 * Workflow Builder step "Change MoEngage campaign status": the same request a person's command makes, through
 * the same policy (the person who ran the workflow must be allowed), the same confirmation in the channel, and
 * the same execution; the step completes with per-campaign outputs once the request has run, or fails with the
 * reason — whatever goes wrong, including the bot's own storage failing.
 */
export function createWorkflowStep(deps: WorkflowStepDeps) {
  const log = deps.logger.child({ module: 'workflow-step' });
  return async ({
    inputs,
    complete,
    fail,
    body,
  }: SlackEventMiddlewareArgs<'function_executed'> & AllMiddlewareArgs) => {
    const eventId = (body as { event_id?: string }).event_id;
    const failWith = (error: string) =>
      fail({ error }).catch((e: unknown) => log.warn({ err: String(e) }, 'could not fail the step'));
    try {
      if (eventId && !(await deps.dedupe.firstTime(`event:${eventId}`))) return;
      const text = (name: (typeof WORKFLOW_INPUTS)[number]) =>
        typeof inputs[name] === 'string' ? (inputs[name] as string).trim() : '';
      const proposed = await deps.lifecycle.propose({
        actor: { kind: 'user', id: userContextId(inputs.requested_by) },
        action: text('action'),
        ids: text('campaign_ids')
          .split(/[\s,]+/)
          .filter(Boolean),
        reason: text('reason') || undefined,
        channelId: text('channel_id'),
        source: 'workflow_step',
      });
      if (proposed.kind !== 'proposed' && proposed.kind !== 'running') {
        await failWith(plainWords(proposed));
        return;
      }
      // The step can be finished only while its token works: wait no longer than that, less a margin, and then
      // fail it with the reason, rather than leave it "In progress" with a token that no longer works.
      const life = deps.tokenLifeMs ?? STEP_TOKEN_LIFE_MS;
      const issuedAt = eventTimeMs(body) ?? Date.now();
      const budget = issuedAt + life - Math.min(60_000, life / 5) - Date.now();
      const final = await deps.lifecycle.settled(
        proposed.request.id,
        Math.max(0, Math.min(deps.waitMs, budget)),
      );
      const where = `<#${proposed.request.channelId}>`;
      if (!final || final.state === 'pending') {
        const until = new Date(proposed.request.expiresAt).toISOString().slice(11, 16);
        await failWith(
          budget < deps.waitMs
            ? `nobody confirmed within the ${Math.round(life / 60_000)} minutes Slack gives this step; the confirmation in ${where} stays open until ${until} UTC and still runs the request if someone confirms it, but this step has ended`
            : 'the request was not confirmed in time',
        );
      } else if (final.state === 'confirmed' && !final.result) {
        await failWith(
          `the run is still going after the ${Math.round(life / 60_000)} minutes Slack gives this step; every campaign's result will be in the thread of the confirmation in ${where}`,
        );
      } else if (final.state !== 'confirmed' || !final.result) {
        const by = final.decidedBy && final.decidedBy !== 'system' ? ` by ${final.decidedBy}` : '';
        await failWith(`the request was ${final.state}${by}; nothing changed`);
      } else {
        const r = final.result;
        log.info({ requestId: final.id, applied: r.applied, failed: r.failed }, 'workflow step completed');
        const apart = [
          r.already ? `${r.already} already so` : '',
          r.skipped ? `${r.skipped} not sent (flagged)` : '',
        ].filter(Boolean);
        const outputs: Record<(typeof WORKFLOW_OUTPUTS)[number], string | number> = {
          summary: [`${r.applied} applied`, ...apart, `${r.failed} failed`].join(', '),
          applied_count: r.applied,
          failed_count: r.failed,
          results: r.outcomes
            .map((o) => `${o.campaignId}: ${o.status}${o.error || o.note ? ` — ${o.error ?? o.note}` : ''}`)
            .join('\n'),
          request_id: final.id,
        };
        await complete({ outputs });
      }
    } catch (error) {
      // The step's error boundary: Slack shows the step as failed instead of leaving it hanging.
      log.error(
        { err: error instanceof Error ? `${error.name}: ${error.message}` : String(error) },
        'workflow step failed',
      );
      await failWith(
        'the campaign bot failed on its side (its storage or Slack did not answer); nothing was requested, or check the channel',
      );
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
