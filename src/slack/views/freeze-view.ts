import type { FreezeAnswer } from '../../core/freeze.ts';
import { type FreezeScope, scopeText, scopeToken } from '../../core/freeze.ts';
import type { CampaignActionRequest } from '../../core/request.ts';
import { mention, plural } from './blocks.ts';
import { escapeMrkdwn, nameText } from './mrkdwn.ts';
import { outcomeText } from './outcome-text.ts';

/** What a freeze shows: its line on the confirmation, and the answers to `/campaign freeze` and `unfreeze`. Pure. */

/** The command that ends a freeze of this scope, as code: `/campaign unfreeze channel:EMAIL`. */
export function unfreezeCommand(scope: FreezeScope): string {
  return `\`/campaign unfreeze${escapeMrkdwn(scope.kind === 'all' ? '' : ` ${scopeToken(scope)}`)}\``;
}

/** How far a freeze has got: "8 paused", "waiting for confirmation", "running". */
export function freezeState(r: CampaignActionRequest): string {
  return r.result
    ? `${r.result.applied} paused`
    : r.state === 'pending'
      ? 'waiting for confirmation'
      : 'running';
}

const PREVIEW = 5;

/** On the confirmation of a freeze: what it is, and how it ends. */
export function freezeLine(r: CampaignActionRequest): string | undefined {
  const scope = r.freeze?.scope;
  if (!scope) return undefined;
  const lookup = r.lookup?.state === 'done' ? r.lookup : undefined;
  const names = r.campaignIds
    .slice(0, PREVIEW)
    .map((id) => `*${nameText(lookup?.campaigns[id]?.name ?? id, 40)}*`);
  const more =
    r.campaignIds.length > PREVIEW ? `, and ${r.campaignIds.length - PREVIEW} more (all in the thread)` : '';
  // Said for all campaigns: MoEngage's status APIs leave SMS and its other channels out, so a freeze does too.
  const uncovered =
    scope.kind === 'all'
      ? ' Email and push only: MoEngage cannot pause SMS and other channels through its API.'
      : '';
  return `:ice_cube: *Freeze of ${escapeMrkdwn(scopeText(scope))}*: every campaign MoEngage lists there that a pause applies to (${r.campaignIds.length}): ${names.join(', ')}${more}. ${unfreezeCommand(scope)} resumes exactly those this pauses, and no other.${uncovered}`;
}

/** "active", "active, scheduled or sending": the statuses a freeze looked for, as words. */
function statusWords(statuses: readonly string[]): string {
  const words = statuses.map((s) => s.toLowerCase());
  return words.length <= 1 ? (words[0] ?? 'active') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** The answer to the person who typed `/campaign freeze` or `unfreeze`, when the channel does not show it. */
export function freezeAnswerText(answer: FreezeAnswer): string | undefined {
  switch (answer.kind) {
    case 'lookup_off':
      return 'A freeze needs MoEngage’s campaign search to find what is active (`CAMPAIGN_LOOKUP=on`); name the campaigns with `/campaign pause` instead.';
    case 'lookup_unavailable':
      return `Could not search MoEngage for the campaigns to freeze, so nothing was proposed: ${escapeMrkdwn(answer.message)}`;
    case 'nothing_to_freeze': {
      const running = statusWords(answer.statuses);
      return answer.seen === 0
        ? `Nothing to freeze: MoEngage lists no ${running} campaign in ${escapeMrkdwn(scopeText(answer.scope))}.`
        : `Nothing to freeze: of the ${plural(answer.seen, 'campaign')} found in ${escapeMrkdwn(scopeText(answer.scope))}, none is ${running} and can be paused.`;
    }
    case 'freeze_scope_denied':
      return `You may pause the campaigns of some campaign groups only, so you cannot freeze ${escapeMrkdwn(scopeText(answer.scope))}: nothing was searched or proposed. Freeze a group you may change (\`/campaign freeze group:NAME\`; \`/campaign groups\` lists them), or ask someone allowed to freeze everything.`;
    case 'freeze_held': {
      const r = answer.request;
      return `A freeze of ${escapeMrkdwn(scopeText(answer.scope))} is on already (asked by ${mention(r.requestedBy)}, ${freezeState(r)}; request ${escapeMrkdwn(r.id)}). ${unfreezeCommand(answer.scope)} ends it.`;
    }
    case 'freeze_starting':
      return `Another freeze of ${escapeMrkdwn(scopeText(answer.scope))} is looking for its campaigns right now; its confirmation will be in the channel in a moment.`;
    case 'freeze_too_large':
      return `Nothing was proposed: MoEngage lists more campaigns in ${escapeMrkdwn(scopeText(answer.scope))} than one freeze takes (${answer.seen} on 200 pages). Freeze a channel or a group instead.`;
    case 'no_freeze':
      return `No freeze of ${escapeMrkdwn(scopeText(answer.scope))} is on, so there is nothing to unfreeze.`;
    default:
      return outcomeText(answer);
  }
}
