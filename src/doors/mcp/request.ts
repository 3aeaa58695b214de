import { z } from 'zod';
import { CAMPAIGN_ACTIONS } from '../../core/actions.ts';
import { type PauseFor, parsePauseFor } from '../../core/pause-for.ts';
import { approvalProgress, type CampaignActionRequest } from '../../core/request.ts';
import { requestFields } from '../http/kit/fields.ts';
import { describe, dryRunView } from '../http/kit/resource.ts';
import { answer, failed, refused } from './results.ts';
import { defineTool, type Tool, type ToolCall, type ToolDeps } from './tool.ts';

/**
 * The tools that ask for a change and follow it: `request_campaign_action` proposes exactly as a person's
 * `/campaign pause` does (the same checks, the same policy, the same confirmation in the channel, naming the
 * agent), and answers once the confirmation is up; people approve in Slack, never the agent. `get_request` says how
 * it went, waiting a while if asked.
 */

/** The longest `get_request` waits: what clients' own request timeouts allow (the runbook API's `Prefer: wait`). */
export const MAX_WAIT_SECONDS = 25;

const QUOTES = /["“”„]/g;

export function requestTools(deps: ToolDeps): Tool[] {
  const { lifecycle, logger } = deps;

  const requestCampaignAction = defineTool(
    {
      name: 'request_campaign_action',
      title: 'Ask people to pause, resume or stop MoEngage campaigns',
      description:
        'Proposes a campaign change in a Slack channel; it runs only once the people the access policy names approve it there (a STOP needs two). You can never approve it yourself, nor can the person you say you act for. Answers with the request id and a link to the confirmation; follow it with get_request. Give campaign_ids (ids or dashboard links) and/or names (each must match one campaign: find_campaigns first), or a group. dry_run checks everything and proposes nothing.',
      input: {
        action: z.enum(CAMPAIGN_ACTIONS),
        campaign_ids: requestFields.campaign_ids
          .optional()
          .describe('MoEngage campaign ids or dashboard links.'),
        names: z
          .array(z.string().trim().min(1).max(120))
          .min(1)
          .max(20)
          .optional()
          .describe('Campaign names (or parts of one), each matching exactly one campaign.'),
        group: requestFields.group.optional().describe('A campaign group of the bot, alone.'),
        channel_id: requestFields.channel_id.describe('The Slack channel (C…) where people will confirm it.'),
        reason: requestFields.reason.describe('Why, in a sentence people will read on the confirmation.'),
        incident: requestFields.incident.optional().describe('The incident this is for (id, https url).'),
        on_behalf_of: requestFields.on_behalf_of
          .optional()
          .describe('The Slack user (U…) you act for: shown as not verified; they cannot approve it.'),
        pause_for: requestFields.pause_for
          .optional()
          .describe('PAUSE only: resume after this long (2h, 30m, 1d, 1h30m), once approved.'),
        dry_run: requestFields.dry_run.optional().describe('Check everything; propose nothing.'),
      },
      output: {
        status: z.enum(['awaiting_approval', 'running', 'dry_run']),
        request_id: z.string().optional(),
        approval_url: z.string().nullable().optional(),
        approvals_needed: z.number().int().optional(),
        campaign_ids: z.array(z.string()),
        expires_at: z.string().optional(),
        would_propose: z.record(z.string(), z.unknown()).optional(),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      async run(args, call) {
        const { group, campaign_ids, names } = args;
        if (
          group !== undefined ? campaign_ids !== undefined || names !== undefined : !campaign_ids && !names
        ) {
          return failed(
            'invalid_request',
            'Give campaign_ids and/or names, or a group alone.',
            group !== undefined ? 'group' : 'campaign_ids',
          );
        }
        let schedule: PauseFor | undefined;
        if (args.pause_for !== undefined) {
          const read = parsePauseFor('for', args.pause_for, deps.now(), deps.timeZone);
          if (!read.ok)
            return failed('invalid_request', `pause_for: ${read.message.replace(/`/g, '')}`, 'pause_for');
          schedule = read.pauseFor;
        }
        // A name goes in as the quoted token every door uses (core/campaign-refs.ts): the catalog reads it.
        const ids =
          group !== undefined
            ? [`group:${group}`]
            : [...(campaign_ids ?? []), ...(names ?? []).map((n) => `"${n.replace(QUOTES, '')}"`)];
        const outcome = await lifecycle.propose(
          {
            actor: call.actor,
            action: args.action,
            ids,
            reason: args.reason,
            channelId: args.channel_id,
            origin: { kind: 'mcp', onBehalfOf: args.on_behalf_of, incident: args.incident },
            schedule,
          },
          { dryRun: args.dry_run === true },
        );
        if (outcome.kind === 'dry_run') {
          const would = dryRunView(outcome.request);
          return answer({ status: 'dry_run', campaign_ids: would.campaign_ids, would_propose: would });
        }
        if (outcome.kind !== 'proposed' && outcome.kind !== 'running') return refused(outcome);
        return answer(proposedView(outcome.request, outcome.kind));
      },
    },
    logger,
  );

  const getRequest = defineTool(
    {
      name: 'get_request',
      title: 'How a campaign request went',
      description: `A request you made (or one asked in a channel where you may ask): pending, cancelled, expired, running or completed, who approved it, and once run the outcome per campaign (applied, already, skipped, failed, uncertain: "may have been applied, check in MoEngage"). wait_seconds (at most ${MAX_WAIT_SECONDS}) waits for it to settle first.`,
      input: {
        request_id: z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'a request id from request_campaign_action'),
        wait_seconds: z.number().int().min(0).max(MAX_WAIT_SECONDS).optional(),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      async run({ request_id, wait_seconds }, call) {
        // Another's request, or one the policy does not let this agent read, is "no such request" alike.
        const found = await lifecycle.read(request_id, call.actor);
        if (found.kind !== 'request') return refused(found);
        const request =
          wait_seconds && !settled(found.request)
            ? ((await waitFor(call, request_id, wait_seconds)) ?? found.request)
            : found.request;
        return answer({ ...describe(request), settled: settled(request) });
      },
    },
    logger,
  );

  /**
   * Waits (within the bounds of the gate) for the request to settle; past them, or when the server needs the
   * socket back, the answer is the state as it is, at once, never an error.
   */
  async function waitFor(call: ToolCall, id: string, seconds: number) {
    const release = deps.gate.enter(call.agent);
    if (!release) return undefined;
    try {
      return await call.req.waiting((signal) => lifecycle.settled(id, seconds * 1000, signal));
    } finally {
      release();
    }
  }

  return [requestCampaignAction, getRequest];
}

/** A request with nothing more to come: decided other than confirmed, or confirmed and run. */
function settled(r: CampaignActionRequest): boolean {
  return r.state === 'cancelled' || r.state === 'expired' || (r.state === 'confirmed' && !!r.result);
}

/** What `request_campaign_action` answers once the confirmation is up: where to approve it, and how many must. */
function proposedView(r: CampaignActionRequest, kind: 'proposed' | 'running') {
  const { n, of } = approvalProgress(r);
  return {
    request_id: r.id,
    status: kind === 'proposed' ? 'awaiting_approval' : 'running',
    approval_url: r.messageTs ? messageLink(r.channelId, r.messageTs) : null,
    approvals_needed: kind === 'proposed' ? of - n : 0,
    campaign_ids: r.campaignIds,
    expires_at: new Date(r.expiresAt).toISOString(),
  };
}

/** A Slack message's link: Slack opens it in the workspace the reader is signed in to. */
function messageLink(channel: string, ts: string): string {
  return `https://slack.com/archives/${channel}/p${ts.replace('.', '')}`;
}
