import { afterEach, beforeEach, expect } from 'vitest';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import type { ChildBot } from '../../src/sandbox/child-bot.ts';
import type { MoEngageSim } from '../../src/sandbox/moengage-sim.ts';
import { type SimMessage, type SlackSim, startSlackSim } from '../../src/sandbox/slack-sim.ts';
import {
  BOT_TOKEN,
  CHANNEL,
  confirmPauseOn,
  messageText,
  SIGNING_SECRET,
  startChildBotOn,
  stopFleet,
} from './bot-harness.ts';
import { startSim } from './fixtures.ts';
import { uniquePrefix } from './redis.ts';

/**
 * A run whose replica or store fails under it (store-faults and store-failover, two files so that they run side
 * by side): two real bot processes, MoEngage's simulator answering each request in 300 ms at its real limits, a
 * lease of 2 s. What must hold: every id applied once (repeats only of what was in flight), the summary counts what
 * MoEngage applied, one report.
 */
export const IDS = (n: number) =>
  Array.from({ length: n }, (_, i) => `camp_${String(i + 1).padStart(3, '0')}`);
export const N = 300;
export const CHUNKS = N / 10;
/** Requests in flight at once, at most (the limiter's per-second window): what a fault may make repeat. */
export const IN_FLIGHT = 10;

/**
 * Fresh simulators for each test of the calling file (it registers the hooks), and the bots it starts, stopped
 * after it. `sharedRedis()`: whether the test's bots used the shared Redis, whose keys under the test's own prefix
 * are then removed.
 */
export function faultFleet(sharedRedis: () => boolean) {
  let moengage: MoEngageSim;
  let slack: SlackSim;
  let prefix: string;
  const bots: ChildBot[] = [];

  beforeEach(async () => {
    prefix = uniquePrefix('store-faults');
    moengage = await startSim({ campaigns: seedCampaigns({ count: N }) });
    slack = await startSlackSim({
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      memberChannels: [CHANNEL],
    });
  });
  afterEach(() => stopFleet(bots, { moengage, slack }, sharedRedis() ? prefix : undefined));

  const summary = (message: SimMessage) => messageText(slack.message(CHANNEL, message.ts) as never);
  const threadText = (message: SimMessage) =>
    slack
      .thread(CHANNEL, message.ts)
      .map((m) => messageText(m))
      .join('\n');

  return {
    get moengage() {
      return moengage;
    },
    get slack() {
      return slack;
    },
    async replica(redis: string | Record<string, string>): Promise<ChildBot> {
      const bot = await startChildBotOn({ moengage, slack }, ['UALICE', 'UBOB'], {
        ...(typeof redis === 'string' ? { REDIS_URL: redis } : redis),
        REDIS_KEY_PREFIX: prefix,
        RUN_LEASE_SECONDS: '2',
        MAX_CAMPAIGNS_PER_COMMAND: String(N),
      });
      bots.push(bot);
      return bot;
    },
    confirmOn: (bot: ChildBot, ids: string[]) => confirmPauseOn(slack, bot, ids),
    finished: (message: SimMessage) =>
      slack.waitFor(() => /details in the thread/.test(summary(message)), 90_000),
    threadText,
    appliedRequests: () => moengage.statusRequests().filter((r) => r.outcome === 'applied'),

    /** Every id paused at MoEngage, the summary and thread say so, once, and nothing is called failed. */
    expectAllAppliedAndTold(message: SimMessage): void {
      expect(IDS(N).filter((id) => moengage.campaign(id)?.status !== 'PAUSED')).toEqual([]);
      expect(summary(message)).toContain(`${N} paused`);
      expect(summary(message)).not.toMatch(/failed|may have been applied/);
      const thread = threadText(message);
      expect(thread).not.toMatch(/Not sent|failed/);
      const firstParts = slack
        .thread(CHANNEL, message.ts)
        .filter((m) => /^Results:/.test(m.text ?? '') && !/part [2-9]/.test(m.text ?? ''));
      expect(firstParts).toHaveLength(1);
    },

    /** The MoEngage request_ids a replica sent (its audit trail's `executed` events) since `since`. */
    sendsBy(bot: ChildBot, since: number): string[] {
      return bot
        .lines()
        .filter((l) => l.module === 'audit' && l.event === 'executed' && Date.parse(String(l.time)) >= since)
        .map((l) => String(l.moengageRequestId));
    },

    /** Requests per chunk (its request_id) beyond the first: what was sent again. */
    repeats(): number {
      const ids = moengage.statusRequests().map((r) => r.requestId);
      return ids.length - new Set(ids).size;
    },
  };
}
