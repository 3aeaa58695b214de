import { afterEach, describe, expect, it } from 'vitest';
import { ackText, CHANNEL, type Harness, messageText, startHarness } from '../support/bot-harness.ts';

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const response = async (n: number) =>
  JSON.stringify((await h.slack.waitFor(() => h.slack.responses[n])).body);

describe('/campaign history', () => {
  it('tells who asked, approved and ran what, and how it ended, from the stored audit trail', async () => {
    h = await startHarness();
    await h.command('UALICE', 'pause camp_001 camp_002 reason: INC-77 bad coupon');
    const message = await h.latestMessage();
    await h.click('UBOB', message, 'campaign_confirm');
    await h.slack.waitFor(() =>
      messageText(h.slack.message(CHANNEL, message.ts) as never).includes('details in the thread'),
    );
    await h.command('UALICE', 'resume camp_003');
    const second = await h.slack.waitFor(() => h.slack.messages(CHANNEL)[1]);
    await h.click('UBOB', second, 'campaign_cancel');
    await h.slack.waitFor(() =>
      messageText(h.slack.message(CHANNEL, second.ts) as never).includes('cancelled by'),
    );

    await h.command('UALICE', 'history camp_001 since 1d');
    const about = await response(0);
    expect(about).toContain('Requests in the last 1 day');
    expect(about).toContain('*Pause 2* in <#CINCIDENT> · asked by <@UALICE>');
    expect(about).toContain('2 paused');
    expect(about).toContain('INC-77 bad coupon');
    expect(about).not.toContain('Resume');

    await h.command('UBOB', 'history me');
    const mine = await response(1);
    // Bob approved the pause and cancelled the resume: both are his.
    expect(mine).toContain('*Pause 2*');
    expect(mine).toContain('*Resume 1*');
    expect(mine).toContain('cancelled by <@UBOB>');
    expect(mine.indexOf('Resume 1')).toBeLessThan(mine.indexOf('Pause 2'));

    await h.command('UALICE', 'history camp_029');
    expect(await response(2)).toContain('No requests in the last 7 days');
  });

  it('is refused under the same policy, and bad windows are explained', async () => {
    h = await startHarness();
    await h.command('UEVE', 'history me');
    expect(await response(0)).toContain('not on the list of people allowed');
    expect(ackText(await h.command('UALICE', 'history camp_001 since forever'))).toMatch(
      /^Say how far back as `since 7d`/,
    );
    expect(ackText(await h.command('UALICE', 'history'))).toMatch(/^Name the campaigns, or `me`/);
  });
});
