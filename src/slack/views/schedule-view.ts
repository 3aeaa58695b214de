import { REMIND_BEFORE_MS, scheduleOf } from '../../core/pause-for.ts';
import type { CampaignActionRequest } from '../../core/request.ts';
import { button, mention, plural, type SlackMessage, section } from './blocks.ts';
import { escapeMrkdwn, slackDate } from './mrkdwn.ts';

/** What a PAUSE "for a while" shows: its duration on the confirmation, and its schedule in its thread. Pure. */

export const RESUME_NOW_ACTION_ID = 'campaign_resume_now';
export const KEEP_PAUSED_ACTION_ID = 'campaign_keep_paused';

const minutes = (ms: number) => {
  const m = Math.round(ms / 60_000);
  if (m < 120) return `${m} min`;
  const h = m / 60;
  return h < 48 ? `${Math.round(h * 10) / 10} h` : `${Math.round((h / 24) * 10) / 10} days`;
};

/** On the confirmation: how long, and that the RESUME comes by itself. */
export function pauseForLine(r: CampaignActionRequest): string | undefined {
  const p = r.pauseFor;
  if (!p) return undefined;
  const how = 'ms' in p ? `for ${minutes(p.ms)} from when they are paused` : `until ${slackDate(p.until)}`;
  return `:stopwatch: *Paused ${how}*: then the campaigns this pauses (only those) are resumed by themselves, with a reminder ${minutes(REMIND_BEFORE_MS)} before.`;
}

/** In the thread once the PAUSE has finished: when the RESUME is due, or why none is. */
export function scheduledReply(r: CampaignActionRequest): SlackMessage | undefined {
  if (!r.pauseFor) return undefined;
  const s = scheduleOf(r);
  if (!s) {
    return {
      text: 'No resume scheduled',
      blocks: [section(':stopwatch: Nothing was paused by this request, so no resume is scheduled.')],
    };
  }
  const text = `:stopwatch: *Scheduled:* resume ${plural(s.ids.length, 'campaign')} (exactly those this paused) at ${slackDate(s.at)}${s.remindAt !== undefined ? `; a reminder with *Resume now* and *Keep paused* comes ${minutes(REMIND_BEFORE_MS)} before` : ''}.`;
  return { text: `Resume scheduled at ${new Date(s.at).toISOString()}`, blocks: [section(text)] };
}

/** Ten minutes before: the RESUME is coming, with the two buttons. */
export function resumeReminderReply(r: CampaignActionRequest): SlackMessage {
  const s = scheduleOf(r);
  const n = s?.ids.length ?? 0;
  const at = s ? slackDate(s.at, '{time}') : 'soon';
  const who = r.decidedBy ? ` ${mention(r.decidedBy)}` : '';
  return {
    text: `${plural(n, 'campaign')} resume at ${s ? new Date(s.at).toISOString() : 'soon'}`,
    blocks: [
      section(`:alarm_clock:${who} ${plural(n, 'campaign')} paused here resume at ${at}.`),
      {
        type: 'actions',
        block_id: `campaign_schedule:${r.id}`,
        elements: [
          button(RESUME_NOW_ACTION_ID, 'Resume now', r.id, { style: 'primary' }),
          button(KEEP_PAUSED_ACTION_ID, 'Keep paused', r.id),
        ],
      },
    ],
  };
}

export function resumeKeptReply(by: string): SlackMessage {
  const text = `:lock: ${mention(by)} chose *Keep paused*: the scheduled resume is off, and nothing will resume by itself. Resume them with *Undo* on the message above or \`/campaign resume\`.`;
  return { text: 'Kept paused', blocks: [section(text)] };
}

export function resumeRefusedReply(part: string): SlackMessage {
  const why =
    part === 'frozen'
      ? 'a freeze covers every campaign it would resume'
      : `the access policy no longer lets the requester ask for it here (${escapeMrkdwn(part)} failed)`;
  const text = `:no_entry_sign: The scheduled resume was not run: ${why}. The campaigns stay paused; resume them with \`/campaign resume\` when it is right.`;
  return { text: 'Scheduled resume refused', blocks: [section(text)] };
}

export function resumeStartedReply(r: CampaignActionRequest): SlackMessage {
  const n = r.result?.outcomes.filter((o) => o.status === 'applied').length ?? 0;
  const why = r.resume?.by ? `brought forward by ${mention(r.resume.by)}` : 'as scheduled';
  const frozen = r.resume?.frozen ?? [];
  const left =
    frozen.length > 0
      ? ` ${plural(frozen.length, 'campaign')} stay paused, because a freeze covers ${frozen.length === 1 ? 'it' : 'them'} now (the unfreeze does not resume them, as the freeze did not pause them: \`/campaign resume\` them once it is over): ${frozen
          .slice(0, 20)
          .map((id) => `\`${escapeMrkdwn(id)}\``)
          .join(' ')}${frozen.length > 20 ? ' …' : ''}.`
      : '';
  const text = `:arrow_forward: Resuming ${plural(n - frozen.length, 'campaign')} now, ${why}: the new message in the channel (request ${escapeMrkdwn(r.resume?.requestId ?? '')}) shows each result.${left}`;
  return { text: 'Resuming now', blocks: [section(text)] };
}

/** The reminder once a button on it was pressed: the buttons give way to what was chosen. */
export function reminderAnswered(change: 'kept' | 'resuming', by: string): SlackMessage {
  const text =
    change === 'kept'
      ? `:lock: ${mention(by)} chose *Keep paused*.`
      : `:arrow_forward: ${mention(by)} chose *Resume now*.`;
  return { text: change === 'kept' ? 'Kept paused' : 'Resuming now', blocks: [section(text)] };
}
