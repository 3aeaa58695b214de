import { afterEach, describe, expect, it } from 'vitest';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import { blockKitError } from '../../src/sandbox/slack-sim/block-kit.ts';
import type { SlackBlock } from '../../src/sandbox/slack-sim/types.ts';
import {
  CHANNEL,
  type Harness,
  LOOKING_UP,
  messageText,
  startHarness,
  testFleet,
} from '../support/bot-harness.ts';

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const text = (blocks: readonly SlackBlock[]) => JSON.stringify(blocks);
/** The newest Home published for `user` once it satisfies `ok`. */
const homeOf = (user: string, ok: (t: string) => boolean = () => true) =>
  h.slack.waitFor(() => {
    const latest = h.slack.homeViews(user).at(-1);
    return latest && ok(text(latest)) && latest;
  }, 10_000);
const open = (user: string) => h.slack.openAppHome(h.url, user);
const newMessage = (before: number) =>
  h.slack.waitFor(() => {
    const m = h.slack.messages(CHANNEL)[before];
    return m && !messageText(m).includes(LOOKING_UP) && m;
  });

describe('the App Home tab', () => {
  it('shows a person the approvals waiting for them, with buttons that decide under the same policy', async () => {
    h = await startHarness();
    await h.command('UALICE', 'pause camp_001 camp_002 reason: INC-3');
    const message = await newMessage(0);
    await open('UBOB');
    const home = await homeOf('UBOB', (t) => t.includes('Waiting for your approval* (1)'));
    expect(text(home)).toContain('Pause 2 campaigns');
    expect(text(home)).toContain('INC-3');
    const requestId = (home
      .flatMap((b) => (b.elements as { action_id?: string; value?: string }[]) ?? [])
      .find((e) => e.action_id === 'campaign_confirm')?.value ?? '') as string;
    expect(requestId).not.toBe('');
    // Someone the policy does not name gets a small Home (nothing of the bot read for it), no button to press.
    await open('UEVE');
    const eve = await homeOf('UEVE');
    expect(text(eve)).toContain('No rule of the access policy names you');
    expect(text(eve)).not.toContain('Waiting for your approval');
    expect(text(eve)).not.toContain('campaign_confirm');
    // A click there is refused by the policy, said on their Home (it has no channel), and changes nothing.
    await h.slack.clickButton(h.url, {
      userId: 'UEVE',
      channelId: '',
      messageTs: '',
      actionId: 'campaign_confirm',
      value: requestId,
      fromHome: true,
    });
    const refused = await homeOf('UEVE', (t) => t.includes('not on the list of people allowed'));
    expect(text(refused)).toContain('No rule of the access policy names you');
    // Bob confirms from his Home: the request runs, the message says so, and his Home no longer lists it.
    await h.slack.clickButton(h.url, {
      userId: 'UBOB',
      channelId: '',
      messageTs: '',
      actionId: 'campaign_confirm',
      value: requestId,
      fromHome: true,
    });
    await h.slack.waitFor(
      () => messageText(h.slack.message(CHANNEL, message.ts) ?? message).includes('2 paused'),
      10_000,
    );
    await homeOf('UBOB', (t) => t.includes('Waiting for your approval* (0)'));
    expect(h.moengage.campaign('camp_001')?.status).toBe('PAUSED');
    // Alice's Home lists her request among her recent ones.
    await open('UALICE');
    await homeOf('UALICE', (t) => t.includes('Your recent requests') && t.includes('2 paused'));
    expect(h.log.lines().filter((l) => l.msg === 'home not published')).toEqual([]);
  });

  it('shows freezes on and scheduled resumes, redrawn when they change, and MoEngage quota use', async () => {
    h = await startHarness(
      {},
      {
        moengage: {
          campaigns: [
            ...testFleet(),
            ...seedCampaigns({ count: 4, prefix: 'mail_', type: 'EVENT_TRIGGERED', channel: 'EMAIL' }),
          ],
        },
      },
    );
    await open('UBOB');
    await homeOf('UBOB', (t) => t.includes('No freeze is on'));
    await h.command('UALICE', 'freeze channel:EMAIL');
    const freeze = await newMessage(0);
    await h.click('UBOB', freeze, 'campaign_confirm');
    await h.slack.waitFor(
      () => messageText(h.slack.message(CHANNEL, freeze.ts) ?? freeze).includes('4 paused'),
      10_000,
    );
    // Redrawn on the change, without opening it again.
    const frozen = await homeOf('UBOB', (t) => t.includes('Freezes on* (1)') && t.includes('4 paused'));
    expect(text(frozen)).toContain('email campaigns');
    expect(text(frozen)).toMatch(/MoEngage status API: \d+ of 100 requests used in the last minute/);
    await h.command('UALICE', 'pause camp_005 for 3h');
    const pause = await newMessage(1);
    await h.click('UBOB', pause, 'campaign_confirm');
    await homeOf('UBOB', (t) => t.includes('Scheduled resumes* (1)') && t.includes('1 campaign resume at'));
    for (const view of h.slack.homeViews('UBOB')) expect(blockKitError(view, 100)).toBeUndefined();
  });
});
