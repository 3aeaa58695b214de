import { USAGE } from '../../commands/parse.ts';
import type { Actor } from '../../core/access.ts';
import { isCampaignAction } from '../../core/actions.ts';
import type { CatalogEntry } from '../../core/catalog.ts';
import type { Outcome } from '../../core/outcomes.ts';
import { checkProposal, type ProposalRules } from '../../core/proposal.ts';
import type { PauseFor } from '../../core/request.ts';
import type { Lifecycle } from '../../lifecycle/contract.ts';
import { escapeMrkdwn } from '../../slack/views/mrkdwn.ts';
import { outcomeText } from '../../slack/views/outcome-text.ts';
import { MAX_CANDIDATES, pauseForField } from '../../slack/views/picker-view.ts';
import type { Picker } from './picker.ts';

/** What `/campaign pause|resume|stop` said, when it is answered with the picker. */
export interface PickFrom {
  action: string;
  reason: string | undefined;
  pauseFor?: PauseFor;
}

export interface CommandPickerDeps {
  lifecycle: Pick<Lifecycle, 'findCampaigns'>;
  picker: Pick<Picker, 'open'>;
  rules: ProposalRules;
}

/** Whom a command came from, where, and the trigger_id it brought (3 s to open a modal with it). */
export interface Asker {
  actor: Actor;
  channelId: string;
  triggerId: string;
}

/** The mrkdwn to tell the person, and how the command is counted. */
export interface PickAnswer {
  text: string | undefined;
  counted: 'help' | 'bad_input' | 'denied' | 'failed';
}

const actionOf = (action: string) => (isCampaignAction(action) ? action : undefined);

/**
 * `/campaign pause` with no campaign: the picker, with the action (and any reason or pause-for) preset, once the
 * policy's first look lets the person use the bot in this channel. Without a catalog there is nothing to search:
 * the command is answered as before ("Which campaigns…?").
 */
export async function pickWhich(deps: CommandPickerDeps, said: PickFrom, asker: Asker): Promise<PickAnswer> {
  const first = await deps.lifecycle.findCampaigns({ ...who(asker), query: '', limit: 0 });
  if (first.kind === 'catalog_off') {
    const checked = checkProposal({ action: said.action, ids: [], reason: said.reason }, deps.rules);
    const message = checked.ok ? '' : checked.message;
    return { text: `${escapeMrkdwn(message)}\n${USAGE}`, counted: 'bad_input' };
  }
  if (first.kind !== 'campaigns') {
    return { text: outcomeText(first), counted: first.kind === 'denied' ? 'denied' : 'failed' };
  }
  const opened = await deps.picker.open({
    ...asker,
    action: actionOf(said.action),
    reason: said.reason,
    pauseFor: pauseForField(said.pauseFor),
    loading: first.loading,
  });
  if (opened) return { text: undefined, counted: 'help' };
  const verb = said.action.toLowerCase();
  return {
    text: `I could not open the campaign picker in time. Name the campaigns instead: \`/campaign ${verb} <ids, "part of a name" or a dashboard link>\`.`,
    counted: 'failed',
  };
}

/**
 * A typed name that matched several campaigns: the picker, with the candidates offered beside the search and
 * whatever else the command named already chosen. When it cannot be opened (the trigger expired while the names
 * were read), the candidates are listed in words.
 */
export async function pickAmong(
  deps: CommandPickerDeps,
  said: PickFrom,
  asker: Asker,
  outcome: Extract<Outcome, { kind: 'choose_campaigns' }>,
): Promise<PickAnswer> {
  const seen = new Set<string>();
  const candidates: CatalogEntry[] = [];
  for (const entry of outcome.choices.flatMap((c) => c.candidates)) {
    if (seen.has(entry.id) || candidates.length >= MAX_CANDIDATES) continue;
    seen.add(entry.id);
    candidates.push(entry);
  }
  const lines = [
    ...outcome.choices.map(
      (c) =>
        `"${c.query}" matches ${c.candidates.length}${c.more ? '+' : ''} campaigns: choose${c.more ? ', or search for the rest' : ''}`,
    ),
    ...outcome.missing.map((q) => `"${q}" matches no campaign`),
  ];
  const opened = await deps.picker.open({
    ...asker,
    action: actionOf(said.action),
    reason: said.reason,
    pauseFor: pauseForField(said.pauseFor),
    chosen: outcome.chosen ?? [],
    candidates,
    note: `${lines.join('; ')}.`,
    loading: false,
  });
  return opened ? { text: undefined, counted: 'help' } : { text: outcomeText(outcome), counted: 'failed' };
}

const who = (asker: Asker) => ({ actor: asker.actor, channelId: asker.channelId });
