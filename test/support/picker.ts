import type { SimCampaign } from '../../src/sandbox/campaigns.ts';
import { newestPicker, pickerSearch } from '../../src/sandbox/picker-flow.ts';
import type { SimView } from '../../src/sandbox/slack-sim.ts';
import { PICKER_BLOCKS } from '../../src/slack/views/picker-view.ts';
import { type Harness, startHarness, testFleet } from './bot-harness.ts';

/** A 24-hex campaign id (what dashboard links carry), numbered. */
export const hexId = (n: number) => `65a1f0c2e4b0a1b2c3d4e${n.toString(16).padStart(3, '0')}`;

/** A dashboard link to a campaign, as people paste it. */
export const dashboardUrl = (id: string) => `https://dashboard-01.moengage.com/v4/#/email/${id}/edit?step=2`;

const named = (n: number, name: string, more: Partial<SimCampaign> = {}): SimCampaign => ({
  id: hexId(n),
  name,
  type: 'PERIODIC',
  channel: 'PUSH',
  status: 'ACTIVE',
  ...more,
});

/** Campaigns people know by name: four Black Friday ones (one paused), and two others. */
export const NAMED: SimCampaign[] = [
  named(1, 'Black Friday | Price drop | Push | IN', { tags: ['promo'] }),
  named(2, 'Black Friday teaser', { channel: 'EMAIL' }),
  named(3, 'Black Friday – last call', { type: 'EVENT_TRIGGERED' }),
  named(4, 'Black Friday winback', { channel: 'EMAIL', status: 'PAUSED' }),
  named(5, 'Cyber Monday reminder'),
  named(6, 'Price drop email', { channel: 'EMAIL' }),
];
export const BLACK_FRIDAY = NAMED.slice(0, 4).map((c) => c.id);

/**
 * The bot with its campaign catalog on, over the test fleet and the named campaigns (listed after the fleet, so a
 * listing cut short knows none of them). `pagesPerMinute` paces the listing (fast by default).
 */
export async function startPickerHarness(
  options: {
    apiVersion?: 'v1' | 'v5';
    nameMatch?: 'exact' | 'partial';
    pagesPerMinute?: number;
    env?: Record<string, string>;
  } = {},
): Promise<Harness> {
  return startHarness(
    {
      CAMPAIGN_CATALOG: 'on',
      MOENGAGE_API_VERSION: options.apiVersion ?? 'v5',
      ...options.env,
    },
    {
      moengage: { campaigns: [...testFleet(), ...NAMED], nameMatch: options.nameMatch ?? 'exact' },
      timings: { catalog: { pagesPerMinute: options.pagesPerMinute ?? 6_000 } },
    },
  );
}

/** Waits (60 s at most) for the catalog's first full listing to finish. */
export function catalogWhole(h: Harness) {
  return h.slack.waitFor(
    () => h.log.lines().some((l) => l.msg === 'catalog refresh' && l.state === 'done'),
    60_000,
  );
}

/** The modal the bot opened for a person, once it has (the newest one). */
export function pickerOf(h: Harness, userId: string): Promise<SimView> {
  return newestPicker(h.slack, userId);
}

/** A person types into the picker's search. */
export function typeSearch(h: Harness, view: SimView, value: string, userId?: string) {
  return pickerSearch(h.slack, h.url, view, value, userId);
}

/** A person picks an action in the picker. */
export function chooseAction(h: Harness, view: SimView, action: 'PAUSE' | 'RESUME' | 'STOP') {
  h.slack.chooseOptions(view.id, { actionId: 'value', blockId: PICKER_BLOCKS.action, values: [action] });
}

/** The ids a picker shows as chosen already. */
export function initiallyChosen(view: SimView): string[] {
  const block = (
    view.view.blocks as { block_id?: string; element?: { initial_options?: { value: string }[] } }[]
  ).find((b) => b.block_id === PICKER_BLOCKS.campaigns);
  return (block?.element?.initial_options ?? []).map((o) => o.value);
}

/** Every text of the picker (its note, its context lines), to read what it says. */
export const viewText = (view: SimView) => JSON.stringify(view.view.blocks);
