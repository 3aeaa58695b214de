import { type FreezeScope, parseFreezeScope } from '../core/freeze.ts';
import { parseSince } from '../core/history.ts';
import { type PauseFor, parsePauseFor } from '../core/pause-for.ts';
import { checkProposal, type ProposalRules } from '../core/proposal.ts';
import { escapeMrkdwn } from '../slack/views/mrkdwn.ts';

export const USAGE = [
  '*Usage:* `/campaign pause|resume|stop <campaign id or group:NAME> […] [reason: <why>]`',
  '• Ids are separated by spaces, commas or new lines; repeats are ignored. `group:NAME` stands for a named list.',
  '• Example: `/campaign pause 64f1a2b3c4d5e6f7a8b9c0d1 group:black-friday-push reason: INC-1234 wrong coupon`',
  '• The bot posts a confirmation with *Confirm* / *Cancel*; nothing changes until the approvers the access policy asks for confirm.',
  '• `stop` cancels a scheduled one-time campaign for good; `pause` / `resume` apply to periodic and triggered ones.',
  '• `/campaign pause <ids> for 2h` (or `30m`, `1d`, `until 18:00`) resumes exactly what it paused by itself, with a reminder 10 min before.',
  '• `/campaign history <ids, group:NAME or me> [since 7d]` lists who asked for, approved and ran what.',
  '• `/campaign status <ids or group:NAME>` shows each campaign as MoEngage has it (name, channel, type, status), changing nothing.',
  '• `/campaign freeze [all | group:NAME | channel:EMAIL|PUSH]` pauses every running campaign of the scope; `/campaign unfreeze [scope]` resumes exactly those.',
  '• `/campaign groups` lists the named groups you may use here.',
].join('\n');

export type ParsedCommand =
  | { kind: 'help' }
  | { kind: 'groups' }
  /** Ids and `group:NAME` tokens as typed, to look up without proposing anything. */
  | { kind: 'status'; tokens: string[] }
  /** The requests about these campaigns (or the caller's own), within `sinceMs`. */
  | { kind: 'history'; tokens: string[] | 'me'; sinceMs: number }
  /** Every active campaign of a scope, paused as one request; and its undo. */
  | { kind: 'freeze'; scope: FreezeScope; reason: string | undefined }
  | { kind: 'unfreeze'; scope: FreezeScope }
  | {
      kind: 'request';
      action: string;
      /** Ids and `group:NAME` tokens as typed; the lifecycle checks and expands them. */
      tokens: string[];
      campaignIds: string[];
      reason: string | undefined;
      duplicatesDropped: number;
      /** `pause … for 2h` / `until 18:00`. */
      pauseFor?: PauseFor;
    }
  | { kind: 'error'; message: string };

/**
 * Reads the text after `/campaign`. Pure and total: any input gives a request, help, or an error message in
 * mrkdwn (the caller's text escaped), never a throw. The checks are the core's, the same for every door; they
 * run here too so a typo is answered in the acknowledgement itself.
 */
export function parseCampaignCommand(
  text: string,
  rules: ProposalRules,
  clock: { now: number; timeZone?: string } = { now: Date.now() },
): ParsedCommand {
  const { rest: body, reason } = splitReason(text);
  const all = body.split(/[\s,]+/).filter((t) => t !== '');
  // `for 2h` / `until 18:00` after the ids: a PAUSE for a while (no campaign id is either word).
  const at = all.findIndex((t) => /^(for|until)$/i.test(t));
  const tokens = at < 0 ? all : all.slice(0, at);
  let pauseFor: PauseFor | undefined;
  if (at >= 0) {
    const word = (all[at] as string).toLowerCase() as 'for' | 'until';
    const value = all.slice(at + 1).join(' ');
    const parsed = all.length === at + 2 ? parsePauseFor(word, value, clock.now, clock.timeZone) : undefined;
    if (!parsed?.ok) {
      const why =
        parsed?.message ?? `Say how long as \`for 2h\` or until when as \`until 18:00\`, after the ids.`;
      return { kind: 'error', message: `${escapeMrkdwn(why)}\n${USAGE}` };
    }
    if (!/^pause$/i.test(all[0] ?? '')) {
      return {
        kind: 'error',
        message: `Only \`pause\` can be for a while (\`/campaign pause <ids> for 2h\`).\n${USAGE}`,
      };
    }
    pauseFor = parsed.pauseFor;
  }
  const [first, ...rest] = tokens;
  if (first === undefined && reason === undefined) return { kind: 'help' };
  if (first !== undefined && /^(help|-h|--help|\?)$/i.test(first)) return { kind: 'help' };
  if (first !== undefined && /^groups$/i.test(first) && rest.length === 0) return { kind: 'groups' };
  if (first !== undefined && /^history$/i.test(first)) return parseHistory(rest);
  if (first !== undefined && /^(un)?freeze$/i.test(first)) {
    const read = parseFreezeScope(rest);
    if (!read.ok) return { kind: 'error', message: `${read.message}\n${USAGE}` };
    if (/^unfreeze$/i.test(first)) return { kind: 'unfreeze', scope: read.scope };
    return { kind: 'freeze', scope: read.scope, reason };
  }
  if (first !== undefined && /^status$/i.test(first)) {
    if (rest.length === 0) {
      return {
        kind: 'error',
        message: `Name the campaigns: \`/campaign status <ids or group:NAME>\`\n${USAGE}`,
      };
    }
    return { kind: 'status', tokens: rest };
  }
  const checked = checkProposal({ action: first ?? '', ids: rest, reason }, rules);
  if (!checked.ok) {
    const hint = checked.field === 'reason' ? ' Add `reason: <why>` at the end.' : '';
    return { kind: 'error', message: `${escapeMrkdwn(checked.message)}${hint}\n${USAGE}` };
  }
  return {
    kind: 'request',
    action: checked.action,
    tokens: rest,
    campaignIds: checked.campaignIds,
    reason: checked.reason,
    duplicatesDropped: checked.duplicatesDropped,
    ...(pauseFor ? { pauseFor } : {}),
  };
}

/** `history <ids | group:NAME | me> [since 7d]`; seven days when no window is given, ninety at most. */
function parseHistory(tokens: string[]): ParsedCommand {
  const usage = `\`/campaign history <ids, group:NAME or me> [since 7d]\`\n${USAGE}`;
  const at = tokens.findIndex((t) => /^since$/i.test(t));
  const targets = at >= 0 ? tokens.slice(0, at) : tokens;
  const window = at >= 0 ? tokens[at + 1] : undefined;
  const sinceMs = at < 0 ? 7 * 86_400_000 : window === undefined ? undefined : parseSince(window);
  if (sinceMs === undefined || sinceMs > 90 * 86_400_000 || (at >= 0 && tokens.length > at + 2)) {
    return {
      kind: 'error',
      message: `Say how far back as \`since 7d\`, \`since 12h\` or \`since 30m\` (90 days at most): ${usage}`,
    };
  }
  if (targets.length === 0) return { kind: 'error', message: `Name the campaigns, or \`me\`: ${usage}` };
  if (targets.length === 1 && /^me$/i.test(targets[0] as string))
    return { kind: 'history', tokens: 'me', sinceMs };
  return { kind: 'history', tokens: targets, sinceMs };
}

/** `… reason: text` or `… --reason text` (to the end of the command) → the reason, trimmed; empty means none. */
function splitReason(text: string): { rest: string; reason: string | undefined } {
  const m = /(?:^|\s)(?:reason:|--reason(?:=|\s|$))/i.exec(text);
  if (!m) return { rest: text, reason: undefined };
  const reason = text.slice(m.index + m[0].length).trim();
  return { rest: text.slice(0, m.index), reason: reason === '' ? undefined : reason };
}
