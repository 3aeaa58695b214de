import { afterEach, describe, expect, it } from 'vitest';
import { createSlidingLimiter } from '../../src/moengage/limiter.ts';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import { maxInWindow } from '../../src/sandbox/windows.ts';
import { CHANNEL, type Harness, messageText, startHarness } from '../support/bot-harness.ts';

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

/**
 * A long run shows its progress. MoEngage's limits are scaled up 10× (the simulator's and a limiter of our own) so a 300-id V5 run
 * (300 requests) takes seconds, not minutes; the progress interval is shortened to match.
 */
describe('progress on a long run', () => {
  it('edits the message with counts and time left while a 300-id V5 run goes, within chat.update’s limit', async () => {
    const limits = { perSecond: 100, perMinute: 6_000, perHour: 360_000 };
    const limiter = createSlidingLimiter({ limits });
    h = await startHarness(
      { MOENGAGE_API_VERSION: 'v5', MAX_CAMPAIGNS_PER_COMMAND: '300' },
      { limiter, timings: { progressMs: 250 }, moengage: { limits } },
    );
    const ids = seedCampaigns({ count: 300 }).map((c) => c.id);
    h.moengage.setCampaigns(seedCampaigns({ count: 300 }));
    await h.command('UALICE', `pause ${ids.join(' ')}`);
    const message = await h.latestMessage();
    await h.click('UBOB', message, 'campaign_confirm');
    const final = await h.slack.waitFor(() => {
      const m = h.slack.message(CHANNEL, message.ts);
      return m && messageText(m).includes('details in the thread') && m;
    }, 60_000);
    expect(messageText(final)).toContain('300 paused');
    expect(h.moengage.statusRequests()).toHaveLength(300);

    const progress = final.versions
      .map((v) => messageText(v as never))
      .filter((t) => /running… \*\d+ \/ 300\* paused/.test(t));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const counts = progress.map((t) => Number(/running… \*(\d+) \/ 300\*/.exec(t)?.[1]));
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    // An edit only when something changed.
    expect(new Set(progress).size).toBe(progress.length);
    expect(progress.some((t) => /left/.test(t))).toBe(true);
    // Every edit of this message, progress included, stays far inside chat.update's ~50 a minute.
    const edits = h.slack.callsTo('chat.update').filter((c) => c.args.ts === message.ts);
    expect(
      maxInWindow(
        edits.map((c) => c.at),
        60_000,
      ),
    ).toBeLessThanOrEqual(40);
    // Never after the summary.
    expect(messageText(final.versions.at(-1) as never)).toContain('details in the thread');
    await limiter.stop();
  }, 90_000);
});
