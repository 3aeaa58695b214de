import type { CampaignAction } from '../../core/actions.ts';
import { type CampaignInfo, lookupCounts, type RequestLookup } from '../../core/campaign-info.ts';
import type { CampaignActionRequest } from '../../core/request.ts';
import { packLines, plural, type SlackMessage, section, VERB } from './blocks.ts';
import { escapeMrkdwn, nameText, quoteUserText } from './mrkdwn.ts';

/**
 * Campaigns as MoEngage's search shows them: the lines of a looked-up confirmation, its summary line, the table
 * in the thread of a long list, and `/campaign status`. Pure.
 */

/** Up to this many ids, the confirmation shows each campaign's line; past it, counts (and the thread a table). */
export const TABLE_ON_MESSAGE = 15;

export type DoneLookup = Extract<RequestLookup, { state: 'done' }>;

/** "`id` *Black Friday push* · push · periodic · active", and why it will not be sent if it is flagged. */
export function campaignLine(action: CampaignAction, id: string, lookup: DoneLookup): string {
  const info = lookup.campaigns[id];
  const flag = lookup.flagged[id];
  const what = info
    ? ` *${nameText(info.name)}* · ${[info.channel, info.deliveryType, info.status]
        .filter((x): x is string => Boolean(x))
        .map((x) => escapeMrkdwn(x.toLowerCase().replace(/_/g, '-')))
        .join(' · ')}`
    : '';
  const icon = flag ? (flag.flag === 'already' ? ':ballot_box_with_check:' : ':warning:') : VERB[action].icon;
  const note = flag ? ` — _${escapeMrkdwn(flag.reason)}: not sent_` : '';
  return `${icon} \`${escapeMrkdwn(id)}\`${what}${note}`;
}

/** What the look before confirming found, in one line under the ids (or the note that there is none). */
export function lookupLine(request: CampaignActionRequest): string | undefined {
  const lookup = request.lookup;
  if (!lookup) return undefined;
  if (lookup.state === 'pending') {
    const eta =
      lookup.etaMs === undefined
        ? ''
        : ` (about ${lookup.etaMs >= 90_000 ? `${Math.round(lookup.etaMs / 60_000)} min` : `${Math.round(lookup.etaMs / 1000)} s`} at MoEngage's search limits; Confirm need not wait for it)`;
    return `:mag: Looking these campaigns up in MoEngage…${eta}`;
  }
  if (lookup.state === 'unavailable')
    return `:grey_question: ${quoteUserText(lookup.note, 300)}; Confirm applies to every id listed.`;
  const flagged = Object.keys(lookup.flagged).length;
  const counts = lookupCounts(request.campaignIds, lookup)
    .map(({ label, n }) => `${n} ${escapeMrkdwn(label)}`)
    .join(', ');
  const long = request.campaignIds.length > TABLE_ON_MESSAGE;
  const apart =
    flagged > 0
      ? `; ${plural(flagged, 'flagged id')} ${flagged === 1 ? 'is' : 'are'} not sent${long ? ' (listed in the thread)' : ''}`
      : '';
  return `:mag: In MoEngage: ${counts}${apart}.`;
}

/**
 * For a long list, in the thread: every flagged campaign (what will not be sent, and why), then the others as
 * the lookup found them, up to a hundred (the rest counted by status), so a 1,000-id request does not bury the
 * channel under ten replies.
 */
export function lookupReplies(request: CampaignActionRequest): SlackMessage[] {
  const lookup = request.lookup;
  if (lookup?.state !== 'done' || request.campaignIds.length <= TABLE_ON_MESSAGE) return [];
  const flagged = request.campaignIds.filter((id) => lookup.flagged[id]);
  const rest = request.campaignIds.filter((id) => !lookup.flagged[id]);
  const shownRest = rest.slice(0, OTHERS_IN_THREAD);
  const lines = [...flagged, ...shownRest].map((id) => campaignLine(request.action, id, lookup));
  const more = rest.length - shownRest.length;
  if (more > 0) {
    const counts = new Map<string, number>();
    for (const id of rest.slice(OTHERS_IN_THREAD)) {
      const status = lookup.campaigns[id]?.status.toLowerCase() ?? 'unknown';
      counts.set(status, (counts.get(status) ?? 0) + 1);
    }
    const byStatus = [...counts].map(([status, n]) => `${n} ${escapeMrkdwn(status)}`).join(', ');
    lines.push(`_…and ${more} more to send (${byStatus})_`);
  }
  const sections = packLines(lines);
  const replies: SlackMessage[] = [];
  for (let i = 0; i < sections.length; i += 3) {
    replies.push({
      text: `The ${request.campaignIds.length} campaigns as MoEngage shows them (${flagged.length} flagged, not sent)`,
      blocks: sections.slice(i, i + 3).map(section),
    });
  }
  return replies;
}

/** Unflagged campaigns listed in the thread of a long request; past it they are counted. */
const OTHERS_IN_THREAD = 100;

/** `/campaign status`: each campaign as MoEngage has it, counted by status, within one ephemeral message. */
export function campaignStatusText(ids: readonly string[], found: ReadonlyMap<string, CampaignInfo>): string {
  const counts = new Map<string, number>();
  for (const id of ids) {
    const status = found.get(id)?.status.toLowerCase() ?? 'unknown';
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  const head = `*${plural(ids.length, 'campaign')} in MoEngage:* ${[...counts]
    .map(([status, n]) => `${n} ${escapeMrkdwn(status)}`)
    .join(', ')}`;
  const lines = ids.map((id) => {
    const info = found.get(id);
    if (!info) return `• \`${escapeMrkdwn(id)}\` — _MoEngage has no campaign with this id_`;
    const facts = [info.channel, info.deliveryType]
      .filter((x): x is string => Boolean(x))
      .map((x) => escapeMrkdwn(x.toLowerCase().replace(/_/g, '-')));
    return `• \`${escapeMrkdwn(id)}\` *${nameText(info.name)}* · ${[...facts, `*${escapeMrkdwn(info.status.toLowerCase())}*`].join(' · ')}`;
  });
  const [shown = ''] = packLines(lines, 2_700);
  const count = shown.split('\n').length;
  const more = ids.length > count ? `\n_…and ${ids.length - count} more_` : '';
  return `${head}\n${shown}${more}`;
}
