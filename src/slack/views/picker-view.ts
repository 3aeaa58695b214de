import { CAMPAIGN_ACTIONS, type CampaignAction } from '../../core/actions.ts';
import { type CatalogEntry, entryLabel } from '../../core/catalog.ts';
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
  reason: 'picker_reason',
  pauseFor: 'picker_pause_for',
} as const;
export const MAX_OPTIONS = 100;
/** Unfurl buttons: each proposes its action for the campaign in its value, in the channel of the unfurl. */
export const UNFURL_ACTION_IDS: Record<CampaignAction, string> = {
  PAUSE: 'unfurl_pause',
  RESUME: 'unfurl_resume',
  STOP: 'unfurl_stop',
};

export interface PickerState {
  channelId: string;
  action: CampaignAction | undefined;
  /** Campaigns chosen already (from a shortcut, several matches of a typed name): shown as selected. */
  chosen: readonly CatalogEntry[];
  /** The catalog has no full copy yet: names come from MoEngage's own search meanwhile. */
  loading: boolean;
  /** Said above the list, e.g. `"black friday" matches 4 campaigns: choose`. */
  note?: string;
  reason?: string;
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

export function pickerModal(state: PickerState): Block {
  const actionOption = (a: CampaignAction) => ({
    text: { type: 'plain_text', text: VERB[a].base },
    value: a,
  });
  const blocks: Block[] = [];
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
    {
      type: 'input',
      block_id: PICKER_BLOCKS.campaigns,
      label: { type: 'plain_text', text: 'Campaigns' },
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
      element: { type: 'plain_text_input', action_id: 'value', max_length: 40 },
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
  return {
    channelId,
    action: field(PICKER_BLOCKS.action)?.selected_option?.value,
    campaignIds: (field(PICKER_BLOCKS.campaigns, PICKER_SEARCH_ACTION_ID)?.selected_options ?? [])
      .map((o) => o.value)
      .filter((v): v is string => typeof v === 'string' && v !== ''),
    reason: text(field(PICKER_BLOCKS.reason)?.value),
    pauseFor: text(field(PICKER_BLOCKS.pauseFor)?.value),
  };
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
