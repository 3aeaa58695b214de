import { afterEach, describe, expect, it } from 'vitest';
import { maxInWindow } from '../../src/sandbox/windows.ts';
import { CHANNEL, type Harness, messageText, startHarness } from '../support/bot-harness.ts';

let h: Harness;
afterEach(async () => {
  expect(h.slack.unexpected).toEqual([]);
  await h.stop();
});

describe('Slack’s rate limits, as the simulator applies them by default', () => {
  it('posts 200 confirmations sent to one channel in a burst: all arrive, paced, none given up', async () => {
    // Slack's per-channel rate scaled up 20× on both sides, so the burst takes seconds, not minutes.
    const rateLimits = {
      postMessagePerChannel: { perSecond: 20, burst: 3 },
      perMinute: { 'chat.postMessage': 6_000, 'chat.update': 1_000, 'chat.postEphemeral': 1_000 },
    };
    h = await startHarness(
      { CAMPAIGN_LOOKUP: 'off', MAX_CAMPAIGNS_PER_COMMAND: '1' },
      { slack: { rateLimits }, timings: { slackPace: { postsPerSecond: 20, burst: 2 } } },
    );
    const ids = Array.from({ length: 200 }, (_, i) => `camp_${String((i % 30) + 1).padStart(3, '0')}`);
    await Promise.all(ids.map((id) => h.command('UALICE', `pause ${id}`)));
    await h.slack.waitFor(() => h.slack.messages(CHANNEL).length === 200, 60_000);
    const posts = h.slack.callsTo('chat.postMessage');
    const taken = posts.filter((c) => c.ok).map((c) => c.at);
    expect(taken).toHaveLength(200);
    // Paced under the channel's rate: no more than the bucket allows in any second.
    expect(maxInWindow(taken, 1_000)).toBeLessThanOrEqual(20 + 3);
    const metrics = await fetch(`http://127.0.0.1:${h.bot.port}/metrics`).then((r) => r.text());
    expect(metrics).not.toMatch(/campaign_bot_slack_calls_given_up_total\{[^}]*\} [1-9]/);
    // Nobody was told "unavailable": every command got its confirmation.
    expect(h.slack.responses).toHaveLength(0);
  }, 90_000);

  it('sends a result reply Slack failed for a moment again, before the summary that points at it', async () => {
    h = await startHarness(
      { CAMPAIGN_LOOKUP: 'off' },
      { timings: { outbox: { backoff: { baseMs: 50, maxMs: 200 } } } },
    );
    await h.command('UALICE', 'pause camp_001');
    const message = await h.latestMessage();
    // The confirmation is up; the next post (the results in the thread) fails once on Slack's side.
    h.slack.failNext('chat.postMessage', 'internal_error', 1);
    await h.click('UBOB', message, 'campaign_confirm');
    const current = h;
    const final = await h.slack.waitFor(() => {
      const m = current.slack.message(CHANNEL, message.ts);
      return m && messageText(m).includes('details in the thread') && m;
    });
    expect(messageText(final)).not.toContain('could not be posted');
    expect(h.slack.thread(CHANNEL, message.ts)).toHaveLength(1);
  });

  it('says on the summary when Slack refused a result reply for good, instead of dropping it silently', async () => {
    h = await startHarness({ CAMPAIGN_LOOKUP: 'off' });
    await h.command('UALICE', 'pause camp_001');
    const message = await h.latestMessage();
    // The confirmation is up; the next post (the results in the thread) is refused by Slack.
    h.slack.failNext('chat.postMessage', 'invalid_blocks', 1);
    await h.click('UBOB', message, 'campaign_confirm');
    const current = h;
    const final = await h.slack.waitFor(() => {
      const m = current.slack.message(CHANNEL, message.ts);
      return m && messageText(m).includes('details in the thread') && m;
    });
    expect(messageText(final)).toContain('1 reply of the results could not be posted (Slack refused them)');
    expect(h.slack.thread(CHANNEL, message.ts)).toHaveLength(0);
    const metrics = await fetch(`http://127.0.0.1:${h.bot.port}/metrics`).then((r) => r.text());
    expect(metrics).toContain(
      'campaign_bot_slack_outbox_dropped_total{reason="refused",error="invalid_blocks"} 1',
    );
    expect(h.log.lines().some((l) => l.msg === 'outbox: Slack refused a message; dropped')).toBe(true);
  });
});
