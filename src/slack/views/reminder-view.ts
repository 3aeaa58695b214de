import { approvalProgress, type CampaignActionRequest } from '../../core/request.ts';
import { plural, type SlackMessage, section } from './blocks.ts';
import { escapeMrkdwn, slackDate } from './mrkdwn.ts';

/** The thread replies that ask for an approval nobody gave: the reminder and the escalation. Pure. */

/** Someone in Slack to mention: a user `<@U…>`, a user group `<!subteam^S…>`; anything else, nothing. */
function principal(id: string): string | undefined {
  if (/^S[A-Z0-9]{2,}$/.test(id)) return `<!subteam^${id}>`;
  if (/^[UW][A-Z0-9]{2,}$/.test(id)) return `<@${id}>`;
  return undefined;
}

/** The reminder, in the thread, at half the confirmation's time: its approvers mentioned once (at most ten). */
export function nudgeReply(request: CampaignActionRequest): SlackMessage {
  const ids = [...new Set(request.grants.flatMap((g) => g.approvers ?? []))].filter(
    (id) => id !== request.requestedBy,
  );
  const who = ids
    .map(principal)
    .filter((m): m is string => m !== undefined)
    .slice(0, 10);
  const { n, of } = approvalProgress(request);
  const progress = of > 1 ? ` (${n} of ${of} approvals so far)` : '';
  const text = `:bell: Still waiting for approval${progress}; it expires at ${slackDate(request.expiresAt, '{time}')}.${who.length > 0 ? ` ${who.join(' ')}` : ''}`;
  return { text: 'Still waiting for approval', blocks: [section(text)] };
}

/** A STOP still waiting: the escalation group is told, once. */
export function escalationReply(request: CampaignActionRequest, to: string): SlackMessage {
  const minutes = Math.max(1, Math.round((Date.now() - request.createdAt) / 60_000));
  const group = principal(to) ?? escapeMrkdwn(to);
  const text = `:rotating_light: ${group} this STOP of ${plural(request.campaignIds.length, 'campaign')} has waited ${minutes} min for approval; it expires at ${slackDate(request.expiresAt, '{time}')}.`;
  return { text: 'A STOP is waiting for approval', blocks: [section(text)] };
}
