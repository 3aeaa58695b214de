import { afterEach, describe, expect, it } from 'vitest';
import { ACT_ON_MESSAGE_ID } from '../../src/doors/slack/message-shortcut.ts';
import { SCOPES_BY_METHOD } from '../../src/slack/port.ts';
import { UNFURL_ACTION_IDS } from '../../src/slack/views/picker-view.ts';
import { CHANNEL, type Harness, LOOKING_UP, messageText } from '../support/bot-harness.ts';
import {
  catalogWhole,
  chooseAction,
  dashboardUrl,
  hexId,
  initiallyChosen,
  pickerOf,
  startPickerHarness,
  viewText,
} from '../support/picker.ts';

/**
 * The message shortcut and link unfurls end to end: the real bot with its catalog on, the Slack simulator's
 * `message_action`, `link_shared` and `chat.unfurl`, clicks on the cards, and the confirmation they lead to.
 */
let h: Harness;
afterEach(async () => {
  expect(h.slack.unexpected).toEqual([]);
  for (const call of h.slack.calls) expect(Object.keys(SCOPES_BY_METHOD)).toContain(call.method);
  await h.stop();
});

/** An alert as Grafana posts it: no text, one attachment naming a campaign by name and another by its link. */
function postAlert() {
  return h.slack.addUserMessage(CHANNEL, {
    user: 'UGRAFANA',
    botId: 'BGRAFANA',
    text: '',
    attachments: [
      {
        color: '#d63232',
        title: '[FIRING:1] Bounce rate above 8%',
        text: 'Campaign: Black Friday teaser\nSince 10:02 UTC, 3 regions',
        fields: [{ title: 'Dashboard', value: `<${dashboardUrl(hexId(5))}|open in MoEngage>` }],
      },
    ],
  });
}

describe('"Act on campaigns" on a message', () => {
  it('opens the picker with the campaigns an alert names (attachments), and proposes them', async () => {
    h = await startPickerHarness();
    await catalogWhole(h);
    const alert = postAlert();
    const res = await h.slack.messageShortcut(h.url, {
      callbackId: ACT_ON_MESSAGE_ID,
      userId: 'UALICE',
      channelId: CHANNEL,
      messageTs: alert.ts,
    });
    expect(res.status).toBe(200);
    expect(res.timedOut).toBeUndefined();
    const view = await pickerOf(h, 'UALICE');
    expect(initiallyChosen(view).sort()).toEqual([hexId(2), hexId(5)].sort());
    expect(viewText(view)).toContain('Found 2 campaigns in this message');
    expect(JSON.parse(view.view.private_metadata as string)).toEqual({ channel: CHANNEL });

    chooseAction(h, view, 'PAUSE');
    expect((await h.slack.submitView(h.url, { viewId: view.id })).verdict).toBe('closed');
    const text = messageText(await h.latestMessage());
    expect(text).toContain('Pause 2 MoEngage campaigns');
    expect(text).toContain(hexId(2));
    expect(text).toContain(hexId(5));
  });

  it('opens the picker empty, saying so, on a message that names no campaign', async () => {
    h = await startPickerHarness();
    await catalogWhole(h);
    const note = h.slack.addUserMessage(CHANNEL, { user: 'UBOB', text: 'Deploy of checkout went fine' });
    await h.slack.messageShortcut(h.url, {
      callbackId: ACT_ON_MESSAGE_ID,
      userId: 'UALICE',
      channelId: CHANNEL,
      messageTs: note.ts,
    });
    const view = await pickerOf(h, 'UALICE');
    expect(initiallyChosen(view)).toEqual([]);
    expect(viewText(view)).toContain('I found no campaign in this message');
  });

  it('opens nothing for someone outside the policy, and tells them why', async () => {
    h = await startPickerHarness();
    await catalogWhole(h);
    const alert = postAlert();
    const res = await h.slack.messageShortcut(h.url, {
      callbackId: ACT_ON_MESSAGE_ID,
      userId: 'UEVE',
      channelId: CHANNEL,
      messageTs: alert.ts,
    });
    const told = await h.slack.waitFor(
      () => h.slack.responses.find((r) => r.id === res.responseUrlId),
      60_000,
    );
    expect(JSON.stringify(told.body)).toContain('not on the list of people allowed');
    expect(h.slack.views()).toEqual([]);
  });
});

describe('dashboard links', () => {
  it('unfurl into a card whose button proposes, as the person who clicked, in that channel', async () => {
    h = await startPickerHarness();
    await catalogWhole(h);
    const url = dashboardUrl(hexId(1));
    const shared = await h.slack.shareLinks(h.url, {
      userId: 'UALICE',
      channelId: CHANNEL,
      text: `This one is sending the wrong coupon: <${url}>`,
    });
    expect(shared.links).toEqual([{ domain: 'dashboard-01.moengage.com', url }]);
    const card = await h.slack.waitFor(() => h.slack.unfurls()[0], 60_000);
    expect(card).toMatchObject({ url, channel: CHANNEL, ts: shared.messageTs });
    const text = JSON.stringify(card.unfurl);
    for (const words of [
      'Black Friday | Price drop | Push | IN',
      'PUSH',
      'ACTIVE',
      'From the campaign list as of',
    ]) {
      expect(text).toContain(words);
    }

    const click = await h.slack.clickButton(h.url, {
      userId: 'UBOB',
      channelId: CHANNEL,
      messageTs: shared.messageTs,
      actionId: UNFURL_ACTION_IDS.PAUSE,
      value: hexId(1),
    });
    expect(click.status).toBe(200);
    // The bot's confirmation, under the shared message, once its look at the campaign has landed.
    const message = await h.slack.waitFor(() => {
      const m = h.slack.messages(CHANNEL).at(-1);
      return m?.botId !== undefined && !messageText(m).includes(LOOKING_UP) && m;
    }, 60_000);
    expect(messageText(message)).toContain('Pause 1 MoEngage campaign');
    expect(messageText(message)).toContain(hexId(1));
    expect(h.auditEvents().find((e) => e.event === 'requested')).toMatchObject({
      source: 'link_unfurl',
      requestedBy: 'UBOB',
      channel: CHANNEL,
    });
  });

  it('stay links for someone outside the policy', async () => {
    h = await startPickerHarness();
    await catalogWhole(h);
    await h.slack.shareLinks(h.url, { userId: 'UEVE', channelId: CHANNEL, text: dashboardUrl(hexId(2)) });
    await h.slack.waitFor(() => h.log.lines().some((l) => l.msg === 'link not unfurled'), 60_000);
    expect(h.slack.unfurls()).toEqual([]);
    expect(h.slack.callsTo('chat.unfurl')).toEqual([]);
  });
});
