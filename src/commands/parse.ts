import type { CampaignGroups } from '../groups.ts';
import { CAMPAIGN_ACTIONS, type CampaignAction } from '../moengage/types.ts';
import { quoteUserText } from '../slack/mrkdwn.ts';

export const CAMPAIGN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_REASON_LENGTH = 500;

export const USAGE = [
  '*Usage:* `/campaign pause|resume|stop <campaign id or group:NAME> […] [reason: <why>]`',
  '• Ids are separated by spaces, commas or new lines; repeats are ignored. `group:NAME` stands for a named list.',
  '• Example: `/campaign pause 64f1a2b3c4d5e6f7a8b9c0d1 group:black-friday-push reason: INC-1234 wrong coupon`',
  '• The bot posts a confirmation with *Confirm* / *Cancel*; nothing changes until someone confirms.',
  '• `stop` cancels a scheduled one-time campaign for good; `pause` / `resume` apply to periodic and triggered ones.',
  '• `/campaign groups` lists the named groups.',
].join('\n');

export interface ParseOptions {
  maxIds: number;
  groups?: CampaignGroups;
  /** Actions that must come with a reason (REQUIRE_REASON_ACTIONS). */
  requireReasonFor?: readonly string[];
}

export type ParsedCommand =
  | { kind: 'help' }
  | { kind: 'groups' }
  | {
      kind: 'request';
      action: CampaignAction;
      campaignIds: string[];
      reason: string | undefined;
      duplicatesDropped: number;
    }
  | { kind: 'error'; message: string };

/**
 * Reads the text after `/campaign`. Pure and total: any input gives a request, help, or an error message
 * written for the person (user text in it is escaped), never a throw.
 */
export function parseCampaignCommand(text: string, options: ParseOptions): ParsedCommand {
  const { rest: body, reason } = splitReason(text);
  const tokens = body.split(/[\s,]+/).filter((t) => t !== '');
  const [first, ...rest] = tokens;
  if (first === undefined && reason === undefined) return { kind: 'help' };
  if (first !== undefined && /^(help|-h|--help|\?)$/i.test(first)) return { kind: 'help' };
  if (first !== undefined && /^groups$/i.test(first) && rest.length === 0) return { kind: 'groups' };
  if (first === undefined) return error('Which action? Start with pause, resume or stop.');

  const action = first.toUpperCase();
  if (!isAction(action)) return error(`I don't know the action "${quoteUserText(first, 30)}".`);
  const expanded = expandIds(rest, options.groups ?? new Map());
  if ('message' in expanded) return error(expanded.message);
  return buildRequest(action, expanded.ids, reason, options);
}

/** The checks every door shares once it has an action, ids (groups allowed) and maybe a reason. */
export function buildRequest(
  action: CampaignAction,
  rawIds: readonly string[],
  reason: string | undefined,
  options: ParseOptions,
): ParsedCommand {
  if (rawIds.length === 0) {
    return error(`Which campaigns should I ${action.toLowerCase()}? Give at least one campaign id or group.`);
  }
  const invalid = rawIds.filter((id) => !CAMPAIGN_ID_PATTERN.test(id));
  if (invalid.length > 0) {
    const shown = invalid.slice(0, 5).map((id) => `"${quoteUserText(id, 40)}"`);
    const more = invalid.length > 5 ? ` and ${invalid.length - 5} more` : '';
    return error(
      `${invalid.length === 1 ? 'This is not a campaign id' : 'These are not campaign ids'}: ${shown.join(', ')}${more}. ` +
        'A campaign id is 1–64 letters, digits, `_` or `-`.',
    );
  }
  const campaignIds = [...new Set(rawIds)];
  if (campaignIds.length > options.maxIds) {
    return error(
      `That is ${campaignIds.length} campaign ids; one command takes at most ${options.maxIds}. Split them over several commands.`,
    );
  }
  if (reason !== undefined && [...reason].length > MAX_REASON_LENGTH) {
    return error(`The reason is too long (at most ${MAX_REASON_LENGTH} characters).`);
  }
  if (reason === undefined && options.requireReasonFor?.includes(action)) {
    return error(`A ${action} needs a reason: add \`reason: <why>\` (e.g. an incident number) at the end.`);
  }
  return {
    kind: 'request',
    action,
    campaignIds,
    reason,
    duplicatesDropped: rawIds.length - campaignIds.length,
  };
}

/** `group:NAME` tokens become their ids; an unknown group is an error that lists the known ones. */
export function expandIds(
  tokens: readonly string[],
  groups: CampaignGroups,
): { ids: string[] } | { message: string } {
  const ids: string[] = [];
  for (const token of tokens) {
    const m = /^group:(.*)$/i.exec(token);
    if (!m) {
      ids.push(token);
      continue;
    }
    const members = groups.get(m[1] ?? '');
    if (!members) {
      const known = [...groups.keys()].slice(0, 20).map((g) => `\`${g}\``);
      return {
        message: `There is no campaign group "${quoteUserText(m[1] ?? '', 40)}". ${known.length > 0 ? `Known groups: ${known.join(', ')}.` : 'No groups are configured (CAMPAIGN_GROUPS_FILE).'}`,
      };
    }
    ids.push(...members);
  }
  return { ids };
}

/** `… reason: text` or `… --reason text` (to the end of the command) → the reason, trimmed; empty means none. */
function splitReason(text: string): { rest: string; reason: string | undefined } {
  const m = /(?:^|\s)(?:reason:|--reason(?:=|\s|$))/i.exec(text);
  if (!m) return { rest: text, reason: undefined };
  const reason = text.slice(m.index + m[0].length).trim();
  return { rest: text.slice(0, m.index), reason: reason === '' ? undefined : reason };
}

function isAction(value: string): value is CampaignAction {
  return (CAMPAIGN_ACTIONS as readonly string[]).includes(value);
}

function error(message: string): ParsedCommand {
  return { kind: 'error', message: `${message}\n${USAGE}` };
}
