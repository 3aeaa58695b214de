import { CAMPAIGN_ACTIONS, type CampaignAction, isCampaignAction } from './actions.ts';
import { isNameToken, linkToId } from './campaign-refs.ts';
import type { CampaignGroups } from './groups.ts';
import { CAMPAIGN_ID_PATTERN } from './ids.ts';

/**
 * The checks every door makes on what a caller asks for, once: an action, campaign ids (or `group:NAME`), a
 * reason. Pure and total. Messages are plain text with `code` marks and the caller's own text quoted (capped,
 * never escaped): each door renders them for its medium (Slack escapes them, the API strips the marks).
 */
export const MAX_REASON_LENGTH = 500;

export interface ProposalRules {
  maxIds: number;
  /**
   * The groups the caller may name. Without it (a door's first look, before the policy has said which groups
   * this caller may see) `group:NAME` tokens and quoted names are passed through unread, and only the other ids
   * are checked: the lifecycle reads names against the catalog, after the policy's first look, before its check.
   */
  groups?: CampaignGroups;
  /** Actions that must come with a reason (REQUIRE_REASON_ACTIONS). */
  requireReasonFor?: readonly string[];
}

export interface CheckedProposal {
  ok: true;
  action: CampaignAction;
  campaignIds: string[];
  reason: string | undefined;
  /** The groups the ids came from (for the access policy's campaign rules, and the message). */
  groupsUsed: string[];
  duplicatesDropped: number;
}

/** `campaign_names`: a quoted name that found no campaign, or names where the bot keeps no catalog. */
export type InvalidField = 'action' | 'campaign_ids' | 'campaign_names' | 'group' | 'reason';
export interface InvalidProposal {
  ok: false;
  code: 'invalid_input';
  field: InvalidField;
  message: string;
}

export function checkProposal(
  input: { action: string; ids: readonly string[]; reason: string | undefined },
  rules: ProposalRules,
): CheckedProposal | InvalidProposal {
  const action = input.action.trim().toUpperCase();
  if (!isCampaignAction(action)) {
    return invalid(
      'action',
      action === ''
        ? `Which action? Use one of ${CAMPAIGN_ACTIONS.join(', ').toLowerCase()}.`
        : `I don't know the action "${quote(input.action, 30)}".`,
    );
  }
  // A pasted dashboard link stands for its campaign (core/campaign-refs.ts).
  const tokens = input.ids.map(linkToId);
  const unread = (t: string) => isGroupToken(t) || isNameToken(t);
  const deferred = rules.groups === undefined ? tokens.filter(unread) : [];
  const expanded = expandIds(
    rules.groups === undefined ? tokens.filter((t) => !unread(t)) : tokens,
    rules.groups ?? new Map(),
  );
  if (!expanded.ok) return expanded;
  const rawIds = expanded.ids;
  if (rawIds.length === 0 && deferred.length > 0) {
    return {
      ok: true,
      action,
      campaignIds: [],
      reason: checkedReason(input.reason),
      groupsUsed: [],
      duplicatesDropped: 0,
    };
  }
  if (rawIds.length === 0) {
    return invalid(
      'campaign_ids',
      `Which campaigns should I ${action.toLowerCase()}? Give at least one campaign id or group.`,
    );
  }
  const bad = rawIds.filter((id) => !CAMPAIGN_ID_PATTERN.test(id));
  if (bad.length > 0) {
    const shown = bad.slice(0, 5).map((id) => `"${quote(id, 40)}"`);
    const more = bad.length > 5 ? ` and ${bad.length - 5} more` : '';
    return invalid(
      'campaign_ids',
      `${bad.length === 1 ? 'This is not a campaign id' : 'These are not campaign ids'}: ${shown.join(', ')}${more}. ` +
        'A campaign id is 1–64 letters, digits, `_` or `-`.',
    );
  }
  const campaignIds = [...new Set(rawIds)];
  if (campaignIds.length > rules.maxIds) {
    return invalid(
      'campaign_ids',
      `That is ${campaignIds.length} campaign ids; one command takes at most ${rules.maxIds}. Split them over several commands.`,
    );
  }
  const reason = checkedReason(input.reason);
  // A lone surrogate cannot be stored as JSON by every store (Redis's cjson refuses it): refuse it here, once.
  if (reason !== undefined && !reason.isWellFormed()) {
    return invalid('reason', 'The reason contains characters that are not valid text.');
  }
  if (reason !== undefined && [...reason].length > MAX_REASON_LENGTH) {
    return invalid('reason', `The reason is too long (at most ${MAX_REASON_LENGTH} characters).`);
  }
  if (reason === undefined && rules.requireReasonFor?.includes(action)) {
    return invalid('reason', `A ${action} needs a reason (e.g. an incident number).`);
  }
  return {
    ok: true,
    action,
    campaignIds,
    reason,
    groupsUsed: expanded.groupsUsed,
    duplicatesDropped: rawIds.length - campaignIds.length,
  };
}

const isGroupToken = (t: string) => /^group:/i.test(t);
const checkedReason = (raw: string | undefined) => raw?.trim() || undefined;

/**
 * `group:NAME` tokens become their ids. An unknown group is refused without listing the others: which groups
 * exist is itself something the policy decides who may see (`/campaign groups`).
 */
export function expandIds(
  tokens: readonly string[],
  groups: CampaignGroups,
): { ok: true; ids: string[]; groupsUsed: string[] } | InvalidProposal {
  const ids: string[] = [];
  const groupsUsed: string[] = [];
  for (const token of tokens) {
    const m = /^group:(.*)$/i.exec(token);
    if (!m) {
      ids.push(token);
      continue;
    }
    const name = m[1] ?? '';
    const members = groups.get(name);
    if (!members) {
      return invalid(
        'group',
        `There is no campaign group "${quote(name, 40)}" that you may use (\`/campaign groups\` lists yours).`,
      );
    }
    groupsUsed.push(name);
    ids.push(...members);
  }
  return { ok: true, ids, groupsUsed };
}

/** The caller's text, capped so an echoed value can never blow a message's limits. Not escaped. */
export function quote(text: string, max = 80): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

function invalid(field: InvalidField, message: string): InvalidProposal {
  return { ok: false, code: 'invalid_input', field, message };
}
