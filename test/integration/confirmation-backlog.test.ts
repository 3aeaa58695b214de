import { afterEach, describe, expect, it } from 'vitest';
import { expiryShown } from '../../src/sandbox/expiry-shown.ts';
import { CHANNEL, type Harness, hasButtons, startHarness } from '../support/bot-harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/**
 * The 2,000 confirmations nobody confirms, scaled down to run in the suite: 150 in one channel, with Slack
 * (the simulator) and the bot's pacer ten times faster than Slack's real limits, and a 5 s confirmation time, so
 * most confirmations wait in the channel's queue past their time. The full size, with Slack's real pacing and the
 * bot's memory measured in its own process, is `npm run bench -- --only backlog`.
 */
const SCALE = 10;
const COMMANDS = 150;

describe('a backlog of confirmations nobody confirms, in one channel', () => {
  it('shows each one expired within a (scaled) minute of its expiry, once Slack has taken it', async () => {
    h = await startHarness(
      { CONFIRMATION_TTL_SECONDS: '5' },
      {
        slack: {
          rateLimits: {
            postMessagePerChannel: { perSecond: SCALE, burst: 3 },
            perMinute: {
              'chat.postMessage': 600 * SCALE,
              'chat.update': 50 * SCALE,
              'chat.postEphemeral': 100 * SCALE,
              'usergroups.users.list': 20 * SCALE,
              'auth.test': 100 * SCALE,
              'views.publish': 100 * SCALE,
            },
          },
        },
        timings: { slackPace: { postsPerSecond: SCALE, burst: 2 } },
      },
    );
    const harness = h;
    for (let i = 0; i < COMMANDS; i++) {
      const ack = await harness.command('UALICE', `pause camp_${String((i % 30) + 1).padStart(3, '0')}`);
      expect(ack.status).toBe(200);
    }
    // Every confirmation posted, and every one showing its expiry, buttons gone.
    const all = await harness.slack.waitFor(() => {
      const posted = harness.slack.messages(CHANNEL).filter((m) => m.threadTs === undefined);
      return posted.length === COMMANDS && posted.every((m) => !hasButtons(m)) && posted;
    }, 120_000);
    const shown = expiryShown(all, Number.POSITIVE_INFINITY, 60_000 / SCALE);
    expect(shown.judged).toBe(COMMANDS);
    expect(shown.late).toEqual([]);
    // Most waited for the channel past their time: the case that used to trickle out live.
    expect(shown.postedAfterExpiry).toBeGreaterThan(COMMANDS / 2);
    expect(harness.moengage.statusRequests()).toHaveLength(0);
    // Each was expired once, audited once.
    expect(harness.auditEvents().filter((e) => e.event === 'expired')).toHaveLength(COMMANDS);
  }, 180_000);
});
