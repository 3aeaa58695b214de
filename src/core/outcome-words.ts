import type { Outcome } from './outcomes.ts';
import { refusalText } from './refusals.ts';

/** How a medium shows a person and a time, and escapes text it did not write. */
export interface WordFormat {
  user(id: string): string;
  time(epochMs: number): string;
  text(raw: string): string;
}

/**
 * The words for an outcome, for every door, told to the person who typed, clicked or called; undefined when
 * the confirmation message says it all (posted, running, cancelled).
 */
export function outcomeWords(o: Outcome, f: WordFormat): string | undefined {
  switch (o.kind) {
    case 'proposed':
    case 'running':
    case 'cancelled':
    case 'schedule_changed':
      return undefined;
    case 'dry_run':
      return `Dry run: ${o.request.action} of ${o.request.campaignIds.length} campaigns would be proposed; nothing was posted or sent.`;
    case 'approval_recorded': {
      const left = o.of - o.n;
      return `Your approval is recorded: ${o.n} of ${o.of}. It runs once ${left} more ${left === 1 ? 'approver confirms' : 'approvers confirm'}.`;
    }
    case 'already_approved':
      return `You have already approved this request (${o.n} of ${o.of}); it needs someone else now.`;
    case 'denied':
      return refusalText(o.step, o.part, o.action);
    case 'already_decided': {
      const when = o.at ? ` at ${f.time(o.at)}` : '';
      return `This request was already ${o.state} by ${f.user(o.by ?? 'unknown')}${when}.`;
    }
    case 'expired':
      return `This request expired at ${f.time(o.at)}; nothing was changed. Run the command again if it is still needed.`;
    case 'not_found':
      return 'I have no record of this request. Run the command again if it is still needed.';
    case 'invalid_input':
      return f.text(o.message);
    case 'choose_campaigns': {
      const lines = o.choices.map((c) => {
        const shown = c.candidates.map((e) => `${f.text(e.name)} (\`${e.id}\`, ${e.status.toLowerCase()})`);
        const more = c.more ? ', and more: say more of the name' : '';
        return `"${f.text(c.query)}" matches ${c.candidates.length}${c.more ? '+' : ''} campaigns: ${shown.join('; ')}${more}.`;
      });
      const none = o.missing.map((q) => `"${f.text(q)}" matches no campaign.`);
      return `Nothing was proposed: choose which campaigns you mean (by id or a fuller name). ${[...lines, ...none].join(' ')}`;
    }
    case 'not_in_channel':
      return 'I am not in this channel, so I cannot post the confirmation. Invite me with `/invite @campaign-bot` and run the command again.';
    case 'unavailable':
      return o.what === 'store'
        ? "I could not record the request: the bot's storage is unavailable. Nothing was proposed and nothing was sent to MoEngage; try again in a moment."
        : `Slack refused the confirmation message (${f.text(o.code ?? 'unknown')}), so nothing was requested. Try again in a moment.`;
  }
}

/** Plain text: user ids as they are, times in UTC, code marks dropped. */
export const PLAIN: WordFormat = {
  user: (id) => id,
  time: (ms) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  text: (raw) => raw,
};

export function plainWords(o: Outcome): string {
  return (outcomeWords(o, PLAIN) ?? o.kind).replace(/`/g, '');
}
