import { CAMPAIGN_ACTIONS, type CampaignAction } from '../../core/actions.ts';
import { type CatalogEntry, entryLabel } from '../../core/catalog.ts';
import { type PauseFor, parsePauseFor } from '../../core/pause-for.ts';
import { type Block, button, context, section, VERB } from './blocks.ts';
import { escapeMrkdwn } from './mrkdwn.ts';

/**
 * The campaign picker: a modal that finds campaigns by name as the person types (a `multi_external_select` whose
 * options the bot answers from its catalog), with the action, an optional reason and pause-for, proposing in the
 * channel it was opened from. Pure Block Kit; Slack's limits: 100 options an answer, 75 characters an option's
 * text, 150 a value, 3,000 characters of private_metadata.
 */
export const PICKER_CALLBACK_ID = 'campaign_picker';
export const PICKER_SEARCH_ACTION_ID = 'campaign_search';
export const PICKER_BLOCKS = {
  action: 'picker_action',
  campaigns: 'picker_campaigns',
  candidates: 'picker_candidates',
  reason: 'picker_reason',
  pauseFor: 'picker_pause_for',
} as const;
export const MAX_OPTIONS = 100;
/** Checkboxes show at most 10 options (Slack's limit): the candidates of an ambiguous name, best first. */
export const MAX_CANDIDATES = 10;
/** Unfurl buttons: each proposes its action for the campaign in its value, in the channel of the unfurl. */
export const UNFURL_ACTION_IDS: Record<CampaignAction, string> = {
  PAUSE: 'unfurl_pause',
  RESUME: 'unfurl_resume',
  STOP: 'unfurl_stop',
};

export interface PickerState {
  channelId: string;
  action: CampaignAction | undefined;
  /** Campaigns chosen already (from a shortcut, or named beside an ambiguous name): shown as selected. */
  chosen: readonly CatalogEntry[];
  /** Campaigns a typed name matched: offered as checkboxes beside the search (at most 10), none ticked. */
  candidates?: readonly CatalogEntry[];
  /** The catalog has no full copy yet: names come from MoEngage's own search meanwhile. */
  loading: boolean;
  /** Said above the list, e.g. `"black friday" matches 4 campaigns: choose`. */
  note?: string;
  reason?: string;
  /** The pause-for field as typed after the command (`2h`, `until 18:00`). */
  pauseFor?: string;
}

export interface PickerMetadata {
  channel: string;
}

export function optionOf(entry: CatalogEntry): Block {
  return { text: { type: 'plain_text', text: entryLabel(entry, 75) }, value: entry.id };
}

/** Slack's answer to an options request: the best matches, at most 100. */
export function pickerOptions(entries: readonly CatalogEntry[]): { options: Block[] } {
  return { options: entries.slice(0, MAX_OPTIONS).map(optionOf) };
}

/**
 * The answer as sent: while the catalog has no full copy, the matches come under a heading that says so (an
 * options answer has no other place for a note).
 */
export function pickerAnswer(
  entries: readonly CatalogEntry[],
  loading: boolean,
): { options: Block[] } | { option_groups: Block[] } {
  const { options } = pickerOptions(entries);
  if (!loading || options.length === 0) return { options };
  return { option_groups: [{ label: { type: 'plain_text', text: LOADING_LABEL }, options }] };
}

/** At most 75 characters: an option group's label. */
export const LOADING_LABEL = 'Still loading the campaign list: MoEngage’s own matches';

/** How old the catalog's copy is, in words, for a card or a note (`now` and `fullAt` in ms). */
export function catalogAge(fullAt: number | undefined, now: number): string {
  if (fullAt === undefined) return 'The campaign list is still loading.';
  const minutes = Math.max(0, Math.round((now - fullAt) / 60_000));
  if (minutes < 1) return 'From the campaign list as of just now.';
  if (minutes < 120) return `From the campaign list as of ${minutes} min ago.`;
  return `From the campaign list as of ${Math.round(minutes / 60)} h ago.`;
}

export function pickerModal(state: PickerState): Block {
  const actionOption = (a: CampaignAction) => ({
    text: { type: 'plain_text', text: VERB[a].base },
    value: a,
  });
  const blocks: Block[] = [];
  const candidates = (state.candidates ?? []).slice(0, MAX_CANDIDATES);
  if (state.note) blocks.push(section(escapeMrkdwn(state.note)));
  blocks.push(
    {
      type: 'input',
      block_id: PICKER_BLOCKS.action,
      label: { type: 'plain_text', text: 'Action' },
      element: {
        type: 'static_select',
        action_id: 'value',
        options: CAMPAIGN_ACTIONS.map(actionOption),
        ...(state.action ? { initial_option: actionOption(state.action) } : {}),
      },
    },
    ...(candidates.length > 0
      ? [
          {
            type: 'input',
            block_id: PICKER_BLOCKS.candidates,
            optional: true,
            label: { type: 'plain_text', text: 'Which of these?' },
            element: { type: 'checkboxes', action_id: 'value', options: candidates.map(optionOf) },
          },
        ]
      : []),
    {
      type: 'input',
      block_id: PICKER_BLOCKS.campaigns,
      // Beside candidates the search may stay empty (the ticked ones are enough); the submission checks for none.
      ...(candidates.length > 0 ? { optional: true } : {}),
      label: { type: 'plain_text', text: candidates.length > 0 ? 'Or search' : 'Campaigns' },
      hint: {
        type: 'plain_text',
        text: 'Type part of a name (any order), an id, or paste a dashboard link.',
      },
      element: {
        type: 'multi_external_select',
        action_id: PICKER_SEARCH_ACTION_ID,
        min_query_length: 2,
        placeholder: { type: 'plain_text', text: 'Search campaigns by name' },
        ...(state.chosen.length > 0
          ? { initial_options: state.chosen.slice(0, MAX_OPTIONS).map(optionOf) }
          : {}),
      },
    },
    {
      type: 'input',
      block_id: PICKER_BLOCKS.reason,
      optional: true,
      label: { type: 'plain_text', text: 'Reason' },
      element: {
        type: 'plain_text_input',
        action_id: 'value',
        max_length: 500,
        ...(state.reason ? { initial_value: state.reason.slice(0, 500) } : {}),
      },
    },
    {
      type: 'input',
      block_id: PICKER_BLOCKS.pauseFor,
      optional: true,
      label: { type: 'plain_text', text: 'Pause for (pause only)' },
      hint: { type: 'plain_text', text: '2h, 30m, 1d or until 18:00: resumed by itself, with a reminder.' },
      element: {
        type: 'plain_text_input',
        action_id: 'value',
        max_length: 40,
        ...(state.pauseFor ? { initial_value: state.pauseFor.slice(0, 40) } : {}),
      },
    },
  );
  blocks.push(
    context(
      state.loading
        ? ':hourglass_flowing_sand: The campaign list is still loading: names come from MoEngage’s search meanwhile.'
        : `Proposed in <#${state.channelId}> under the usual policy: nothing changes until it is confirmed.`,
    ),
  );
  return {
    type: 'modal',
    callback_id: PICKER_CALLBACK_ID,
    title: { type: 'plain_text', text: 'Act on campaigns' },
    submit: { type: 'plain_text', text: 'Propose' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: JSON.stringify({ channel: state.channelId } satisfies PickerMetadata),
    blocks,
  };
}

/** What a submission of the picker carries, read from Slack's `view.state.values`; undefined fields were empty. */
export interface PickerSubmission {
  channelId: string | undefined;
  action: string | undefined;
  campaignIds: string[];
  reason: string | undefined;
  pauseFor: string | undefined;
}

export function readPicker(view: {
  private_metadata?: string;
  state?: { values?: Record<string, Record<string, unknown>> };
}): PickerSubmission {
  const values = view.state?.values ?? {};
  const field = (block: string, action = 'value') =>
    values[block]?.[action] as
      | {
          value?: string | null;
          selected_option?: { value?: string } | null;
          selected_options?: { value?: string }[];
        }
      | undefined;
  let channelId: string | undefined;
  try {
    const meta = JSON.parse(view.private_metadata ?? '{}') as Partial<PickerMetadata>;
    channelId = typeof meta.channel === 'string' ? meta.channel : undefined;
  } catch {
    channelId = undefined;
  }
  const text = (v: string | null | undefined) => (v && v.trim() !== '' ? v.trim() : undefined);
  const chosen = [
    ...(field(PICKER_BLOCKS.candidates)?.selected_options ?? []),
    ...(field(PICKER_BLOCKS.campaigns, PICKER_SEARCH_ACTION_ID)?.selected_options ?? []),
  ].map((o) => o.value);
  return {
    channelId,
    action: field(PICKER_BLOCKS.action)?.selected_option?.value,
    // Ticked candidates first, then the search's; a campaign chosen in both counts once.
    campaignIds: [...new Set(chosen.filter((v): v is string => typeof v === 'string' && v !== ''))],
    reason: text(field(PICKER_BLOCKS.reason)?.value),
    pauseFor: text(field(PICKER_BLOCKS.pauseFor)?.value),
  };
}

/**
 * The pause-for field as typed (`2h`, `for 2h`, `until 18:00`): nothing, a pause for a while, or why not in
 * plain words (an input's error shows no mrkdwn). Only a pause can be for a while.
 */
export function readPauseFor(
  text: string | undefined,
  action: string,
  now: number,
  timeZone?: string,
): { ok: true; value: PauseFor | undefined } | { ok: false; message: string } {
  if (text === undefined) return { ok: true, value: undefined };
  if (action !== 'PAUSE')
    return {
      ok: false,
      message: 'Only a pause can be for a while: leave this empty for a resume or a stop.',
    };
  const until = /^until\s+(.+)$/i.exec(text);
  const parsed = until
    ? parsePauseFor('until', until[1] as string, now, timeZone)
    : parsePauseFor('for', text.replace(/^for\s+/i, ''), now, timeZone);
  return parsed.ok
    ? { ok: true, value: parsed.pauseFor }
    : { ok: false, message: parsed.message.replace(/`/g, '') };
}

/** The pause-for field's words for what a command said (`for 2h` → `2h`; `until 18:00` stays). */
export function pauseForField(pauseFor: PauseFor | undefined): string | undefined {
  return pauseFor?.text.replace(/^for\s+/i, '');
}

/** A dashboard link's card: the campaign as the catalog knows it, and buttons that propose in the channel. */
export function unfurlCard(entry: CatalogEntry | undefined, id: string, ageText: string): Block {
  const title = entry ? `*${escapeMrkdwn(entry.name)}*` : `Campaign \`${id}\``;
  const facts = entry
    ? [entry.channel, entry.deliveryType, entry.status].filter(Boolean).join(' · ')
    : 'not in the campaign list yet';
  return {
    blocks: [
      section(`${title}\n${escapeMrkdwn(facts)} · \`${id}\``),
      {
        type: 'actions',
        elements: CAMPAIGN_ACTIONS.map((a) => button(UNFURL_ACTION_IDS[a], VERB[a].base, id)),
      },
      context(`${ageText} Each button proposes; nothing changes until it is confirmed.`),
    ],
  };
}
