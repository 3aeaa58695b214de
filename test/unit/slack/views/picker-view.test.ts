import { describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../../../../src/core/catalog.ts';
import { viewProblems } from '../../../../src/sandbox/slack-sim/view-checks.ts';
import { messageText } from '../../../../src/slack/views/message-text.ts';
import {
  catalogAge,
  LOADING_LABEL,
  PICKER_BLOCKS,
  PICKER_CALLBACK_ID,
  PICKER_SEARCH_ACTION_ID,
  pauseForField,
  pickerAnswer,
  pickerModal,
  pickerOptions,
  readPauseFor,
  readPicker,
  unfurlCard,
} from '../../../../src/slack/views/picker-view.ts';

const hex = (n: number) => n.toString(16).padStart(24, '0');
const entry = (n: number, name: string): CatalogEntry => ({
  id: hex(n),
  name,
  status: 'ACTIVE',
  channel: 'PUSH',
  seenAt: 1,
});

describe('the campaign picker', () => {
  it('opens with the action preset, the chosen campaigns selected, and the channel carried', () => {
    const modal = pickerModal({
      channelId: 'C1',
      action: 'PAUSE',
      chosen: [entry(1, 'Black Friday push')],
      loading: false,
    });
    expect(modal).toMatchObject({
      type: 'modal',
      callback_id: PICKER_CALLBACK_ID,
      private_metadata: '{"channel":"C1"}',
    });
    const blocks = modal.blocks as Record<string, unknown>[];
    const byId = (id: string) =>
      blocks.find((b) => b.block_id === id) as { element: Record<string, unknown>; optional?: boolean };
    expect(byId(PICKER_BLOCKS.action).element.initial_option).toEqual({
      text: { type: 'plain_text', text: 'Pause' },
      value: 'PAUSE',
    });
    expect(byId(PICKER_BLOCKS.campaigns).element).toMatchObject({
      type: 'multi_external_select',
      action_id: PICKER_SEARCH_ACTION_ID,
      initial_options: [
        { text: { type: 'plain_text', text: 'Black Friday push · PUSH · ACTIVE' }, value: hex(1) },
      ],
    });
    expect(byId(PICKER_BLOCKS.reason).optional).toBe(true);
    expect(JSON.stringify(modal)).not.toContain('still loading');
    expect(
      JSON.stringify(pickerModal({ channelId: 'C1', action: undefined, chosen: [], loading: true })),
    ).toContain('still loading');
  });

  it('answers an options request with at most 100 options of at most 75 characters', () => {
    const many = Array.from({ length: 150 }, (_, i) =>
      entry(i, `${'Very long campaign name '.repeat(5)}${i}`),
    );
    const { options } = pickerOptions(many);
    expect(options).toHaveLength(100);
    for (const o of options as { text: { text: string }; value: string }[]) {
      expect(o.text.text.length).toBeLessThanOrEqual(75);
      expect(o.value).toMatch(/^[0-9a-f]{24}$/);
    }
  });

  it('reads a submission, empty fields as absent, and a forged private_metadata as no channel', () => {
    const values = {
      [PICKER_BLOCKS.action]: { value: { type: 'static_select', selected_option: { value: 'STOP' } } },
      [PICKER_BLOCKS.campaigns]: {
        [PICKER_SEARCH_ACTION_ID]: {
          type: 'multi_external_select',
          selected_options: [{ value: hex(1) }, { value: hex(2) }],
        },
      },
      [PICKER_BLOCKS.reason]: { value: { type: 'plain_text_input', value: '  INC-7 wrong coupon ' } },
      [PICKER_BLOCKS.pauseFor]: { value: { type: 'plain_text_input', value: null } },
    };
    expect(readPicker({ private_metadata: '{"channel":"C9"}', state: { values } })).toEqual({
      channelId: 'C9',
      action: 'STOP',
      campaignIds: [hex(1), hex(2)],
      reason: 'INC-7 wrong coupon',
      pauseFor: undefined,
    });
    expect(readPicker({ private_metadata: 'not json', state: { values: {} } })).toEqual({
      channelId: undefined,
      action: undefined,
      campaignIds: [],
      reason: undefined,
      pauseFor: undefined,
    });
  });

  it('draws a dashboard link as a card with the campaign and three buttons carrying its id', () => {
    const card = unfurlCard(entry(1, 'Price <drop> & more'), hex(1), 'Listed 2 min ago.');
    const text = JSON.stringify(card);
    expect(text).toContain('*Price &lt;drop&gt; &amp; more*');
    expect(
      (
        card.blocks as { type: string; elements?: { value: string; action_id: string }[] }[]
      )[1]?.elements?.map((e) => [e.action_id, e.value]),
    ).toEqual([
      ['unfurl_pause', hex(1)],
      ['unfurl_resume', hex(1)],
      ['unfurl_stop', hex(1)],
    ]);
    expect(JSON.stringify(unfurlCard(undefined, hex(2), ''))).toContain('not in the campaign list yet');
  });
});

describe('the picker with candidates, pause-for and a loading list', () => {
  it('offers at most 10 candidates as checkboxes beside an optional search, within what Slack takes', () => {
    const candidates = Array.from({ length: 14 }, (_, i) =>
      entry(i + 1, `Black Friday ${'x'.repeat(80)} ${i}`),
    );
    const modal = pickerModal({
      channelId: 'C1',
      action: 'PAUSE',
      chosen: [entry(99, 'Cyber Monday reminder')],
      candidates,
      loading: false,
      note: '"black friday" matches 10+ campaigns: choose',
      reason: 'INC-1',
      pauseFor: '2h',
    });
    expect(viewProblems(modal)).toEqual([]);
    const blocks = modal.blocks as {
      block_id?: string;
      optional?: boolean;
      element?: Record<string, unknown>;
    }[];
    const boxes = blocks.find((b) => b.block_id === PICKER_BLOCKS.candidates);
    expect(boxes?.element?.type).toBe('checkboxes');
    expect(((boxes?.element?.options ?? []) as { value: string }[]).map((o) => o.value)).toEqual(
      candidates.slice(0, 10).map((c) => c.id),
    );
    expect(blocks.find((b) => b.block_id === PICKER_BLOCKS.campaigns)?.optional).toBe(true);
    expect(blocks.find((b) => b.block_id === PICKER_BLOCKS.pauseFor)?.element?.initial_value).toBe('2h');
    // Without candidates the search is required (Slack's own check), and the picker is still within its limits.
    const plain = pickerModal({ channelId: 'C1', action: undefined, chosen: [], loading: true });
    expect(viewProblems(plain)).toEqual([]);
    const search = (plain.blocks as typeof blocks).find((b) => b.block_id === PICKER_BLOCKS.campaigns);
    expect(search?.optional).toBeUndefined();
  });

  it('reads ticked candidates with the search’s choices, each campaign once', () => {
    const values = {
      [PICKER_BLOCKS.candidates]: {
        value: { type: 'checkboxes', selected_options: [{ value: hex(3) }, { value: hex(1) }] },
      },
      [PICKER_BLOCKS.campaigns]: {
        [PICKER_SEARCH_ACTION_ID]: { type: 'multi_external_select', selected_options: [{ value: hex(1) }] },
      },
    };
    expect(readPicker({ private_metadata: '{"channel":"C1"}', state: { values } }).campaignIds).toEqual([
      hex(3),
      hex(1),
    ]);
  });

  it('reads the pause-for field as the command reads `for` and `until`, for a pause only', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0);
    expect(readPauseFor(undefined, 'RESUME', now)).toEqual({ ok: true, value: undefined });
    expect(readPauseFor('2h', 'PAUSE', now)).toEqual({ ok: true, value: { ms: 7_200_000, text: 'for 2h' } });
    expect(readPauseFor('for 30m', 'PAUSE', now)).toEqual({
      ok: true,
      value: { ms: 1_800_000, text: 'for 30m' },
    });
    expect(readPauseFor('until 18:00', 'PAUSE', now)).toEqual({
      ok: true,
      value: { until: Date.UTC(2026, 0, 1, 18, 0), text: 'until 18:00' },
    });
    const wrong = readPauseFor('a fortnight', 'PAUSE', now);
    expect(wrong.ok).toBe(false);
    expect(!wrong.ok && wrong.message).not.toContain('`');
    expect(readPauseFor('2h', 'STOP', now).ok).toBe(false);
    expect(pauseForField({ ms: 7_200_000, text: 'for 2h' })).toBe('2h');
    expect(pauseForField({ until: 1, text: 'until 18:00' })).toBe('until 18:00');
  });

  it('heads the options with the list’s state while it loads, and says the catalog’s age in words', () => {
    expect(pickerAnswer([entry(1, 'A sale')], false)).toEqual(pickerOptions([entry(1, 'A sale')]));
    expect(pickerAnswer([entry(1, 'A sale')], true)).toEqual({
      option_groups: [
        {
          label: { type: 'plain_text', text: LOADING_LABEL },
          options: pickerOptions([entry(1, 'A sale')]).options,
        },
      ],
    });
    expect(LOADING_LABEL.length).toBeLessThanOrEqual(75);
    expect(pickerAnswer([], true)).toEqual({ options: [] });
    const now = 10 * 3_600_000;
    expect(catalogAge(undefined, now)).toBe('The campaign list is still loading.');
    expect(catalogAge(now - 10_000, now)).toBe('From the campaign list as of just now.');
    expect(catalogAge(now - 14 * 60_000, now)).toBe('From the campaign list as of 14 min ago.');
    expect(catalogAge(now - 5 * 3_600_000, now)).toBe('From the campaign list as of 5 h ago.');
  });
});

describe('the text of a message', () => {
  it('reads text, blocks and attachments, leaving ids and styles out', () => {
    const message = {
      text: 'Alert',
      blocks: [{ type: 'section', block_id: 'b1', text: { type: 'mrkdwn', text: 'Campaign "Price drop"' } }],
      attachments: [{ color: '#ff0000', title: 'Bounce spike', fields: [{ title: 'id', value: hex(7) }] }],
    };
    const text = messageText(message);
    expect(text.split('\n')).toEqual(['Alert', 'Campaign "Price drop"', 'Bounce spike', 'id', hex(7)]);
    expect(messageText({ text: 'x'.repeat(500) }, 100)).toHaveLength(100);
  });
});
