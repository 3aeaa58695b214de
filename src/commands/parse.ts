import { CAMPAIGN_ACTIONS, type CampaignAction } from '../moengage/types.ts';
import { quoteUserText } from '../slack/mrkdwn.ts';

export const CAMPAIGN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const USAGE = [
  '*Usage:* `/campaign pause|resume|stop <campaign id> [<campaign id> …]`',
  '• Ids are separated by spaces, commas or new lines; repeats are ignored.',
  '• Example: `/campaign pause 64f1a2b3c4d5e6f7a8b9c0d1 64f1a2b3c4d5e6f7a8b9c0d2`',
  '• The bot posts a confirmation with *Confirm* / *Cancel*; nothing changes until someone confirms.',
  '• `stop` cancels a scheduled one-time campaign for good; `pause` / `resume` apply to periodic and triggered ones.',
].join('\n');

export type ParsedCommand =
  | { kind: 'help' }
  | { kind: 'request'; action: CampaignAction; campaignIds: string[]; duplicatesDropped: number }
  | { kind: 'error'; message: string };

/**
 * Reads the text after `/campaign`. Pure and total: any input gives a request, help, or an error message
 * written for the person (user text in it is escaped), never a throw.
 */
export function parseCampaignCommand(text: string, maxIds: number): ParsedCommand {
  const tokens = text.split(/[\s,]+/).filter((t) => t !== '');
  const [first, ...rest] = tokens;
  if (first === undefined || /^(help|-h|--help|\?)$/i.test(first)) return { kind: 'help' };

  const action = first.toUpperCase();
  if (!isAction(action)) {
    return error(`I don't know the action "${quoteUserText(first, 30)}".`);
  }
  if (rest.length === 0) {
    return error(`Which campaigns should I ${action.toLowerCase()}? Give at least one campaign id.`);
  }
  const invalid = rest.filter((id) => !CAMPAIGN_ID_PATTERN.test(id));
  if (invalid.length > 0) {
    const shown = invalid.slice(0, 5).map((id) => `"${quoteUserText(id, 40)}"`);
    const more = invalid.length > 5 ? ` and ${invalid.length - 5} more` : '';
    return error(
      `${invalid.length === 1 ? 'This is not a campaign id' : 'These are not campaign ids'}: ${shown.join(', ')}${more}. ` +
        'A campaign id is 1–64 letters, digits, `_` or `-`.',
    );
  }
  const campaignIds = [...new Set(rest)];
  if (campaignIds.length > maxIds) {
    return error(
      `That is ${campaignIds.length} campaign ids; one command takes at most ${maxIds}. Split them over several commands.`,
    );
  }
  return { kind: 'request', action, campaignIds, duplicatesDropped: rest.length - campaignIds.length };
}

function isAction(value: string): value is CampaignAction {
  return (CAMPAIGN_ACTIONS as readonly string[]).includes(value);
}

function error(message: string): ParsedCommand {
  return { kind: 'error', message: `${message}\n${USAGE}` };
}
