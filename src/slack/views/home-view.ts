import { scopeText } from '../../core/freeze.ts';
import type { HomeData } from '../../core/home.ts';
import { approvalProgress } from '../../core/request.ts';
import { type Block, context, mention, plural, section, VERB } from './blocks.ts';
import { freezeState, unfreezeCommand } from './freeze-view.ts';
import { cancelButton, confirmButton } from './messages.ts';
import { escapeMrkdwn, quoteUserText, slackDate } from './mrkdwn.ts';

/**
 * A person's Home tab: their pending approvals (with the same Confirm / Cancel buttons as the message, so the
 * same policy decides), the freezes on, the scheduled resumes, their recent requests and MoEngage's quota use.
 * Pure; at most 100 blocks (Slack's limit for a view), each within the message limits.
 */
export function homeBlocks(data: HomeData, notice?: string): Block[] {
  const blocks: Block[] = [
    section('*MoEngage campaigns* · what waits for you, and what is frozen or scheduled'),
  ];
  if (notice) blocks.push(context(notice));
  if (data.quota) {
    const { minute, perMinute } = data.quota;
    blocks.push(
      context(`:bar_chart: MoEngage status API: ${minute} of ${perMinute} requests used in the last minute`),
    );
  }
  blocks.push({ type: 'divider' });

  blocks.push(section(`*Waiting for your approval* (${data.approvals.length})`));
  if (data.approvals.length === 0) blocks.push(context('Nothing waits for you.'));
  for (const r of data.approvals) {
    const v = VERB[r.action];
    const { n, of } = approvalProgress(r);
    const reason = r.reason ? ` · ${quoteUserText(r.reason, 200)}` : '';
    blocks.push(
      section(
        `${v.icon} *${v.base} ${plural(r.campaignIds.length, 'campaign')}* in <#${escapeMrkdwn(r.channelId)}> · asked by ${mention(r.requestedBy)}${reason}\n${of > 1 ? `${n} of ${of} approvals · ` : ''}expires ${slackDate(r.expiresAt, '{time}')}`,
      ),
      {
        type: 'actions',
        block_id: `home_request:${r.id}`,
        // The message's own buttons: the same dialog, the same policy on the click.
        elements: [confirmButton(r), cancelButton(r)],
      },
    );
  }

  blocks.push({ type: 'divider' }, section(`*Freezes on* (${data.freezes.length})`));
  if (data.freezes.length === 0) blocks.push(context('No freeze is on.'));
  for (const r of data.freezes) {
    const scope = r.freeze?.scope;
    blocks.push(
      section(
        `:ice_cube: *${escapeMrkdwn(scope ? scopeText(scope) : 'freeze')}* · ${freezeState(r)} · by ${mention(r.requestedBy)} in <#${escapeMrkdwn(r.channelId)}>${scope ? ` · ${unfreezeCommand(scope)} ends it` : ''}`,
      ),
    );
  }

  blocks.push({ type: 'divider' }, section(`*Scheduled resumes* (${data.scheduled.length})`));
  if (data.scheduled.length === 0) blocks.push(context('No resume is scheduled.'));
  for (const s of data.scheduled) {
    blocks.push(
      section(
        `:stopwatch: ${plural(s.ids, 'campaign')} resume at ${slackDate(s.at)} · paused by ${mention(s.request.requestedBy)} in <#${escapeMrkdwn(s.request.channelId)}>`,
      ),
    );
  }

  blocks.push({ type: 'divider' }, section('*Your recent requests* (7 days)'));
  if (data.recent.length === 0) blocks.push(context('None in the last seven days.'));
  for (const h of data.recent) {
    const end =
      h.end.kind === 'completed'
        ? `${h.end.applied} ${VERB[h.action].past}${h.end.failed ? `, ${h.end.failed} failed` : ''}${h.end.uncertain ? `, ${h.end.uncertain} may have been applied` : ''}`
        : h.end.kind === 'open'
          ? 'open'
          : h.end.kind;
    blocks.push(
      context(
        `${VERB[h.action].icon} ${VERB[h.action].base} ${plural(h.campaignIds.length, 'campaign')} in <#${escapeMrkdwn(h.channel)}> · ${slackDate(h.requestedAt)} · ${escapeMrkdwn(end)}`,
      ),
    );
  }
  return blocks.slice(0, 100);
}

/** The Home when what it shows cannot be read (the bot's storage is down): the notice and why, nothing stale. */
export function homeUnavailableBlocks(why: string, notice?: string): Block[] {
  return [
    section('*MoEngage campaigns* · what waits for you, and what is frozen or scheduled'),
    ...(notice ? [context(notice)] : []),
    context(`:warning: ${why}`),
  ];
}
