import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import type { ChildBot } from '../../src/sandbox/child-bot.ts';
import type { MoEngageSim } from '../../src/sandbox/moengage-sim.ts';
import type { SimMessage, SlackSim } from '../../src/sandbox/slack-sim.ts';
import { maxInWindow } from '../../src/sandbox/windows.ts';
import {
  allStarted,
  buttonValue,
  CHANNEL,
  messageText,
  startChildBotOn,
  startSimulators,
  stopFleet,
} from '../support/bot-harness.ts';
import { redisUrl, uniquePrefix } from '../support/redis.ts';

/**
 * Two real bot processes (`node src/main.ts`) sharing one Redis under a prefix of their own, one Slack
 * simulator and one MoEngage simulator at MoEngage's real limits.
 */
let moengage: MoEngageSim;
let slack: SlackSim;
let prefix: string;
const bots: ChildBot[] = [];

beforeEach(async () => {
  prefix = uniquePrefix('replicas');
  ({ moengage, slack } = await startSimulators());
});
afterEach(() => stopFleet(bots, { moengage, slack }, prefix));

async function replica(env: Record<string, string> = {}): Promise<ChildBot> {
  const bot = await startChildBotOn({ moengage, slack }, ['UALICE', 'UBOB', 'UCAROL', 'UDAVE'], {
    REDIS_URL: redisUrl(),
    REDIS_KEY_PREFIX: prefix,
    ...env,
  });
  bots.push(bot);
  return bot;
}

async function request(bot: ChildBot, text: string): Promise<SimMessage> {
  const before = slack.messages(CHANNEL).length;
  await slack.slashCommand(bot.url, { userId: 'UALICE', channelId: CHANNEL, text });
  return slack.waitFor(() => slack.messages(CHANNEL).length > before && slack.messages(CHANNEL).at(-1));
}

function click(bot: ChildBot, message: SimMessage, userId = 'UBOB') {
  const value = buttonValue(message, 'campaign_confirm');
  return slack.clickButton(bot.url, {
    userId,
    channelId: CHANNEL,
    messageTs: message.ts,
    actionId: 'campaign_confirm',
    value,
  });
}

const completed = (message: SimMessage) =>
  slack.waitFor(
    () => /details in the thread/.test(messageText(slack.message(CHANNEL, message.ts) as never)),
    60_000,
  );

describe('two replicas sharing Redis', () => {
  it('finishes a Workflow step on B, from the click there, that A received and posted; A is gone by then', async () => {
    const [a, b] = (await allStarted([replica(), replica()])) as [ChildBot, ChildBot];
    const run = await slack.runFunction(a.url, {
      callbackId: 'change_campaign_status',
      inputs: {
        action: 'PAUSE',
        campaign_ids: 'camp_014',
        channel_id: CHANNEL,
        requested_by: { id: 'UALICE', secret: 'dXNlcl9jb250ZXh0' },
      },
    });
    const message = await slack.waitFor(() => slack.messages(CHANNEL).at(-1));
    a.kill('SIGKILL');
    await a.exited;
    await click(b, message);
    const done = await slack.waitFor(() => slack.completions[0], 30_000);
    expect(done).toMatchObject({ functionExecutionId: run.functionExecutionId, kind: 'success' });
    expect(moengage.campaign('camp_014')?.status).toBe('PAUSED');
  }, 60_000);

  it('confirms on B a request made on A, and 20 clicks spread over both run it once', async () => {
    const [a, b] = (await allStarted([replica(), replica()])) as [ChildBot, ChildBot];
    const first = await request(a, 'pause camp_001');
    await click(b, first);
    await completed(first);
    expect(moengage.campaign('camp_001')?.status).toBe('PAUSED');

    for (let round = 0; round < 3; round++) {
      const id = `camp_00${round + 2}`;
      const message = await request(round % 2 ? a : b, `pause ${id}`);
      const users = ['UBOB', 'UCAROL', 'UDAVE', 'UALICE'];
      await Promise.all(Array.from({ length: 20 }, (_, i) => click(i % 2 ? a : b, message, users[i % 4])));
      await completed(message);
      await slack.waitFor(() => slack.ephemerals().length >= 19 * (round + 1));
      expect(moengage.statusRequests().filter((r) => r.campaignIds?.includes(id))).toHaveLength(1);
    }
  }, 60_000);

  it('still executes on B after A, which posted the request, is killed; and a restart keeps pending requests', async () => {
    const a = await replica();
    const message = await request(a, 'pause camp_010 camp_011');
    a.kill('SIGKILL');
    await a.exited;
    const b = await replica();
    await click(b, message);
    await completed(message);
    expect(moengage.campaign('camp_011')?.status).toBe('PAUSED');

    // B restarts between request and click: the request survives in Redis.
    const pending = await request(b, 'pause camp_012');
    b.kill('SIGTERM');
    expect(await b.exited).toEqual({ code: 0, signal: null });
    const b2 = await replica();
    await click(b2, pending);
    await completed(pending);
    expect(moengage.campaign('camp_012')?.status).toBe('PAUSED');
  }, 60_000);

  it('expires a request once, whichever replica sweeps first', async () => {
    const [a] = await allStarted([
      replica({ CONFIRMATION_TTL_SECONDS: '1' }),
      replica({ CONFIRMATION_TTL_SECONDS: '1' }),
    ]);
    const message = await request(a as ChildBot, 'pause camp_013');
    await slack.waitFor(
      () => /expired at/.test(messageText(slack.message(CHANNEL, message.ts) as never)),
      8_000,
    );
    await new Promise((r) => setTimeout(r, 1_500));
    // The lookup's edit, then exactly one expiry edit, whichever replica swept.
    const updates = slack.callsTo('chat.update').filter((c) => c.args.ts === message.ts);
    const expiries = updates.filter((c) => /expired at/.test(messageText(c.args as never)));
    expect(expiries).toHaveLength(1);
    expect(updates.length - expiries.length).toBeLessThanOrEqual(1);
  }, 30_000);

  it('keeps the two replicas together inside MoEngage windows, with no 429', async () => {
    const [a, b] = (await allStarted([replica(), replica()])) as [ChildBot, ChildBot];
    moengage.setCampaigns(seedCampaigns({ count: 200 }));
    const ids = seedCampaigns({ count: 200 }).map((c) => c.id);
    const one = await request(a, `pause ${ids.slice(0, 100).join(' ')}`);
    const two = await request(b, `pause ${ids.slice(100).join(' ')}`);
    // Each replica alone would send its 10 requests within ~1 s: 20 in one second together, unless they share.
    await Promise.all([click(b, one), click(a, two)]);
    await Promise.all([completed(one), completed(two)]);
    const arrivals = moengage.statusRequests().map((r) => r.at);
    if (arrivals.length !== 20)
      console.log(
        JSON.stringify(
          moengage
            .statusRequests()
            .map((r) => [r.requestId, r.outcome, r.status, r.campaignIds?.length, Math.round(r.at)]),
        ),
      );
    expect(arrivals).toHaveLength(20);
    expect(maxInWindow(arrivals, 1_000)).toBeLessThanOrEqual(10);
    expect(moengage.statusRequests().filter((r) => r.status === 429)).toHaveLength(0);
    expect(ids.every((id) => moengage.campaign(id)?.status === 'PAUSED')).toBe(true);
  }, 60_000);
});
