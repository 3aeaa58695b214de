import { z } from 'zod';
import { USER_ID_PATTERN } from '../../../core/ids.ts';

/**
 * The fields a campaign action request takes over HTTP, checked the same way by every door that takes them (the
 * runbook API's body, an agent's `request_campaign_action`). Only their shape here: the action's value, the ids,
 * groups and reasons are the core's to judge, as for every door.
 */
export const requestFields = {
  /** Campaign ids, or MoEngage dashboard links (each stands for its campaign). */
  campaign_ids: z.array(z.string().max(500)).min(1).max(10_000),
  group: z.string().min(1).max(64),
  reason: z.string().trim().min(1).max(500),
  channel_id: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel id (C…)'),
  /** A Slack user the caller says it acts for: shown and audited, never trusted as the asker. */
  on_behalf_of: z.string().regex(USER_ID_PATTERN, 'must be a Slack user id (U…)'),
  /** A PAUSE for a while: `2h`, `30m`, `1d`, `1h30m`. */
  pause_for: z.string().max(16),
  /** Check everything and say what would be proposed; nothing is posted, stored or sent to MoEngage. */
  dry_run: z.boolean(),
  /** The incident this is for: shown on the confirmation and in the audit trail. */
  incident: z.strictObject({
    id: z.string().trim().min(1).max(100),
    url: z
      .url({ protocol: /^https$/ })
      .max(500)
      .optional(),
  }),
};
