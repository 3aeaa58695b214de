import { afterEach, describe, expect, it } from 'vitest';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import type { ChildBot } from '../../src/sandbox/child-bot.ts';
import type { MoEngageSim } from '../../src/sandbox/moengage-sim.ts';
import type { SlackSim } from '../../src/sandbox/slack-sim.ts';
import {
  buttonValue,
  CHANNEL,
  messageText,
  startChildBotOn,
  startSimulators,
  testFleet,
} from '../support/bot-harness.ts';

let moengage: MoEngageSim;
let slack: SlackSim;
let bot: ChildBot | undefined;
afterEach(async () => {
  bot?.kill('SIGKILL');
  await slack?.close();
  await moengage?.close();
});

async function setUp(env: Record<string, string>) {
  ({ moengage, slack } = await startSimulators());
  bot = await startChildBotOn({ moengage, slack }, ['UALICE', 'UBOB'], env);
  return bot;
}

/** Alice asks, Bob confirms; resolves once MoEngage has the first request of the run. */
async function confirmPause(child: ChildBot, ids: string[]) {
  await slack.slashCommand(child.url, {
    userId: 'UALICE',
    channelId: CHANNEL,
    text: `pause ${ids.join(' ')}`,
  });
  const message = await slack.waitFor(() => slack.messages(CHANNEL).at(-1));
  const value = buttonValue(message, 'campaign_confirm');
  await slack.clickButton(child.url, {
    userId: 'UBOB',
    channelId: CHANNEL,
    messageTs: message.ts,
    actionId: 'campaign_confirm',
    value,
  });
  await slack.waitFor(() => moengage.statusRequests().length > 0);
  return message;
}

const ids = (n: number) => (n <= 30 ? testFleet() : seedCampaigns({ count: n })).slice(0, n).map((c) => c.id);

describe('graceful shutdown (SIGTERM to the real process)', () => {
  it('lets a running execution finish and report every id, then exits 0', async () => {
    const child = await setUp({});
    moengage.delayNext(3, 1_500);
    const message = await confirmPause(child, ids(25));
    child.kill('SIGTERM');

    const exit = await child.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    const thread = h(slack.thread(CHANNEL, message.ts));
    for (const id of ids(25)) expect(thread).toMatch(new RegExp(`${id}\`? paused`));
    expect(messageText(slack.message(CHANNEL, message.ts) as never)).toContain('25 paused');
    expect(child.lines().map((l) => l.msg)).toEqual(
      expect.arrayContaining(['shutting down', 'executions drained']),
    );
  }, 30_000);

  it('past the grace period, reports the ids it could not send instead of dropping them', async () => {
    // More chunks than one burst (10 in flight), so some are still queued when the signal comes; with no store
    // another process could continue from (SQLite :memory:), they are reported, not handed back.
    const child = await setUp({ SHUTDOWN_GRACE_SECONDS: '0', MAX_CAMPAIGNS_PER_COMMAND: '150' });
    moengage.setCampaigns(seedCampaigns({ count: 150 }));
    moengage.delayNext(100, 2_000);
    const message = await confirmPause(child, ids(150));
    child.kill('SIGTERM');

    expect(await child.exited).toEqual({ code: 0, signal: null });
    const thread = h(slack.thread(CHANNEL, message.ts));
    for (const id of ids(150)) expect(thread).toContain(id);
    expect(thread).toMatch(/Not sent to MoEngage: cancelled \(the bot was shutting down\)/);
    const sent = new Set(moengage.statusRequests().flatMap((r) => r.campaignIds ?? []));
    for (const id of ids(150)) {
      if (!sent.has(id)) expect(thread).toMatch(new RegExp(`${id}\`? failed: Not sent`));
    }
    expect(sent.size).toBeLessThan(150);
  }, 30_000);
});

function h(messages: readonly { text?: string; blocks?: unknown }[]): string {
  return messages.map((m) => messageText(m as never)).join('\n');
}
