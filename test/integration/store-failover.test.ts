import { afterEach, describe, expect, it } from 'vitest';
import type { ChildBot } from '../../src/sandbox/child-bot.ts';
import { allStarted, CHANNEL, messageText } from '../support/bot-harness.ts';
import { type SentinelGroup, startSentinelGroup } from '../support/redis-procs.ts';
import { CHUNKS, faultFleet, IDS, IN_FLIGHT, N } from '../support/store-faults.ts';

/**
 * A run whose store fails over under it (see ../support/store-faults.ts): a master, a replica and three sentinels
 * of the test's own, and the master moved by SENTINEL FAILOVER or killed mid-run.
 */
let sentinels: SentinelGroup | undefined;
afterEach(async () => {
  await sentinels?.stop();
  sentinels = undefined;
});
// Registered after the hook above, so it runs first: the bots stop before their store does.
const f = faultFleet(() => false);

describe('a run under a Redis failover', () => {
  for (const how of ['SENTINEL FAILOVER', 'the master killed'] as const) {
    it(`Redis fails over mid-run (${how}): no id lost, repeats only of what was in flight, and a command works after`, async () => {
      sentinels = await startSentinelGroup();
      const env = { REDIS_SENTINELS: sentinels.sentinelsEnv, REDIS_SENTINEL_NAME: sentinels.name };
      const [a, b] = (await allStarted([f.replica(env), f.replica(env)])) as [ChildBot, ChildBot];
      f.moengage.delayNext(CHUNKS, 300);
      const message = await f.confirmOn(a, IDS(N));
      await f.slack.waitFor(() => f.appliedRequests().length >= 8, 60_000);
      if (how === 'SENTINEL FAILOVER') await sentinels.failover();
      else sentinels.master.kill('SIGKILL');
      await f.finished(message);
      f.expectAllAppliedAndTold(message);
      expect(f.repeats()).toBeLessThanOrEqual(IN_FLIGHT);
      // A new command and its confirmation go through the new master.
      await f.slack.slashCommand(b.url, { userId: 'UALICE', channelId: CHANNEL, text: 'resume camp_001' });
      await f.slack.waitFor(
        () => f.slack.messages(CHANNEL).find((m) => m.ts !== message.ts && /resume/i.test(messageText(m))),
        60_000,
      );
    }, 120_000);
  }
});
