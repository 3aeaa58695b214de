import type {
  AllMiddlewareArgs,
  BlockButtonAction,
  MessageShortcut,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
  SlackEventMiddlewareArgs,
  SlackOptionsMiddlewareArgs,
  SlackShortcutMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CatalogEntry } from '../../../../src/core/catalog.ts';
import type { Outcome } from '../../../../src/core/outcomes.ts';
import type { CampaignActionRequest } from '../../../../src/core/request.ts';
import { slackListeners } from '../../../../src/doors/slack/listeners.ts';
import type { CampaignQuery, CampaignsAnswer } from '../../../../src/lifecycle/campaigns.ts';
import type { HomeReads, Lifecycle, ProposeInput } from '../../../../src/lifecycle/contract.ts';
import { SlackCallError, type SlackPort } from '../../../../src/slack/port.ts';
import {
  LOADING_LABEL,
  PICKER_BLOCKS,
  PICKER_SEARCH_ACTION_ID,
} from '../../../../src/slack/views/picker-view.ts';
import { createMemoryDeduper } from '../../../../src/stores/dedupe.ts';
import { memoryLogger } from '../../../support/fixtures.ts';
import { strict } from '../../../support/strict.ts';

/**
 * The Slack door's picker, message shortcut and link unfurls over a strict fake lifecycle and a strict fake Slack:
 * each test gives them only the methods it expects the door to call. The listeners are called as Bolt calls them.
 */

const hex = (n: number) => n.toString(16).padStart(24, '0');
const entry = (n: number, name: string, status = 'ACTIVE'): CatalogEntry => ({
  id: hex(n),
  name,
  status,
  channel: 'PUSH',
  seenAt: 1,
});
const campaigns = (entries: CatalogEntry[], loading = false): CampaignsAnswer => ({
  kind: 'campaigns',
  entries,
  loading,
  fullAt: loading ? undefined : Date.now() - 3 * 60_000,
});

function request(): CampaignActionRequest {
  return {
    id: 'req-0001-abcd',
    action: 'PAUSE',
    campaignIds: [hex(1)],
    reason: undefined,
    requestedBy: 'UALICE',
    channelId: 'CINC',
    source: 'slack_picker',
    grants: [{ rule: 'oncall', needed: 1, requesterMayApprove: false }],
    approvals: [],
    createdAt: 0,
    expiresAt: 600_000,
    messageTs: '1700000000.000100',
    state: 'pending',
    decidedBy: undefined,
    decidedAt: undefined,
  };
}

type View = { private_metadata: string; blocks: Record<string, unknown>[] };

function door(lifecycle: Partial<Lifecycle>, slack: Partial<SlackPort> = {}, pickerAnswerMs?: number) {
  const told: { channel: string; user: string; text: string }[] = [];
  const opened: { triggerId: string; view: View }[] = [];
  const counted: string[] = [];
  let onCounted = () => {};
  const built = slackListeners(
    strict<Lifecycle>('lifecycle', {
      home: strict<HomeReads>('lifecycle.home', {}),
      onChange: () => () => {},
      ...lifecycle,
    }),
    {
      slack: strict<SlackPort>('slack', {
        postEphemeral: async (channel, user, text) => {
          told.push({ channel, user, text });
        },
        openView: async (triggerId, view) => {
          opened.push({ triggerId, view: view as View });
          return 'V0001';
        },
        ...slack,
      }),
      logger: memoryLogger('debug').logger,
      dedupe: createMemoryDeduper(),
      proposalRules: { maxIds: 50 },
      onCommand: (outcome) => {
        counted.push(outcome);
        onCounted();
      },
      timeZone: 'UTC',
      invalidateGroups: () => {
        throw new Error('invalidateGroups was not expected');
      },
      ...(pickerAnswerMs ? { pickerAnswerMs } : {}),
    },
  );
  onTestFinished(() => built.close());
  const { listeners } = built;

  /**
   * `/campaign <text>` from Alice in CINC: how the command was counted once its work is done, what was told to
   * Alice so far, and the first thing told (when something is).
   */
  async function command(text: string) {
    const replies: string[] = [];
    let replied: (text: string) => void = () => {};
    const reply = new Promise<string>((resolve) => {
      replied = resolve;
    });
    const done = new Promise<string>((resolve) => {
      onCounted = () => resolve(counted.at(-1) as string);
    });
    await listeners.campaignCommand({
      command: { text, user_id: 'UALICE', channel_id: 'CINC', trigger_id: `trigger-${text}` },
      ack: async () => {},
      respond: async (message: { text: string }) => {
        replies.push(message.text);
        replied(message.text);
      },
    } as unknown as SlackCommandMiddlewareArgs & AllMiddlewareArgs);
    const outcome = await done;
    return { outcome, replies, reply };
  }

  /** Bob types into the picker's search (the view carrying `channel`): the options answered. */
  async function type(value: string, channel = 'CINC') {
    let answer: unknown;
    await listeners.pickerOptions({
      ack: async (a: unknown) => {
        answer = a;
      },
      body: {
        type: 'block_suggestion',
        user: { id: 'UBOB' },
        value,
        view: { private_metadata: JSON.stringify({ channel }), state: { values: {} } },
      },
    } as unknown as SlackOptionsMiddlewareArgs<'block_suggestion'> & AllMiddlewareArgs);
    return answer as { options?: { value: string }[]; option_groups?: { label: { text: string } }[] };
  }

  /** Bob submits the picker with these fields: what the acknowledgement answered (the listener may go on). */
  function submit(fields: { action?: string; ids?: string[]; reason?: string; pauseFor?: string }) {
    let acked: (answer: unknown) => void = () => {};
    const answer = new Promise<unknown>((resolve) => {
      acked = resolve;
    });
    const values = {
      [PICKER_BLOCKS.action]: {
        value: { type: 'static_select', selected_option: fields.action ? { value: fields.action } : null },
      },
      [PICKER_BLOCKS.campaigns]: {
        [PICKER_SEARCH_ACTION_ID]: {
          type: 'multi_external_select',
          selected_options: (fields.ids ?? []).map((value) => ({ value })),
        },
      },
      [PICKER_BLOCKS.reason]: { value: { type: 'plain_text_input', value: fields.reason ?? null } },
      [PICKER_BLOCKS.pauseFor]: { value: { type: 'plain_text_input', value: fields.pauseFor ?? null } },
    };
    const view = { private_metadata: '{"channel":"CINC"}', state: { values } };
    void listeners.pickerSubmit({
      ack: async (a?: unknown) => acked(a),
      body: { type: 'view_submission', user: { id: 'UBOB' }, view },
      view,
    } as unknown as SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs);
    return answer;
  }

  return { listeners, command, type, submit, told, opened, counted };
}

/** The picker's input blocks by block id. */
const blockOf = (view: View, id: string) =>
  view.blocks.find((b) => b.block_id === id) as { element: Record<string, unknown>; optional?: boolean };

describe('the picker opened by /campaign', () => {
  it('opens on a command that names no campaign, with the action preset and the channel carried', async () => {
    const asked: CampaignQuery[] = [];
    const { command, opened, told } = door({
      findCampaigns: async (q) => {
        asked.push(q);
        return campaigns([]);
      },
    });
    const { outcome, replies } = await command('pause for 2h reason: INC-7');
    expect(outcome).toBe('help');
    // The policy's first look, as Alice in CINC, before anything is shown.
    expect(asked).toEqual([
      { actor: { kind: 'user', id: 'UALICE' }, channelId: 'CINC', query: '', limit: 0 },
    ]);
    expect(opened).toHaveLength(1);
    const { triggerId, view } = opened[0] as { triggerId: string; view: View };
    expect(triggerId).toBe('trigger-pause for 2h reason: INC-7');
    expect(view.private_metadata).toBe('{"channel":"CINC"}');
    expect(blockOf(view, PICKER_BLOCKS.action).element.initial_option).toMatchObject({ value: 'PAUSE' });
    expect(blockOf(view, PICKER_BLOCKS.reason).element.initial_value).toBe('INC-7');
    expect(blockOf(view, PICKER_BLOCKS.pauseFor).element.initial_value).toBe('2h');
    expect(replies).toEqual([]);
    expect(told).toEqual([]);
  });

  it('answers as before when there is no catalog to search, and tells a refusal instead of opening', async () => {
    const off = door({ findCampaigns: async () => ({ kind: 'catalog_off' }) });
    const before = await off.command('resume');
    expect(before.outcome).toBe('bad_input');
    expect(await before.reply).toMatch(
      /^Which campaigns should I resume\? Give at least one campaign id or group\.\n/,
    );
    expect(off.opened).toEqual([]);

    const refused = door({
      findCampaigns: async () => ({ kind: 'denied', step: 'propose', part: 'channel', action: 'PAUSE' }),
    });
    const denied = await refused.command('pause');
    expect(denied.outcome).toBe('denied');
    expect(await denied.reply).toContain('channel');
    expect(refused.opened).toEqual([]);
  });

  it('offers the campaigns a typed name matched, keeping what else the command named', async () => {
    const candidates = [1, 2, 3, 4].map((n) => entry(n, `Black Friday push ${n}`));
    const kept = entry(9, 'Cyber Monday reminder');
    const asked: ProposeInput[] = [];
    const { command, opened, told } = door({
      propose: async (input) => {
        asked.push(input);
        return {
          kind: 'choose_campaigns',
          choices: [{ query: 'black friday', candidates, more: false }],
          missing: [],
          chosen: [kept],
        };
      },
    });
    const { outcome, replies } = await command('stop "black friday" "cyber monday"');
    expect(outcome).toBe('help');
    expect(asked[0]?.ids).toEqual(['"black friday"', '"cyber monday"']);
    const view = (opened[0] as { view: View }).view;
    expect(JSON.stringify(view.blocks[0])).toContain('\\"black friday\\" matches 4 campaigns: choose.');
    const boxes = blockOf(view, PICKER_BLOCKS.candidates);
    expect(boxes.element.type).toBe('checkboxes');
    expect((boxes.element.options as { value: string }[]).map((o) => o.value)).toEqual(
      candidates.map((c) => c.id),
    );
    // Beside the candidates the search may stay empty; what else the command named is chosen already.
    expect(blockOf(view, PICKER_BLOCKS.campaigns).optional).toBe(true);
    expect(blockOf(view, PICKER_BLOCKS.campaigns).element.initial_options).toEqual([
      { text: { type: 'plain_text', text: 'Cyber Monday reminder · PUSH · ACTIVE' }, value: hex(9) },
    ]);
    expect(replies).toEqual([]);
    expect(told).toEqual([]);
  });

  it('lists the candidates in words when the picker cannot open in time', async () => {
    const candidates = [entry(1, 'Black Friday push'), entry(2, 'Black Friday email')];
    const { command } = door(
      {
        propose: async () => ({
          kind: 'choose_campaigns',
          choices: [{ query: 'black friday', candidates, more: false }],
          missing: [],
        }),
      },
      {
        openView: async () => {
          throw new SlackCallError('views.open', 'expired_trigger_id');
        },
      },
    );
    const { outcome, reply } = await command('pause "black friday"');
    expect(outcome).toBe('failed');
    expect(await reply).toContain(
      '"black friday" matches 2 campaigns: Black Friday push (`000000000000000000000001`',
    );
  });
});

describe('the picker’s options and submission', () => {
  it('answers what is typed from the catalog, for the person in the carried channel; a refusal answers nothing', async () => {
    const asked: CampaignQuery[] = [];
    const { type } = door({
      findCampaigns: async (q) => {
        asked.push(q);
        return q.channelId === 'CINC'
          ? campaigns([entry(1, 'Black Friday push'), entry(2, 'Black Friday email')])
          : { kind: 'denied', step: 'list_groups', part: 'channel' };
      },
    });
    const answer = await type('bla fri');
    expect(answer.options?.map((o) => o.value)).toEqual([hex(1), hex(2)]);
    expect(asked[0]).toEqual({
      actor: { kind: 'user', id: 'UBOB' },
      channelId: 'CINC',
      query: 'bla fri',
      limit: 100,
    });
    expect(await type('bla fri', 'CELSEWHERE')).toEqual({ options: [] });
  });

  it('says in the answer when the list is still loading', async () => {
    const { type } = door({ findCampaigns: async () => campaigns([entry(1, 'Black Friday push')], true) });
    const answer = await type('black');
    expect(answer.option_groups?.[0]?.label.text).toBe(LOADING_LABEL);
  });

  it('proposes a submission in the carried channel as the person who submitted, and closes', async () => {
    const asked: ProposeInput[] = [];
    const { submit, told } = door({
      propose: async (input) => {
        asked.push(input);
        return { kind: 'proposed', request: request() };
      },
    });
    expect(await submit({ action: 'PAUSE', ids: [hex(1)], reason: 'INC-7', pauseFor: '2h' })).toBeUndefined();
    expect(asked).toEqual([
      {
        actor: { kind: 'user', id: 'UBOB' },
        action: 'PAUSE',
        ids: [hex(1)],
        reason: 'INC-7',
        channelId: 'CINC',
        origin: { kind: 'slack_picker' },
        schedule: { ms: 7_200_000, text: 'for 2h' },
      },
    ]);
    expect(told).toEqual([]);
  });

  it('shows a refusal on the field it is about, and the form stays open', async () => {
    let outcome: Outcome = { kind: 'denied', step: 'propose', part: 'channel', action: 'STOP' };
    const { submit } = door({ propose: async () => outcome });
    expect(await submit({ action: 'STOP', ids: [hex(1)] })).toMatchObject({
      response_action: 'errors',
      errors: { [PICKER_BLOCKS.campaigns]: expect.stringMatching(/./) },
    });
    outcome = {
      kind: 'invalid_input',
      field: 'reason',
      message: 'A STOP needs a reason (e.g. an incident number).',
    };
    expect(await submit({ action: 'STOP', ids: [hex(1)] })).toEqual({
      response_action: 'errors',
      errors: { [PICKER_BLOCKS.reason]: 'A STOP needs a reason (e.g. an incident number).' },
    });
  });

  it('refuses a pause-for on anything but a pause, and an empty choice, without proposing', async () => {
    const { submit } = door({});
    expect(await submit({ action: 'RESUME', ids: [hex(1)], pauseFor: '2h' })).toMatchObject({
      errors: { [PICKER_BLOCKS.pauseFor]: expect.stringContaining('Only a pause') },
    });
    expect(await submit({ action: 'PAUSE', ids: [hex(1)], pauseFor: 'a fortnight' })).toMatchObject({
      errors: { [PICKER_BLOCKS.pauseFor]: expect.not.stringContaining('`') },
    });
    expect(await submit({ action: 'PAUSE', ids: [] })).toMatchObject({
      errors: { [PICKER_BLOCKS.campaigns]: 'Choose at least one campaign.' },
    });
  });

  it('closes the form when the proposal takes longer than Slack waits, and tells its outcome in the channel', async () => {
    let finish: (o: Outcome) => void = () => {};
    const { submit, told } = door(
      { propose: () => new Promise<Outcome>((resolve) => (finish = resolve)) },
      {},
      50,
    );
    expect(await submit({ action: 'PAUSE', ids: [hex(1)] })).toBeUndefined();
    finish({ kind: 'not_in_channel' });
    await expect
      .poll(() => told.map((t) => t.text))
      .toEqual([expect.stringContaining('I am not in this channel')]);
  });
});

describe('the message shortcut', () => {
  async function shortcut(listeners: ReturnType<typeof door>['listeners'], message: Record<string, unknown>) {
    const responded: string[] = [];
    await listeners.actOnMessage({
      ack: async () => {},
      respond: async (m: { text: string }) => {
        responded.push(m.text);
      },
      shortcut: {
        type: 'message_action',
        callback_id: 'act_on_campaigns',
        trigger_id: 'trigger-shortcut',
        user: { id: 'UALICE' },
        channel: { id: 'CINC' },
        message,
      },
    } as unknown as SlackShortcutMiddlewareArgs<MessageShortcut> & AllMiddlewareArgs);
    return responded;
  }

  it('opens the picker with the campaigns an alert names, from its attachments too', async () => {
    const asked: string[] = [];
    const found = [entry(1, 'Black Friday push'), entry(2, 'Price drop email')];
    const { listeners, opened } = door({
      campaignsIn: async (q) => {
        asked.push(q.text);
        return campaigns(found);
      },
    });
    const alert = { ts: '1.2', attachments: [{ title: 'Bounce spike', text: `campaign ${hex(1)}` }] };
    expect(await shortcut(listeners, alert)).toEqual([]);
    expect(asked).toEqual([`Bounce spike\ncampaign ${hex(1)}`]);
    const view = (opened[0] as { view: View }).view;
    expect(
      (blockOf(view, PICKER_BLOCKS.campaigns).element.initial_options as { value: string }[]).map(
        (o) => o.value,
      ),
    ).toEqual([hex(1), hex(2)]);
    expect(JSON.stringify(view)).toContain('Found 2 campaigns in this message');
  });

  it('opens the picker empty, saying so, when the message names no campaign', async () => {
    const { listeners, opened } = door({ campaignsIn: async () => campaigns([]) });
    await shortcut(listeners, { ts: '1.2', text: 'All good now' });
    const view = (opened[0] as { view: View }).view;
    expect(blockOf(view, PICKER_BLOCKS.campaigns).element.initial_options).toBeUndefined();
    expect(JSON.stringify(view)).toContain('I found no campaign in this message');
  });

  it('tells someone the policy refuses, and opens nothing', async () => {
    const { listeners, opened } = door({
      campaignsIn: async () => ({ kind: 'denied', step: 'list_groups', part: 'user' }),
    });
    const responded = await shortcut(listeners, { ts: '1.2', text: hex(1) });
    expect(responded).toHaveLength(1);
    expect(opened).toEqual([]);
  });
});

describe('link unfurls', () => {
  const LINK = `https://dashboard-01.moengage.com/v4/#/email/${hex(1)}/edit`;

  async function share(listeners: ReturnType<typeof door>['listeners'], over: Record<string, unknown> = {}) {
    await listeners.linkShared({
      event: {
        type: 'link_shared',
        channel: 'CINC',
        user: 'UALICE',
        message_ts: '1700000000.000200',
        links: [
          { domain: 'dashboard-01.moengage.com', url: LINK },
          { domain: 'moengage.com', url: 'https://www.moengage.com/blog' },
        ],
        source: 'conversations_history',
        ...over,
      },
      body: { event_id: `Ev${JSON.stringify(over).length}` },
    } as unknown as SlackEventMiddlewareArgs<'link_shared'> & AllMiddlewareArgs);
  }

  it('unfurls a dashboard link into a card with the campaign and its buttons', async () => {
    const cards: unknown[] = [];
    const asked: CampaignQuery[] = [];
    const { listeners } = door(
      {
        findCampaigns: async (q) => {
          asked.push(q);
          return campaigns([entry(1, 'Price drop email')]);
        },
      },
      {
        unfurl: async (channel, ts, unfurls) => {
          cards.push({ channel, ts, unfurls });
        },
      },
    );
    await share(listeners);
    // The blog link is no campaign: only the dashboard link is looked at.
    expect(asked).toEqual([
      { actor: { kind: 'user', id: 'UALICE' }, channelId: 'CINC', query: LINK, limit: 1 },
    ]);
    expect(cards).toHaveLength(1);
    const text = JSON.stringify(cards[0]);
    expect(text).toContain('Price drop email');
    expect(text).toContain('as of 3 min ago');
    expect(text).toContain('"unfurl_stop"');
  });

  it('gives someone the policy refuses no card, and leaves the composer alone', async () => {
    const { listeners } = door({
      findCampaigns: async () => ({ kind: 'denied', step: 'list_groups', part: 'user' }),
    });
    // The strict Slack fails the test if anything is unfurled.
    await share(listeners);
    const none = door({});
    await share(none.listeners, { channel: 'COMPOSER', source: 'composer' });
  });

  it('proposes a card button’s action on its campaign in its channel, once per click', async () => {
    const asked: ProposeInput[] = [];
    const { listeners, told } = door({
      propose: async (input) => {
        asked.push(input);
        return { kind: 'proposed', request: request() };
      },
    });
    const click = () =>
      listeners.unfurlPause({
        ack: async () => {},
        body: { user: { id: 'UBOB' }, channel: { id: 'CINC' }, trigger_id: 'trigger-card' },
        action: { value: hex(1) },
      } as unknown as SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs);
    await click();
    await click();
    expect(asked).toEqual([
      {
        actor: { kind: 'user', id: 'UBOB' },
        action: 'PAUSE',
        ids: [hex(1)],
        reason: undefined,
        channelId: 'CINC',
        origin: { kind: 'link_unfurl' },
      },
    ]);
    expect(told).toEqual([]);
  });
});
