import { describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../../../../src/core/catalog.ts';
import { messageText } from '../../../../src/slack/views/message-text.ts';
import {
  PICKER_BLOCKS,
  PICKER_CALLBACK_ID,
  PICKER_SEARCH_ACTION_ID,
  pickerModal,
  pickerOptions,
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
