import { z } from 'zod';
import { linkToId } from '../../core/campaign-refs.ts';
import { scopeToken } from '../../core/freeze.ts';
import { parseSince } from '../../core/history.ts';
import { requestFields } from '../http/kit/fields.ts';
import { answer, campaignView, failed, refused } from './results.ts';
import { defineTool, type Tool, type ToolDeps } from './tool.ts';

/**
 * The tools that read and change nothing: campaigns by name (the catalog), campaigns' state now (MoEngage's
 * search), the freezes that hold, and who asked for what (the audit trail). Each under the same policy as a
 * person's `/campaign status` or `history` in that channel: an agent sees what it could ask about there.
 */

const channel_id = requestFields.channel_id.describe(
  'The Slack channel (C…) you work in: the access policy grants you actions per channel.',
);
const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

const campaignShape = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  channel: z.string().nullable(),
  delivery_type: z.string().nullable(),
  flow: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
});

export function readTools(deps: ToolDeps): Tool[] {
  const { lifecycle, logger } = deps;

  const findCampaigns = defineTool(
    {
      name: 'find_campaigns',
      title: 'Find MoEngage campaigns by name',
      description:
        "Finds MoEngage campaigns whose names match the query (words in any order, case and accents aside; live campaigns first), from the bot's catalog of the workspace. A dashboard link finds its campaign. Each has its id, name, status, channel (PUSH, EMAIL, …), delivery type and flow. Use the ids (or the exact names) with request_campaign_action.",
      input: {
        query: z.string().trim().min(1).max(200).describe('Part of a campaign name, or a dashboard link.'),
        channel_id,
        limit: z.number().int().min(1).max(25).optional().describe('At most this many (default 10).'),
      },
      output: { campaigns: z.array(campaignShape), catalog_loading: z.boolean() },
      annotations: READ_ONLY,
      async run({ query, channel_id, limit }, call) {
        const found = await lifecycle.findCampaigns({
          actor: call.actor,
          channelId: channel_id,
          query,
          limit: limit ?? 10,
        });
        if (found.kind === 'catalog_off') {
          return failed(
            'catalog_off',
            'The campaign catalog is off where this bot runs (CAMPAIGN_CATALOG or CAMPAIGN_LOOKUP): give campaign ids or dashboard links.',
          );
        }
        if (found.kind !== 'campaigns') return refused(found);
        return answer({ campaigns: found.entries.map(campaignView), catalog_loading: found.loading });
      },
    },
    logger,
  );

  const getCampaigns = defineTool(
    {
      name: 'get_campaigns',
      title: 'Get campaigns as MoEngage shows them now',
      description:
        "Looks campaigns up in MoEngage now (its campaign search): name, status, channel, delivery type, flow; `found: false` for an id MoEngage does not know. Give campaign_ids (ids or dashboard links) or a group (a named list of the bot's). Changes nothing.",
      input: {
        campaign_ids: requestFields.campaign_ids
          .max(100)
          .optional()
          .describe('Campaign ids or dashboard links.'),
        group: requestFields.group
          .optional()
          .describe('A campaign group of the bot (instead of campaign_ids).'),
        channel_id,
      },
      output: {
        campaigns: z.array(
          z.union([
            campaignShape.extend({ found: z.literal(true) }),
            z.object({ id: z.string(), found: z.literal(false) }),
          ]),
        ),
      },
      annotations: { ...READ_ONLY, openWorldHint: true },
      async run({ campaign_ids, group, channel_id }, call) {
        if ((campaign_ids === undefined) === (group === undefined)) {
          return failed('invalid_request', 'Give exactly one of campaign_ids or group.', 'campaign_ids');
        }
        const ids = group !== undefined ? [`group:${group}`] : (campaign_ids ?? []).map(linkToId);
        const got = await lifecycle.status({ actor: call.actor, ids, channelId: channel_id });
        switch (got.kind) {
          case 'campaign_status':
            return answer({
              campaigns: got.ids.map((id) => {
                const info = got.found.get(id);
                return info ? { ...campaignView(info), found: true } : { id, found: false };
              }),
            });
          case 'lookup_off':
            return failed(
              'lookup_off',
              "MoEngage's campaign search is off where this bot runs (CAMPAIGN_LOOKUP=off).",
            );
          case 'lookup_unavailable':
            return failed('lookup_unavailable', `MoEngage's campaign search did not answer: ${got.message}`);
          default:
            return refused(got);
        }
      },
    },
    logger,
  );

  const listFreezes = defineTool(
    {
      name: 'list_freezes',
      title: 'List the freezes that hold',
      description:
        'The freezes on now (`/campaign freeze`: every active campaign of a scope paused, and the scope held so no second freeze of it starts): scope (all, group:NAME or channel:EMAIL), state, how many campaigns, who asked. Changes nothing.',
      input: { channel_id },
      annotations: READ_ONLY,
      async run({ channel_id }, call) {
        const got = await lifecycle.freezes({ actor: call.actor, channelId: channel_id });
        if (got.kind !== 'freezes') return refused(got);
        return answer({
          freezes: got.freezes.map((f) => ({
            request_id: f.id,
            scope: f.freeze ? scopeToken(f.freeze.scope) || 'all' : 'all',
            state: f.result ? 'paused' : f.state === 'pending' ? 'awaiting_approval' : 'running',
            campaigns: f.campaignIds.length,
            requested_by: f.requestedBy,
            channel_id: f.channelId,
            created_at: new Date(f.createdAt).toISOString(),
          })),
        });
      },
    },
    logger,
  );

  const history = defineTool(
    {
      name: 'history',
      title: 'Who asked for what, and how it ended',
      description:
        'The requests of the audit trail, newest first: who asked, who approved and confirmed, how it ended. For campaign_ids or a group; with neither, your own requests. `since` is how far back (30m, 12h, 7d; default 7d). Changes nothing.',
      input: {
        campaign_ids: requestFields.campaign_ids
          .max(1_000)
          .optional()
          .describe('Campaign ids or dashboard links.'),
        group: requestFields.group.optional(),
        channel_id,
        since: z.string().max(8).optional().describe('How far back: 30m, 12h, 7d (default 7d).'),
      },
      annotations: READ_ONLY,
      async run({ campaign_ids, group, channel_id, since }, call) {
        if (campaign_ids !== undefined && group !== undefined) {
          return failed('invalid_request', 'Give campaign_ids or group, not both.', 'campaign_ids');
        }
        const sinceMs = parseSince(since ?? '7d');
        if (sinceMs === undefined) return failed('invalid_request', 'since: 30m, 12h or 7d, say.', 'since');
        const ids =
          group !== undefined
            ? [`group:${group}`]
            : campaign_ids
              ? campaign_ids.map(linkToId)
              : ('me' as const);
        const got = await lifecycle.history({ actor: call.actor, ids, channelId: channel_id, sinceMs });
        if (got.kind === 'history_unavailable') {
          return failed(
            'history_unavailable',
            'The audit trail is not kept where this bot runs (no SQLite or Redis).',
          );
        }
        if (got.kind !== 'history') return refused(got);
        return answer({
          total: got.total,
          requests: got.entries.map((e) => ({
            request_id: e.requestId,
            action: e.action,
            channel_id: e.channel,
            requested_by: e.requestedBy,
            reason: e.reason ?? null,
            campaign_ids: e.campaignIds,
            requested_at: new Date(e.requestedAt).toISOString(),
            approved_by: e.approvedBy,
            confirmed_by: e.confirmedBy ?? null,
            end:
              e.end.kind === 'open' ? { kind: 'open' } : { ...e.end, at: new Date(e.end.at).toISOString() },
          })),
        });
      },
    },
    logger,
  );

  return [findCampaigns, getCampaigns, listFreezes, history];
}
