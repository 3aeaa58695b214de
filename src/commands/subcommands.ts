import { CAMPAIGN_ACTIONS, isCampaignAction } from '../core/actions.ts';
import { type FreezeScope, parseFreezeScope } from '../core/freeze.ts';
import { parseSince } from '../core/history.ts';
import type { PauseFor } from '../core/pause-for.ts';
import { checkProposal, type ProposalRules } from '../core/proposal.ts';
import { escapeMrkdwn } from '../slack/views/mrkdwn.ts';

export type ParsedCommand =
  | { kind: 'help' }
  | { kind: 'groups' }
  /** Ids, `group:NAME`, links and `"quoted names"` as typed, to look up without proposing anything. */
  | { kind: 'status'; tokens: string[] }
  /** The requests about these campaigns (or the caller's own), within `sinceMs`. */
  | { kind: 'history'; tokens: string[] | 'me'; sinceMs: number }
  /** Every active campaign of a scope, paused as one request; and its undo. */
  | { kind: 'freeze'; scope: FreezeScope; reason: string | undefined }
  | { kind: 'unfreeze'; scope: FreezeScope }
  | {
      kind: 'request';
      action: string;
      /**
       * Ids, `group:NAME`, dashboard links and `"quoted names"` as typed; the lifecycle checks, reads and expands
       * them. Empty when none was named: the Slack door opens its picker.
       */
      tokens: string[];
      campaignIds: string[];
      reason: string | undefined;
      duplicatesDropped: number;
      /** `pause … for 2h` / `until 18:00`. */
      pauseFor?: PauseFor;
    }
  | { kind: 'error'; message: string };

/** What a subcommand's parser is given: the command split at its first word, its reason and `for` taken off. */
export interface Said {
  /** The first word as typed; undefined when the command is only a reason. */
  word: string | undefined;
  rest: string[];
  reason: string | undefined;
  pauseFor: PauseFor | undefined;
  rules: ProposalRules;
}

type ParseError = Extract<ParsedCommand, { kind: 'error' }>;
/** A kind that a subcommand stands for (an error is what any of them may come to). */
export type SubcommandKind = Exclude<ParsedCommand['kind'], 'error'>;

/** One `/campaign` subcommand: the words that choose it, its lines in USAGE, and how the rest is read. */
export interface Subcommand<K extends SubcommandKind> {
  kind: K;
  /** Lower case; a word is matched in any case, and belongs to one subcommand only. */
  words: readonly string[];
  /** Its lines in USAGE, in the table's order (none for help, and unfreeze is said with freeze). */
  usage: readonly string[];
  /** Undefined: not this subcommand's form after all, read as a campaign action (and refused as an unknown one). */
  parse(said: Said): Extract<ParsedCommand, { kind: K }> | ParseError | undefined;
}

/** One entry of the table, whichever its kind. */
export type AnySubcommand = { [K in SubcommandKind]: Subcommand<K> }[SubcommandKind];

/** `pause|resume|stop`: the actions MoEngage takes, as people type them. */
const ACTION_WORDS = CAMPAIGN_ACTIONS.map((a) => a.toLowerCase());

/** A pause, resume or stop of campaign ids and groups: the subcommand any unknown word is read as. */
const REQUEST = {
  kind: 'request',
  words: ACTION_WORDS,
  usage: [
    `*Usage:* \`/campaign ${ACTION_WORDS.join('|')} <campaign id, "part of its name", dashboard link or group:NAME> […] [reason: <why>]\``,
    '• Ids are separated by spaces, commas or new lines; repeats are ignored. `group:NAME` stands for a named list.',
    '• `"part of a name"` in double quotes stands for the campaign so named (several matches: you choose; nothing is proposed), a pasted dashboard link for its campaign; `/campaign pause` with none opens a picker that finds them by name as you type.',
    '• Example: `/campaign pause 64f1a2b3c4d5e6f7a8b9c0d1 group:black-friday-push reason: INC-1234 wrong coupon`',
    '• The bot posts a confirmation with *Confirm* / *Cancel*; nothing changes until the approvers the access policy asks for confirm.',
    '• `stop` cancels a scheduled one-time campaign for good; `pause` / `resume` apply to periodic and triggered ones.',
    '• `/campaign pause <ids> for 2h` (or `30m`, `1d`, `until 18:00`) resumes exactly what it paused by itself, with a reminder 10 min before.',
  ],
  parse({ word, rest, reason, pauseFor, rules }) {
    const action = (word ?? '').toUpperCase();
    if (rest.length === 0 && isCampaignAction(action)) {
      // No campaign named: the door asks which (Slack: its picker), keeping the action, reason and pause-for.
      return {
        kind: 'request',
        action,
        tokens: [],
        campaignIds: [],
        reason,
        duplicatesDropped: 0,
        ...(pauseFor ? { pauseFor } : {}),
      };
    }
    const checked = checkProposal({ action: word ?? '', ids: rest, reason }, rules);
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
  },
} satisfies Subcommand<'request'>;

/**
 * Every `/campaign` subcommand, in the order USAGE shows them. The Slack door answers each by its kind
 * (doors/slack/campaign-command.ts); help and a refused input are answered in the acknowledgement itself.
 */
export const SUBCOMMANDS: readonly AnySubcommand[] = [
  REQUEST,
  {
    kind: 'history',
    words: ['history'],
    usage: [
      '• `/campaign history <ids, group:NAME or me> [since 7d]` lists who asked for, approved and ran what.',
    ],
    parse: ({ rest }) => parseHistory(rest),
  },
  {
    kind: 'status',
    words: ['status'],
    usage: [
      '• `/campaign status <ids, "names" or group:NAME>` shows each campaign as MoEngage has it (name, channel, type, status), changing nothing.',
    ],
    parse: ({ rest }) =>
      rest.length === 0
        ? { kind: 'error', message: `Name the campaigns: \`/campaign status <ids or group:NAME>\`\n${USAGE}` }
        : { kind: 'status', tokens: rest },
  },
  {
    kind: 'freeze',
    words: ['freeze'],
    usage: [
      '• `/campaign freeze [all | group:NAME | channel:EMAIL|PUSH]` pauses every running campaign of the scope; `/campaign unfreeze [scope]` resumes exactly those.',
    ],
    parse({ rest, reason }) {
      const read = parseFreezeScope(rest);
      return read.ok
        ? { kind: 'freeze', scope: read.scope, reason }
        : { kind: 'error', message: `${read.message}\n${USAGE}` };
    },
  },
  {
    kind: 'unfreeze',
    words: ['unfreeze'],
    usage: [],
    parse({ rest }) {
      const read = parseFreezeScope(rest);
      return read.ok
        ? { kind: 'unfreeze', scope: read.scope }
        : { kind: 'error', message: `${read.message}\n${USAGE}` };
    },
  },
  {
    kind: 'groups',
    words: ['groups'],
    usage: ['• `/campaign groups` lists the named groups you may use here.'],
    parse: ({ rest }) => (rest.length === 0 ? { kind: 'groups' } : undefined),
  },
  { kind: 'help', words: ['help', '-h', '--help', '?'], usage: [], parse: () => ({ kind: 'help' }) },
];

/** The help `/campaign` answers with, and every refusal ends with: the table's lines. */
export const USAGE = SUBCOMMANDS.flatMap((s) => s.usage).join('\n');

const BY_WORD = new Map<string, AnySubcommand>(SUBCOMMANDS.flatMap((s) => s.words.map((w) => [w, s])));

/** The subcommand a first word chooses; anything else is read as a campaign action (and refused if unknown). */
export function subcommandFor(word: string | undefined): AnySubcommand {
  return (word === undefined ? undefined : BY_WORD.get(word.toLowerCase())) ?? REQUEST;
}

/** Reads the rest as the subcommand's own; a form that is not its own is read as a campaign action. */
export function parseSubcommand(said: Said): ParsedCommand {
  return subcommandFor(said.word).parse(said) ?? REQUEST.parse(said);
}

/** `history <ids | group:NAME | me> [since 7d]`; seven days when no window is given, ninety at most. */
function parseHistory(tokens: string[]): Extract<ParsedCommand, { kind: 'history' }> | ParseError {
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
