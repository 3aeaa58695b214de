import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { App, LogLevel, SocketModeReceiver, webApi } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type SimOption,
  type SimView,
  type SlackSim,
  SOCKET_MODE,
  startSlackSim,
} from '../../src/sandbox/slack-sim.ts';

/**
 * The Slack simulator's newer surfaces, driven through a bare Bolt app (HTTP and Socket Mode), so what the
 * simulator sends is what Bolt routes, and what Bolt answers is what the simulator reads: modals (trigger_ids once
 * and within 3 s), options requests (3 s, then failed), view submissions, message shortcuts, link_shared and
 * chat.unfurl, each refusing what Slack refuses.
 */
const BOT_TOKEN = 'xoxb-sim-surfaces-test';
const APP_TOKEN = 'xapp-1-ASIM-surfaces-test';
const SECRET = 'sim-surfaces-signing-secret';
const CHANNEL = 'C0INCIDENT';
const silent = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => 'error',
  setName() {},
} as never;

const text = (t: string) => ({ type: 'plain_text' as const, text: t });
const option = (value: string, label = value): SimOption => ({ text: text(label), value });

/** The picker a bot would open: campaigns searched as you type, an optional reason, the channel carried along. */
const picker = (more: Record<string, unknown> = {}) => ({
  type: 'modal',
  callback_id: 'pick_campaigns',
  title: text('Pause campaigns'),
  submit: text('Propose'),
  close: text('Cancel'),
  private_metadata: JSON.stringify({ channel: CHANNEL, action: 'PAUSE' }),
  blocks: [
    {
      type: 'input',
      block_id: 'campaigns',
      label: text('Campaigns'),
      element: { type: 'multi_external_select', action_id: 'campaigns', min_query_length: 2 },
    },
    {
      type: 'input',
      block_id: 'reason',
      optional: true,
      label: text('Reason'),
      element: { type: 'plain_text_input', action_id: 'reason' },
    },
    { type: 'section', block_id: 'note', text: { type: 'mrkdwn', text: 'The list may still be loading.' } },
  ],
  ...more,
});

/** What the test bot does, changeable per test. */
interface Behaviour {
  openOnCommand: boolean;
  optionsDelayMs: number;
  options: (typed: string) => unknown;
  submission: (view: Record<string, unknown>) => unknown;
}

interface Bot {
  url: string;
  behave: Behaviour;
  client: webApi.WebClient;
  seen: { kind: string; body: Record<string, unknown> }[];
}

let sim: SlackSim;
let app: App | undefined;
afterEach(async () => {
  await app?.stop().catch(() => undefined);
  app = undefined;
  // The simulator fails loudly: nothing the bot did was unexpected.
  expect(sim.unexpected).toEqual([]);
  await sim.close();
});

async function start(
  mode: 'http' | 'socket' = 'http',
  options: { triggerTtlMs?: number } = {},
): Promise<Bot> {
  sim = await startSlackSim({
    botToken: BOT_TOKEN,
    signingSecret: SECRET,
    memberChannels: [CHANNEL],
    ...(mode === 'socket' ? { appToken: APP_TOKEN } : {}),
    ...options,
  });
  const clientOptions = { slackApiUrl: `${sim.url}/api/`, retryConfig: { retries: 0 } };
  const behave: Behaviour = {
    openOnCommand: true,
    optionsDelayMs: 0,
    options: (typed) => ({ options: [option(`id-${typed}`, `Campaign ${typed}`)] }),
    submission: () => undefined,
  };
  const seen: Bot['seen'] = [];
  const a = new App({
    token: BOT_TOKEN,
    logger: silent,
    clientOptions,
    deferInitialization: true,
    ...(mode === 'socket'
      ? {
          receiver: new SocketModeReceiver({
            appToken: APP_TOKEN,
            logger: silent,
            installerOptions: { clientOptions },
          }),
        }
      : { signingSecret: SECRET }),
  });
  a.command('/campaign', async ({ ack, body, client }) => {
    seen.push({ kind: 'command', body: body as never });
    await ack();
    if (behave.openOnCommand)
      await client.views.open({ trigger_id: body.trigger_id, view: picker() as never });
  });
  a.options('campaigns', async ({ ack, body }) => {
    seen.push({ kind: 'options', body: body as never });
    if (behave.optionsDelayMs > 0) await sleep(behave.optionsDelayMs);
    await ack(behave.options((body as { value: string }).value) as never);
  });
  a.view('pick_campaigns', async ({ ack, body }) => {
    seen.push({ kind: 'view_submission', body: body as never });
    await ack(behave.submission(body.view as never) as never);
  });
  a.shortcut('act_on_message', async ({ ack, body, client }) => {
    seen.push({ kind: 'shortcut', body: body as never });
    await ack();
    await client.views.open({
      trigger_id: (body as { trigger_id: string }).trigger_id,
      view: picker() as never,
    });
  });
  a.event('link_shared', async ({ event, client }) => {
    seen.push({ kind: 'link_shared', body: event as never });
    const unfurls = Object.fromEntries(
      event.links.map((l) => [
        l.url,
        { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*${l.url}*` } }] },
      ]),
    );
    await client.chat.unfurl({ channel: event.channel, ts: event.message_ts, unfurls } as never);
  });
  await a.init();
  app = a;
  let url = SOCKET_MODE;
  if (mode === 'http') {
    const server = await a.start({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  } else {
    await a.start();
    await sim.waitFor(() => sim.socketMode.connections() === 1);
  }
  const client = new webApi.WebClient(BOT_TOKEN, { ...clientOptions, logLevel: LogLevel.ERROR });
  return { url, behave, client, seen };
}

/** `/campaign pause` with the bot opening the picker: the open view. */
async function openPicker(bot: Bot, userId = 'U0ALICE'): Promise<SimView> {
  await sim.slashCommand(bot.url, { userId, channelId: CHANNEL, text: 'pause' });
  return sim.waitFor(() => sim.views(userId).at(-1));
}

/** A trigger_id Slack handed out with a command the bot only acknowledged. */
async function freshTrigger(bot: Bot): Promise<string> {
  bot.behave.openOnCommand = false;
  return (await sim.slashCommand(bot.url, { userId: 'U0ALICE', channelId: CHANNEL, text: 'pause' }))
    .triggerId;
}

const slackError = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { data?: { error?: string } }) => e.data?.error ?? String(e),
  );

describe('Slack simulator: modals', () => {
  it('opens a modal for the person whose trigger_id it was, and records it', async () => {
    const bot = await start();
    const view = await openPicker(bot);
    expect(view).toMatchObject({ userId: 'U0ALICE', previousViewId: null });
    expect(view.closedAt).toBeUndefined();
    expect(view.view).toMatchObject({ callback_id: 'pick_campaigns', title: text('Pause campaigns') });
    expect(view.values).toEqual({
      campaigns: { campaigns: { type: 'multi_external_select', selected_options: [] } },
      reason: { reason: { type: 'plain_text_input', value: null } },
    });
    const call = sim.callsTo('views.open')[0];
    expect(call).toMatchObject({ ok: true, auth: 'valid' });
  });

  it('takes a trigger_id once, and refuses it as exchanged after', async () => {
    const bot = await start();
    const trigger = await freshTrigger(bot);
    expect(await slackError(bot.client.views.open({ trigger_id: trigger, view: picker() as never }))).toBe(
      'ok',
    );
    expect(await slackError(bot.client.views.open({ trigger_id: trigger, view: picker() as never }))).toBe(
      'exchanged_trigger_id',
    );
    expect(sim.views()).toHaveLength(1);
  });

  it('refuses a trigger_id after Slack’s 3 s', async () => {
    const bot = await start();
    const trigger = await freshTrigger(bot);
    await sleep(3_100);
    expect(await slackError(bot.client.views.open({ trigger_id: trigger, view: picker() as never }))).toBe(
      'expired_trigger_id',
    );
    expect(sim.views()).toEqual([]);
  });

  it('refuses a trigger_id never handed out, or not of Slack’s form', async () => {
    const bot = await start('http', { triggerTtlMs: 60_000 });
    for (const trigger of ['1700000000.1.abcdef', 'not-a-trigger', '']) {
      expect(await slackError(bot.client.views.open({ trigger_id: trigger, view: picker() as never }))).toBe(
        'invalid_trigger_id',
      );
    }
  });

  it('refuses views Slack refuses, with its messages, and opens nothing', async () => {
    const bot = await start('http', { triggerTtlMs: 60_000 });
    const tooMany = Array.from({ length: 101 }, (_, i) => ({ type: 'divider', block_id: `d${i}` }));
    const noSubmit = picker();
    delete (noSubmit as { submit?: unknown }).submit;
    const longOption = picker();
    (longOption.blocks[0] as { element: Record<string, unknown> }).element.initial_options = [
      option('x', 'y'.repeat(76)),
    ];
    const cases: [Record<string, unknown>, string][] = [
      [picker({ title: text('A title longer than 24 chars') }), '/view/title/text'],
      [noSubmit, '/view/submit'],
      [longOption, '/view/blocks/0/element/initial_options/0/text/text'],
      [picker({ private_metadata: 'x'.repeat(3_001) }), '/view/private_metadata'],
      [picker({ blocks: tooMany }), '/view/blocks'],
    ];
    for (const [view, pointer] of cases) {
      const trigger = await freshTrigger(bot);
      const refused = await bot.client.views
        .open({ trigger_id: trigger, view: view as never })
        .catch((e) => e);
      expect(refused.data).toMatchObject({ ok: false, error: 'invalid_arguments' });
      expect(refused.data.response_metadata.messages.join('\n')).toContain(`[json-pointer:${pointer}]`);
    }
    expect(sim.views()).toEqual([]);
  });

  it('updates a view by id or external_id, refuses a stale hash, and knows no closed view', async () => {
    const bot = await start('http', { triggerTtlMs: 60_000 });
    const opened = await bot.client.views.open({
      trigger_id: await freshTrigger(bot),
      view: picker({ external_id: 'picker-1' }) as never,
    });
    const id = opened.view?.id as string;
    const hash = opened.view?.hash as string;
    const updated = await bot.client.views.update({
      view_id: id,
      hash,
      view: picker({ title: text('Resume'), external_id: 'picker-1' }) as never,
    });
    expect(updated.view?.hash).not.toBe(hash);
    expect(await slackError(bot.client.views.update({ view_id: id, hash, view: picker() as never }))).toBe(
      'hash_conflict',
    );
    expect(
      await slackError(
        bot.client.views.update({
          external_id: 'picker-1',
          view: picker({ external_id: 'picker-1' }) as never,
        }),
      ),
    ).toBe('ok');
    expect(
      await slackError(
        bot.client.views.open({
          trigger_id: await freshTrigger(bot),
          view: picker({ external_id: 'picker-1' }) as never,
        }),
      ),
    ).toBe('duplicate_external_id');
    sim.closeView(id);
    expect(await slackError(bot.client.views.update({ view_id: id, view: picker() as never }))).toBe(
      'not_found',
    );
    expect(sim.view(id)?.versions.map((v) => v.by)).toEqual(['views.open', 'views.update', 'views.update']);
    expect(sim.view(id)?.closedBy).toBe('person');
  });

  it('pushes with a trigger from inside the modal only, at most three views deep', async () => {
    const bot = await start('http', { triggerTtlMs: 60_000 });
    const root = await openPicker(bot);
    // A trigger from a command is not from inside the modal.
    expect(
      await slackError(
        bot.client.views.push({ trigger_id: await freshTrigger(bot), view: picker() as never }),
      ),
    ).toBe('not_found');
    const pushOn = async (view: SimView) => {
      const submitted = await sim.submitView(bot.url, { viewId: view.id, values: chosen() });
      return slackError(bot.client.views.push({ trigger_id: submitted.triggerId, view: picker() as never }));
    };
    // Each submission answers `errors`, so the modal stays and its trigger can push.
    bot.behave.submission = () => ({ response_action: 'errors', errors: { reason: 'Say why' } });
    expect(await pushOn(root)).toBe('ok');
    expect(await pushOn(sim.views().at(-1) as SimView)).toBe('ok');
    expect(await pushOn(sim.views().at(-1) as SimView)).toBe('push_limit_reached');
    expect(sim.views().map((v) => v.rootViewId)).toEqual([root.id, root.id, root.id]);
  });
});

/** The picker's values as a person who chose one offered campaign would leave them. */
function chosen() {
  return {
    campaigns: {
      campaigns: { type: 'multi_external_select', selected_options: [option('camp_001', 'Black Friday')] },
    },
  };
}

describe('Slack simulator: options requests (external selects)', () => {
  it('sends block_suggestion with the typed text and the view, and records the options shown', async () => {
    const bot = await start();
    const view = await openPicker(bot);
    const res = await sim.requestOptions(bot.url, { viewId: view.id, actionId: 'campaigns', value: 'fri' });
    expect(res).toMatchObject({
      status: 200,
      verdict: 'answered',
      options: [option('id-fri', 'Campaign fri')],
    });
    expect(res.ms).toBeLessThan(3_000);
    const sent = bot.seen.find((s) => s.kind === 'options')?.body;
    expect(sent).toMatchObject({
      type: 'block_suggestion',
      action_id: 'campaigns',
      block_id: 'campaigns',
      value: 'fri',
      user: { id: 'U0ALICE' },
      container: { type: 'view', view_id: view.id },
      view: { id: view.id, callback_id: 'pick_campaigns', private_metadata: view.view.private_metadata },
    });
    expect(sim.optionsRequests).toHaveLength(1);
  });

  it('sends nothing below min_query_length (default 3), and only to an external select of an open view', async () => {
    const bot = await start();
    const view = await openPicker(bot);
    await expect(
      sim.requestOptions(bot.url, { viewId: view.id, actionId: 'campaigns', value: 'f' }),
    ).rejects.toThrow('min_query_length is 2');
    await expect(
      sim.requestOptions(bot.url, { viewId: view.id, actionId: 'reason', value: 'abc' }),
    ).rejects.toThrow('not an external select');
    sim.closeView(view.id);
    await expect(
      sim.requestOptions(bot.url, { viewId: view.id, actionId: 'campaigns', value: 'abc' }),
    ).rejects.toThrow('is closed');
    expect(bot.seen.filter((s) => s.kind === 'options')).toEqual([]);
  });

  it('counts an answer after 3 s as failed, over HTTP', async () => {
    const bot = await start();
    const view = await openPicker(bot);
    bot.behave.optionsDelayMs = 3_500;
    const res = await sim.requestOptions(bot.url, { viewId: view.id, actionId: 'campaigns', value: 'black' });
    expect(res).toMatchObject({ verdict: 'timed_out', status: 0, options: [] });
    expect(res.ms).toBeGreaterThanOrEqual(2_990);
    // Generous: the machine may be busy; Slack's own cut is at 3 s.
    expect(res.ms).toBeLessThan(5_000);
    // Nothing late is offered: the person can only pick what was shown in time.
    expect(() => sim.chooseOptions(view.id, { actionId: 'campaigns', values: ['id-black'] })).toThrow(
      'never offered',
    );
  });

  it('counts an answer after 3 s as failed, over Socket Mode, and takes a timely one', async () => {
    const bot = await start('socket');
    const view = await openPicker(bot);
    const quick = await sim.requestOptions(SOCKET_MODE, {
      viewId: view.id,
      actionId: 'campaigns',
      value: 'cyb',
    });
    expect(quick).toMatchObject({ verdict: 'answered', options: [option('id-cyb', 'Campaign cyb')] });
    bot.behave.optionsDelayMs = 3_500;
    const late = await sim.requestOptions(SOCKET_MODE, {
      viewId: view.id,
      actionId: 'campaigns',
      value: 'black',
    });
    expect(late.verdict).toBe('timed_out');
    expect(sim.optionsRequests.map((r) => r.verdict)).toEqual(['answered', 'timed_out']);
  });

  it('shows nothing for an answer Slack cannot use: over 100 options, or an option over its limits', async () => {
    const bot = await start();
    const view = await openPicker(bot);
    bot.behave.options = () => ({ options: Array.from({ length: 101 }, (_, i) => option(`v${i}`)) });
    const many = await sim.requestOptions(bot.url, { viewId: view.id, actionId: 'campaigns', value: 'abc' });
    expect(many.verdict).toBe('invalid');
    expect(many.problems?.join()).toContain('no more than 100');
    bot.behave.options = () => ({ options: [option('v', 'x'.repeat(76))] });
    const long = await sim.requestOptions(bot.url, { viewId: view.id, actionId: 'campaigns', value: 'abc' });
    expect(long.problems?.join()).toContain('[json-pointer:/options/0/text/text]');
    bot.behave.options = () => ({
      option_groups: [{ label: text('Active'), options: [option('a1', 'Active one')] }],
    });
    const grouped = await sim.requestOptions(bot.url, {
      viewId: view.id,
      actionId: 'campaigns',
      value: 'abc',
    });
    expect(grouped).toMatchObject({ verdict: 'answered', options: [option('a1', 'Active one')] });
  });
});

describe('Slack simulator: view submissions', () => {
  it('submits the view with its private_metadata and what the person chose and typed', async () => {
    const bot = await start();
    const view = await openPicker(bot);
    await sim.requestOptions(bot.url, { viewId: view.id, actionId: 'campaigns', value: 'bla' });
    sim.chooseOptions(view.id, { actionId: 'campaigns', values: ['id-bla'] });
    sim.typeInput(view.id, { actionId: 'reason', value: 'INC-4711' });
    const res = await sim.submitView(bot.url, { viewId: view.id });
    expect(res.verdict).toBe('closed');
    expect(sim.view(view.id)).toMatchObject({ closedBy: 'submission' });
    const body = bot.seen.find((s) => s.kind === 'view_submission')?.body as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'view_submission',
      user: { id: 'U0ALICE' },
      trigger_id: res.triggerId,
      view: {
        id: view.id,
        callback_id: 'pick_campaigns',
        private_metadata: JSON.stringify({ channel: CHANNEL, action: 'PAUSE' }),
        state: {
          values: {
            campaigns: {
              campaigns: {
                type: 'multi_external_select',
                selected_options: [option('id-bla', 'Campaign bla')],
              },
            },
            reason: { reason: { type: 'plain_text_input', value: 'INC-4711' } },
          },
        },
      },
    });
  });

  it('lets a person pick only what was offered, and never submits an empty required field', async () => {
    const bot = await start();
    const view = await openPicker(bot);
    expect(() => sim.chooseOptions(view.id, { actionId: 'campaigns', values: ['camp_999'] })).toThrow(
      'never offered',
    );
    await expect(sim.submitView(bot.url, { viewId: view.id })).rejects.toThrow(
      'the required campaigns is empty',
    );
    expect(bot.seen.filter((s) => s.kind === 'view_submission')).toEqual([]);
  });

  it('shows errors on input fields and keeps the modal; an error on another block fails the answer', async () => {
    const bot = await start();
    const view = await openPicker(bot);
    bot.behave.submission = () => ({
      response_action: 'errors',
      errors: { campaigns: 'Black Friday is frozen' },
    });
    const shown = await sim.submitView(bot.url, { viewId: view.id, values: chosen() });
    expect(shown).toMatchObject({ verdict: 'errors', errors: { campaigns: 'Black Friday is frozen' } });
    expect(sim.view(view.id)?.errors).toEqual({ campaigns: 'Black Friday is frozen' });
    expect(sim.view(view.id)?.closedAt).toBeUndefined();
    bot.behave.submission = () => ({ response_action: 'errors', errors: { note: 'not an input' } });
    const bad = await sim.submitView(bot.url, { viewId: view.id });
    expect(bad.verdict).toBe('invalid');
    expect(bad.problems?.join()).toContain('note is not an input block');
  });

  it('applies update, push and clear as Slack does', async () => {
    const bot = await start();
    const view = await openPicker(bot);
    bot.behave.submission = () => ({
      response_action: 'update',
      view: picker({ title: text('Check again') }),
    });
    expect((await sim.submitView(bot.url, { viewId: view.id, values: chosen() })).verdict).toBe('updated');
    expect(sim.view(view.id)?.view.title).toEqual(text('Check again'));
    bot.behave.submission = () => ({
      response_action: 'push',
      view: picker({ title: text('Are you sure?') }),
    });
    const pushed = await sim.submitView(bot.url, { viewId: view.id });
    expect(pushed.verdict).toBe('pushed');
    await expect(sim.submitView(bot.url, { viewId: view.id })).rejects.toThrow('under another view');
    bot.behave.submission = () => ({ response_action: 'clear' });
    expect(
      (await sim.submitView(bot.url, { viewId: pushed.pushedViewId as string, values: chosen() })).verdict,
    ).toBe('cleared');
    expect(sim.views().map((v) => v.closedBy)).toEqual(['clear', 'clear']);
  });
});

describe('Slack simulator: message shortcuts', () => {
  const alert = () =>
    sim.addUserMessage(CHANNEL, {
      user: 'U0GRAFANA',
      botId: 'B0GRAFANA',
      text: '',
      attachments: [
        {
          color: '#d63232',
          title: '[FIRING:1] Delivery rate below 60 %',
          text: 'campaign 65a1f0c2e4b0a1b2c3d4e5f6 (Black Friday push)',
          fallback: 'Delivery rate below 60 %',
        },
      ],
    });

  it('sends message_action with the message’s attachments and no text, a trigger_id that opens a modal, and a response_url', async () => {
    const bot = await start();
    const message = alert();
    const res = await sim.messageShortcut(bot.url, {
      callbackId: 'act_on_message',
      userId: 'U0BOB',
      channelId: CHANNEL,
      messageTs: message.ts,
    });
    expect(res.status).toBe(200);
    const body = bot.seen.find((s) => s.kind === 'shortcut')?.body as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'message_action',
      callback_id: 'act_on_message',
      trigger_id: res.triggerId,
      response_url: sim.responseUrl(res.responseUrlId),
      message_ts: message.ts,
      channel: { id: CHANNEL },
      user: { id: 'U0BOB' },
      message: { ts: message.ts, bot_id: 'B0GRAFANA', attachments: message.attachments },
    });
    expect(body.message).not.toHaveProperty('text');
    expect(body.message).not.toHaveProperty('app_id');
    const opened = await sim.waitFor(() => sim.views('U0BOB')[0]);
    expect(opened.view.callback_id).toBe('pick_campaigns');
  });

  it('delivers over Socket Mode too, and refuses a message that does not exist', async () => {
    const bot = await start('socket');
    const message = alert();
    const res = await sim.messageShortcut(SOCKET_MODE, {
      callbackId: 'act_on_message',
      userId: 'U0BOB',
      channelId: CHANNEL,
      messageTs: message.ts,
    });
    expect(res.timedOut).toBeUndefined();
    await sim.waitFor(() => sim.views('U0BOB')[0]);
    await expect(
      sim.messageShortcut(bot.url, {
        callbackId: 'act_on_message',
        userId: 'U0BOB',
        channelId: CHANNEL,
        messageTs: '1.2',
      }),
    ).rejects.toThrow('no message 1.2');
  });
});

describe('Slack simulator: link_shared and chat.unfurl', () => {
  const DASHBOARD = 'https://dashboard-01.moengage.com/v4/#/email/65a1f0c2e4b0a1b2c3d4e5f6/edit?step=2';
  const ELSEWHERE = 'https://grafana.example.com/d/abc';

  it('sends only the links on the app’s unfurl domains, and records the card the bot unfurled', async () => {
    const bot = await start();
    const shared = await sim.shareLinks(bot.url, {
      userId: 'U0ALICE',
      channelId: CHANNEL,
      text: `pause this? <${DASHBOARD}> see also <${ELSEWHERE}|the graph>`,
    });
    expect(shared.links).toEqual([{ domain: 'dashboard-01.moengage.com', url: DASHBOARD }]);
    expect(shared.event?.status).toBe(200);
    const event = bot.seen.find((s) => s.kind === 'link_shared')?.body;
    expect(event).toMatchObject({
      type: 'link_shared',
      channel: CHANNEL,
      user: 'U0ALICE',
      message_ts: shared.messageTs,
      unfurl_id: shared.unfurlId,
      source: 'conversations_history',
      is_bot_user_member: true,
      links: [{ domain: 'dashboard-01.moengage.com', url: DASHBOARD }],
    });
    const card = await sim.waitFor(() => sim.unfurls()[0]);
    expect(card).toMatchObject({ url: DASHBOARD, channel: CHANNEL, ts: shared.messageTs });
    // Unfurled again: the card is replaced, one per link.
    await bot.client.chat.unfurl({
      channel: CHANNEL,
      ts: shared.messageTs,
      unfurls: { [DASHBOARD]: { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Paused' } }] } },
    } as never);
    expect(sim.unfurls()).toHaveLength(1);
    expect(sim.unfurls()[0]?.versions).toHaveLength(2);
  });

  it('refuses to unfurl a link it did not share, a link not in the message, and malformed unfurls', async () => {
    const bot = await start();
    bot.behave.openOnCommand = false;
    const shared = await sim.shareLinks(bot.url, {
      userId: 'U0ALICE',
      channelId: CHANNEL,
      text: `${DASHBOARD} and ${ELSEWHERE}`,
    });
    await sim.waitFor(() => sim.unfurls()[0]);
    const card = { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x' } }] };
    const unfurl = (args: Record<string, unknown>) => slackError(bot.client.chat.unfurl(args as never));
    const at = { channel: CHANNEL, ts: shared.messageTs };
    expect(await unfurl({ ...at, unfurls: { [ELSEWHERE]: card } })).toBe('cannot_unfurl_url');
    expect(await unfurl({ ...at, unfurls: { 'https://dashboard-02.moengage.com/x': card } })).toBe(
      'cannot_unfurl_message',
    );
    expect(await unfurl({ ...at })).toBe('missing_unfurls');
    expect(await unfurl({ ...at, unfurls: 'not json' })).toBe('invalid_unfurls_format');
    expect(await unfurl({ ...at, unfurls: { [DASHBOARD]: { nothing: true } } })).toBe(
      'cannot_parse_attachment',
    );
    expect(await unfurl({ ...at, unfurls: { [DASHBOARD]: { blocks: 'nope' } } })).toBe(
      'cannot_parse_attachment',
    );
    expect(await unfurl({ channel: CHANNEL, ts: '1.000001', unfurls: { [DASHBOARD]: card } })).toBe(
      'cannot_find_message',
    );
    expect(await unfurl({ ts: shared.messageTs, unfurls: { [DASHBOARD]: card } })).toBe('missing_channel');
    expect(await unfurl({ channel: CHANNEL, unfurls: { [DASHBOARD]: card } })).toBe('missing_ts');
    expect(sim.unfurls().map((u) => u.url)).toEqual([DASHBOARD]);
  });

  it('sends nothing for a message without links on its domains; a composer link unfurls by unfurl_id only', async () => {
    const bot = await start();
    const none = await sim.shareLinks(bot.url, {
      userId: 'U0ALICE',
      channelId: CHANNEL,
      text: `see ${ELSEWHERE}`,
    });
    expect(none.event).toBeUndefined();
    const card = { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x' } }] };
    expect(
      await slackError(
        bot.client.chat.unfurl({
          channel: CHANNEL,
          ts: none.messageTs,
          unfurls: { [ELSEWHERE]: card },
        } as never),
      ),
    ).toBe('cannot_unfurl_url');

    bot.behave.openOnCommand = false;
    const typing = await sim.shareLinks(bot.url, {
      userId: 'U0ALICE',
      channelId: CHANNEL,
      text: DASHBOARD,
      composer: true,
    });
    expect(typing).toMatchObject({ channel: 'COMPOSER', source: 'composer', message: undefined });
    // The bot's handler unfurls by channel + ts, which the composer has not got.
    await sim.waitFor(() => sim.callsTo('chat.unfurl').length === 2);
    const byId = await bot.client.chat.unfurl({
      unfurl_id: typing.unfurlId,
      source: 'composer',
      unfurls: { [DASHBOARD]: card },
    } as never);
    expect(byId.ok).toBe(true);
    expect(sim.callsTo('chat.unfurl').map((c) => c.error)).toEqual([
      'cannot_unfurl_url',
      'cannot_find_channel',
      undefined,
    ]);
    expect(sim.unfurls()).toMatchObject([{ url: DASHBOARD, source: 'composer', channel: undefined }]);
  });

  it('still fails loudly on a method it does not know', async () => {
    const bot = await start();
    expect(await slackError(bot.client.apiCall('dialog.open', { trigger_id: 'x' }))).toBe('unknown_method');
    expect(sim.unexpected.map((u) => u.method)).toEqual(['dialog.open']);
    sim.clearCalls();
  });
});
