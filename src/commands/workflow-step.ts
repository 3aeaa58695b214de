import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { Logger } from 'pino';
import type { CampaignGroups } from '../groups.ts';
import { CAMPAIGN_ACTIONS, type CampaignAction } from '../moengage/types.ts';
import type { Deduper } from '../requests/dedupe.ts';
import type { Lifecycle } from '../requests/lifecycle.ts';
import type { CampaignActionRequest } from '../requests/model.ts';
import { plainText } from '../slack/mrkdwn.ts';
import { buildRequest, expandIds } from './parse.ts';

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
  lifecycle: Pick<Lifecycle, 'propose' | 'get'>;
  groups: CampaignGroups;
  maxCampaignsPerCommand: number;
  requireReasonFor: readonly string[];
  dedupe: Deduper;
  logger: Logger;
  /** How often the step checks whether its request has been decided and run (any replica may run it). */
  pollMs?: number;
  /** Give up waiting after this long (the confirmation's TTL plus the time a run may take). */
  waitMs: number;
}

/**
 * Workflow Builder step "Change MoEngage campaign status": the same request a person's command makes, through
 * the same policy (the person who ran the workflow must be allowed), the same confirmation in the channel, and
 * the same execution; the step completes with per-campaign outputs once the request has run, or fails cleanly.
 */
export function createWorkflowStep(deps: WorkflowStepDeps) {
  const log = deps.logger.child({ module: 'workflow-step' });
  const pollMs = deps.pollMs ?? 1_000;
  return async ({
    inputs,
    complete,
    fail,
    body,
  }: SlackEventMiddlewareArgs<'function_executed'> & AllMiddlewareArgs) => {
    const eventId = (body as { event_id?: string }).event_id;
    if (eventId && !(await deps.dedupe.firstTime(`event:${eventId}`))) return;
    const text = (name: (typeof WORKFLOW_INPUTS)[number]) =>
      typeof inputs[name] === 'string' ? (inputs[name] as string).trim() : '';
    const action = text('action').toUpperCase();
    if (!(CAMPAIGN_ACTIONS as readonly string[]).includes(action)) {
      await fail({ error: `action must be one of ${CAMPAIGN_ACTIONS.join(', ')}` });
      return;
    }
    const expanded = expandIds(
      text('campaign_ids')
        .split(/[\s,]+/)
        .filter(Boolean),
      deps.groups,
    );
    const checked =
      'message' in expanded
        ? ({ kind: 'error', message: expanded.message } as const)
        : buildRequest(action as CampaignAction, expanded.ids, text('reason') || undefined, {
            maxIds: deps.maxCampaignsPerCommand,
            requireReasonFor: deps.requireReasonFor,
          });
    if (checked.kind !== 'request') {
      await fail({ error: plainText(checked.kind === 'error' ? checked.message : 'invalid input') });
      return;
    }
    const proposed = await deps.lifecycle.propose({
      action: checked.action,
      campaignIds: checked.campaignIds,
      reason: checked.reason,
      requestedBy: userContextId(inputs.requested_by),
      channelId: text('channel_id'),
      source: 'workflow_step',
    });
    if (!proposed.ok) {
      await fail({ error: plainText(proposed.message) });
      return;
    }
    const final = await waitForOutcome(deps.lifecycle, proposed.value.id, pollMs, deps.waitMs);
    if (!final || final.state === 'pending') {
      await fail({ error: 'the request was not confirmed in time' });
    } else if (final.state !== 'confirmed' || !final.result) {
      await fail({
        error: `the request was ${final.state}${final.decidedBy ? ` by ${final.decidedBy}` : ''}; nothing changed`,
      });
    } else {
      const r = final.result;
      log.info({ requestId: final.id, applied: r.applied, failed: r.failed }, 'workflow step completed');
      const outputs: Record<(typeof WORKFLOW_OUTPUTS)[number], string | number> = {
        summary: `${r.applied} applied, ${r.failed} failed`,
        applied_count: r.applied,
        failed_count: r.failed,
        results: r.outcomes
          .map((o) => `${o.campaignId}: ${o.status}${o.error ? ` — ${o.error}` : ''}`)
          .join('\n'),
        request_id: final.id,
      };
      await complete({ outputs });
    }
  };
}

async function waitForOutcome(
  lifecycle: Pick<Lifecycle, 'get'>,
  id: string,
  pollMs: number,
  waitMs: number,
): Promise<CampaignActionRequest | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const r = await lifecycle.get(id);
    if (!r || (r.state !== 'pending' && (r.state !== 'confirmed' || r.result))) return r;
    if (Date.now() > deadline) return r;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * `requested_by` is a `slack#/types/user_context`: Slack fills it with the person who ran the workflow and a
 * builder cannot type someone else in (a plain user_id input could name anyone, and so pass the allowlist or
 * the second-approver rule in their name). Anything else yields no user, which the policy refuses.
 */
function userContextId(value: unknown): string {
  const id = (value as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' && /^[UW][A-Z0-9]{2,}$/.test(id) ? id : 'unknown-user';
}
