import { afterEach, describe, expect, it } from 'vitest';
import type { SimMessage } from '../../src/sandbox/slack-sim.ts';
import { CHANNEL, type Harness, messageText, startHarness, testFleet } from '../support/bot-harness.ts';

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const finished = (ts: string) =>
  h.slack.waitFor(() => {
    const m = h.slack.message(CHANNEL, ts);
    return m && messageText(m).includes('details in the thread') && m;
  }, 20_000);

/** Clicks a result's follow-up button (its value is the finished request's id). */
function press(userId: string, message: SimMessage, actionId: 'campaign_undo' | 'campaign_retry_failed') {
  const current = h.slack.message(CHANNEL, message.ts) as SimMessage;
  const button = (current.blocks ?? [])
    .flatMap((b) => (b.elements as { action_id?: string; value?: string }[] | undefined) ?? [])
    .find((e) => e.action_id === actionId);
  if (!button?.value) throw new Error(`no ${actionId} button on ${message.ts}`);
  return h.slack.clickButton(h.url, {
    userId,
    channelId: CHANNEL,
    messageTs: message.ts,
    actionId,
    value: button.value,
  });
}

async function confirmNew(before: number) {
  const next = await h.slack.waitFor(() => {
    const m = h.slack.messages(CHANNEL)[before];
    return m && !messageText(m).includes('Looking these campaigns up') && m;
  });
  await h.click('UBOB', next, 'campaign_confirm');
  return finished(next.ts);
}

describe('what comes after a result: Undo and Retry failed', () => {
  it('undoes a 25-id pause: exactly the campaigns it paused are resumed, not one paused before it', async () => {
    h = await startHarness({ MAX_CAMPAIGNS_PER_COMMAND: '30' });
    const fleet = testFleet().map((c) => (c.id === 'camp_025' ? { ...c, status: 'PAUSED' as const } : c));
    h.moengage.setCampaigns(fleet);
    const ids = Array.from({ length: 25 }, (_, i) => `camp_${String(i + 1).padStart(3, '0')}`);
    await h.command('UALICE', `pause ${ids.join(' ')}`);
    const message = await h.latestMessage();
    await h.click('UBOB', message, 'campaign_confirm');
    const done = await finished(message.ts);
    expect(messageText(done)).toContain('24 paused, 1 already paused');
    expect(JSON.stringify(done.blocks)).toContain('Undo: resume 24');
    const before = h.slack.messages(CHANNEL).length;
    await press('UALICE', message, 'campaign_undo');
    const undone = await confirmNew(before);
    expect(messageText(undone)).toContain('24 resumed');
    expect(messageText(undone)).toContain(`undo of`);
    const resumed = h.moengage
      .statusRequests()
      .filter((r) => r.action === 'RESUME')
      .flatMap((r) => r.campaignIds ?? []);
    expect(resumed.sort()).toEqual(ids.slice(0, 24).sort());
    expect(h.moengage.campaign('camp_025')?.status).toBe('PAUSED');
    // Once: a second press is told so, and nothing new is posted.
    const count = h.slack.messages(CHANNEL).length;
    await press('UBOB', message, 'campaign_undo');
    const told = await h.slack.waitFor(() =>
      h.slack.ephemerals('UBOB').find((e) => /proposed already/.test(e.text ?? '')),
    );
    expect(told.text).toContain('An undo of this request was proposed already.');
    expect(h.slack.messages(CHANNEL)).toHaveLength(count);
  });

  it('retries only the ids that failed, as a new confirmation under the same rules', async () => {
    h = await startHarness({ CAMPAIGN_LOOKUP: 'off' });
    await h.command('UALICE', 'pause camp_001 once_001 camp_002');
    const message = await h.latestMessage();
    await h.click('UBOB', message, 'campaign_confirm');
    const done = await finished(message.ts);
    expect(JSON.stringify(done.blocks)).toContain('Retry failed (1)');
    const before = h.slack.messages(CHANNEL).length;
    await press('UALICE', message, 'campaign_retry_failed');
    const next = await h.slack.waitFor(() => h.slack.messages(CHANNEL)[before]);
    expect(messageText(next)).toContain('Pause 1 MoEngage campaign');
    expect(messageText(next)).toContain('once_001');
    expect(messageText(next)).not.toContain('camp_002');
  });

  it('refuses the buttons to someone the policy would refuse the command, and lets someone else press them', async () => {
    h = await startHarness();
    await h.command('UALICE', 'pause camp_003');
    const message = await h.latestMessage();
    await h.click('UBOB', message, 'campaign_confirm');
    await finished(message.ts);
    const before = h.slack.messages(CHANNEL).length;
    await press('UEVE', message, 'campaign_undo');
    const refusal = await h.slack.waitFor(() => h.slack.ephemerals('UEVE')[0]);
    expect(refusal.text).toContain('not on the list of people allowed');
    expect(h.slack.messages(CHANNEL)).toHaveLength(before);
    await press('UBOB', message, 'campaign_undo');
    await h.slack.waitFor(() => h.slack.messages(CHANNEL).length === before + 1);
  });

  it('says a STOP has no undo', async () => {
    h = await startHarness();
    await h.command('UALICE', 'stop once_002');
    const message = await h.latestMessage();
    await h.click('UBOB', message, 'campaign_confirm');
    const done = await finished(message.ts);
    expect(messageText(done)).toContain('A STOP has no undo');
    expect(JSON.stringify(done.blocks)).not.toContain('campaign_undo');
  });
});
