import { afterEach, describe, expect, it } from 'vitest';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import type { SimMessage } from '../../src/sandbox/slack-sim.ts';
import { CHANNEL, type Harness, messageText, startHarness } from '../support/bot-harness.ts';

/** 70 campaigns, 37 of them active and pausable: 30 periodic push, 7 event-triggered email. */
function fleet() {
  return [
    ...seedCampaigns({ count: 30, prefix: 'p_', type: 'PERIODIC', status: 'ACTIVE' }),
    ...seedCampaigns({ count: 7, prefix: 't_', type: 'EVENT_TRIGGERED', status: 'ACTIVE', channel: 'EMAIL' }),
    // Active but one-time: a PAUSE cannot apply to them.
    ...seedCampaigns({ count: 8, prefix: 'o_', type: 'ONE_TIME', status: 'ACTIVE' }),
    // Paused before the freeze: the unfreeze must leave them paused.
    ...seedCampaigns({ count: 10, prefix: 'x_', type: 'PERIODIC', status: 'PAUSED' }),
    ...seedCampaigns({ count: 15, prefix: 's_', type: 'ONE_TIME', status: 'SCHEDULED', channel: 'EMAIL' }),
  ];
}
const ACTIVE = [
  ...seedCampaigns({ count: 30, prefix: 'p_' }),
  ...seedCampaigns({ count: 7, prefix: 't_' }),
].map((c) => c.id);

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const finished = (ts: string) =>
  h.slack.waitFor(() => {
    const m = h.slack.message(CHANNEL, ts);
    return m && messageText(m).includes('details in the thread') && m;
  }, 30_000);
const newMessage = (before: number) => h.slack.waitFor(() => h.slack.messages(CHANNEL)[before]);
const told = async (user: string, n: number) => {
  await h.slack.waitFor(() => h.slack.responses.length >= n || h.slack.ephemerals(user).length >= n);
  const r = h.slack.responses[n - 1];
  return r ? JSON.stringify(r.body) : (h.slack.ephemerals(user)[n - 1]?.text ?? '');
};
const searches = () => h.moengage.requests.filter((r) => r.api === 'v1-search').length;

describe('freeze and unfreeze', () => {
  it('freezes the 37 active campaigns of 70 and unfreezes exactly those, leaving one paused before still paused', async () => {
    h = await startHarness({}, { moengage: { campaigns: fleet() } });
    await h.command('UALICE', 'freeze all reason: INC-9 checkout down');
    const message = await newMessage(0);
    const text = messageText(message);
    expect(text).toContain('Pause 37 MoEngage campaigns');
    expect(text).toContain('Freeze of all campaigns');
    expect(text).toContain('periodic push 001');
    expect(text).toContain('INC-9 checkout down');
    // 45 active listed, 15 a page: four pages (the last one empty), and no look at each id afterwards.
    expect(searches()).toBe(4);
    await h.click('UBOB', message, 'campaign_confirm');
    const done = await finished(message.ts);
    expect(messageText(done)).toContain('37 paused');
    expect(JSON.stringify(done.blocks)).toContain('Unfreeze: resume 37');
    const paused = h.moengage
      .statusRequests()
      .filter((r) => r.action === 'PAUSE')
      .flatMap((r) => r.campaignIds ?? []);
    expect(paused.sort()).toEqual([...ACTIVE].sort());

    // One freeze at a time for a scope.
    await h.command('UBOB', 'freeze');
    expect(await told('UBOB', 1)).toContain('A freeze of all campaigns is on already');
    expect(h.slack.messages(CHANNEL)).toHaveLength(1);

    // The unfreeze resumes what the freeze paused: x_001 … x_010, paused before it, stay paused.
    await h.command('UALICE', 'unfreeze');
    const unfreeze = await newMessage(1);
    expect(messageText(unfreeze)).toContain('Resume 37 MoEngage campaigns');
    expect(messageText(unfreeze)).toContain('unfreeze of');
    await h.click('UBOB', unfreeze, 'campaign_confirm');
    const undone = await finished(unfreeze.ts);
    expect(messageText(undone)).toContain('37 resumed');
    const resumed = h.moengage
      .statusRequests()
      .filter((r) => r.action === 'RESUME')
      .flatMap((r) => r.campaignIds ?? []);
    expect(resumed.sort()).toEqual([...ACTIVE].sort());
    for (let i = 1; i <= 10; i++)
      expect(h.moengage.campaign(`x_${String(i).padStart(3, '0')}`)?.status).toBe('PAUSED');

    // The scope is free again once the unfreeze is confirmed.
    await h.command('UBOB', 'unfreeze');
    expect(await told('UBOB', 2)).toContain('No freeze of all campaigns is on');
    await h.command('UBOB', 'freeze');
    await newMessage(2);
  });

  it('freezes one channel only, and lets go of the scope when the freeze is cancelled', async () => {
    h = await startHarness({}, { moengage: { campaigns: fleet() } });
    await h.command('UALICE', 'freeze channel:email');
    const message = await newMessage(0);
    expect(messageText(message)).toContain('Pause 7 MoEngage campaigns');
    expect(messageText(message)).toContain('Freeze of email campaigns');
    await h.click('UALICE', message, 'campaign_cancel');
    await h.slack.waitFor(() =>
      messageText(h.slack.message(CHANNEL, message.ts) as SimMessage).includes('cancelled'),
    );
    await h.command('UALICE', 'freeze channel:EMAIL');
    const again = await newMessage(1);
    expect(messageText(again)).toContain('Pause 7 MoEngage campaigns');
  });

  it('lets one of two freezes typed at once through, and tells the other', async () => {
    h = await startHarness({}, { moengage: { campaigns: fleet() } });
    await Promise.all([h.command('UALICE', 'freeze'), h.command('UBOB', 'freeze')]);
    await h.slack.waitFor(() => h.slack.messages(CHANNEL).length === 1 && h.slack.responses.length === 1);
    expect(JSON.stringify(h.slack.responses[0]?.body)).toMatch(
      /freeze of all campaigns is (on already|looking)|Another freeze of all campaigns/,
    );
    expect(h.slack.messages(CHANNEL)).toHaveLength(1);
  });

  it('unfreezes a freeze of more campaigns than one command may name (120 > 100)', async () => {
    h = await startHarness({}, { moengage: { campaigns: seedCampaigns({ count: 120, prefix: 'big_' }) } });
    await h.command('UALICE', 'freeze');
    const message = await newMessage(0);
    expect(messageText(message)).toContain('Pause 120 MoEngage campaigns');
    await h.click('UBOB', message, 'campaign_confirm');
    await finished(message.ts);
    await h.command('UALICE', 'unfreeze');
    const unfreeze = await newMessage(1);
    expect(messageText(unfreeze)).toContain('Resume 120 MoEngage campaigns');
  });

  it('refuses a freeze to someone outside the policy before searching anything, and says what is wrong with a scope', async () => {
    h = await startHarness({}, { moengage: { campaigns: fleet() } });
    await h.command('UEVE', 'freeze');
    expect(await told('UEVE', 1)).toContain('not on the list of people allowed');
    expect(searches()).toBe(0);
    const bad = await h.command('UALICE', 'freeze channel:fax');
    expect(JSON.stringify(bad.json)).toContain('Say what to freeze');
    expect(h.slack.messages(CHANNEL)).toHaveLength(0);
  });

  it('says there is nothing to freeze, and that a freeze needs the search', async () => {
    h = await startHarness({}, { moengage: { campaigns: seedCampaigns({ count: 3, status: 'PAUSED' }) } });
    await h.command('UALICE', 'freeze');
    expect(await told('UALICE', 1)).toContain('MoEngage lists no active campaign in all campaigns');
    await h.stop();
    h = await startHarness({ CAMPAIGN_LOOKUP: 'off' });
    await h.command('UALICE', 'freeze');
    expect(await told('UALICE', 1)).toContain('A freeze needs');
  });
});
