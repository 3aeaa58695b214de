import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import type { ChildBot } from '../../src/sandbox/child-bot.ts';
import type { MoEngageSim } from '../../src/sandbox/moengage-sim.ts';
import { type SimMessage, type SlackSim, startSlackSim } from '../../src/sandbox/slack-sim.ts';
import {
  allStarted,
  BOT_TOKEN,
  CHANNEL,
  confirmPauseOn,
  messageText,
  SIGNING_SECRET,
  startChildBotOn,
  stopFleet,
} from '../support/bot-harness.ts';
import { startSim } from '../support/fixtures.ts';
import { uniquePrefix } from '../support/redis.ts';
import {
  type RedisProc,
  type SentinelGroup,
  startRedisServer,
  startSentinelGroup,
} from '../support/redis-procs.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

/**
 * A run whose replica or store fails under it: two real bot processes, MoEngage's simulator answering each
 * request in 300 ms at its real limits, a lease of 2 s. The store is Redis behind a TCP proxy the test cuts, or a
 * redis-server of the test's own that it kills and starts again empty. What must hold: every id applied once
 * (repeats only of what was in flight), the summary counts what MoEngage applied, one report.
 */
const IDS = (n: number) => Array.from({ length: n }, (_, i) => `camp_${String(i + 1).padStart(3, '0')}`);
const N = 300;
const CHUNKS = N / 10;
/** Requests in flight at once, at most (the limiter's per-second window): what a fault may make repeat. */
const IN_FLIGHT = 10;

let moengage: MoEngageSim;
let slack: SlackSim;
let prefix: string;
let proxy: TcpProxy | undefined;
let ownRedis: RedisProc | undefined;
let sentinels: SentinelGroup | undefined;
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
afterEach(async () => {
  await stopFleet(bots, { moengage, slack }, ownRedis || sentinels ? undefined : prefix);
  await proxy?.close();
  await ownRedis?.stop();
  await sentinels?.stop();
  proxy = undefined;
  ownRedis = undefined;
  sentinels = undefined;
});

async function replica(redis: string | Record<string, string>): Promise<ChildBot> {
  const bot = await startChildBotOn({ moengage, slack }, ['UALICE', 'UBOB'], {
    ...(typeof redis === 'string' ? { REDIS_URL: redis } : redis),
    REDIS_KEY_PREFIX: prefix,
    RUN_LEASE_SECONDS: '2',
    MAX_CAMPAIGNS_PER_COMMAND: String(N),
  });
  bots.push(bot);
  return bot;
}

const confirmOn = (bot: ChildBot, ids: string[]) => confirmPauseOn(slack, bot, ids);

const summary = (message: SimMessage) => messageText(slack.message(CHANNEL, message.ts) as never);
const finished = (message: SimMessage) =>
  slack.waitFor(() => /details in the thread/.test(summary(message)), 90_000);
const threadText = (message: SimMessage) =>
  slack
    .thread(CHANNEL, message.ts)
    .map((m) => messageText(m))
    .join('\n');
const appliedRequests = () => moengage.statusRequests().filter((r) => r.outcome === 'applied');

/** Every id paused at MoEngage, the summary and thread say so, once, and nothing is called failed. */
function expectAllAppliedAndTold(message: SimMessage): void {
  expect(IDS(N).filter((id) => moengage.campaign(id)?.status !== 'PAUSED')).toEqual([]);
  expect(summary(message)).toContain(`${N} paused`);
  expect(summary(message)).not.toMatch(/failed|may have been applied/);
  const thread = threadText(message);
  expect(thread).not.toMatch(/Not sent|failed/);
  const firstParts = slack
    .thread(CHANNEL, message.ts)
    .filter((m) => /^Results:/.test(m.text ?? '') && !/part [2-9]/.test(m.text ?? ''));
  expect(firstParts).toHaveLength(1);
}

/** The MoEngage request_ids a replica sent (its audit trail's `executed` events) since `since`. */
function sendsBy(bot: ChildBot, since: number): string[] {
  return bot
    .lines()
    .filter((l) => l.module === 'audit' && l.event === 'executed' && Date.parse(String(l.time)) >= since)
    .map((l) => String(l.moengageRequestId));
}

/** Requests per chunk (its request_id) beyond the first: what was sent again. */
function repeats(): number {
  const ids = moengage.statusRequests().map((r) => r.requestId);
  return ids.length - new Set(ids).size;
}

describe('a run under a failing replica or store', () => {
  it('a stalled runner (SIGSTOP) taken over sends nothing more after SIGCONT beyond what it had in flight', async () => {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const [a, b] = (await allStarted([replica(url), replica(url)])) as [ChildBot, ChildBot];
    moengage.delayNext(CHUNKS, 300);
    const message = await confirmOn(a, IDS(N));
    await slack.waitFor(() => appliedRequests().length >= 5, 60_000);
    a.kill('SIGSTOP');
    // The survivor takes the run over and is sending when the stalled runner wakes: both are alive at once.
    await slack.waitFor(() => sendsBy(b, 0).length >= 3, 30_000);
    const resumedAt = Date.now();
    const sentBefore = new Set(moengage.statusRequests().map((r) => r.requestId));
    a.kill('SIGCONT');
    await finished(message);
    await slack.waitFor(
      () => a.lines().some((l) => /another runner took this run over/.test(String(l.msg))),
      60_000,
    );
    // The woken runner may finish only the sends it had started before the stall; it starts none.
    const byAAfter = sendsBy(a, resumedAt);
    expect(byAAfter.length).toBeLessThanOrEqual(IN_FLIGHT);
    for (const id of byAAfter) expect(sentBefore.has(id)).toBe(true);
    expect(new Set(moengage.statusRequests().map((r) => r.requestId)).size).toBe(CHUNKS);
    expect(repeats()).toBeLessThanOrEqual(IN_FLIGHT);
    expectAllAppliedAndTold(message);
    expect(slack.unexpected).toEqual([]);
  }, 120_000);

  it('Redis cut for longer than the lease mid-run: nothing is reported failed, the summary is what MoEngage applied, and the bot works after', async () => {
    proxy = await startTcpProxy(
      Number(new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').port || 6379),
    );
    const url = `redis://127.0.0.1:${proxy.port}`;
    const [a, b] = (await allStarted([replica(url), replica(url)])) as [ChildBot, ChildBot];
    moengage.delayNext(CHUNKS, 300);
    const message = await confirmOn(a, IDS(N));
    await slack.waitFor(() => appliedRequests().length >= 8, 60_000);
    proxy.cut();
    const cutAt = Date.now();
    // Both replicas lose Redis for three leases: what the runner learns meanwhile it keeps, and sends nothing new.
    await sleep(6_000);
    const sentWhileCut = moengage.statusRequests().filter((r) => r.at > cutAt + 1_000);
    proxy.restore();
    await finished(message);
    expect(sentWhileCut).toEqual([]);
    expectAllAppliedAndTold(message);
    expect(repeats()).toBeLessThanOrEqual(IN_FLIGHT);
    // The runner saw the cut (its connection's errors), whether or not a write of the run fell into it.
    expect(a.lines().some((l) => /redis connection error|store is unavailable/.test(String(l.msg)))).toBe(
      true,
    );
    // Retry failed is offered only for what did not apply: here nothing.
    expect(threadText(message)).not.toMatch(/Retry failed/);
    // The bot takes a command after the outage.
    await slack.slashCommand(b.url, { userId: 'UALICE', channelId: CHANNEL, text: 'resume camp_001' });
    await slack.waitFor(
      () => slack.messages(CHANNEL).find((m) => m.ts !== message.ts && /RESUME|resume/i.test(messageText(m))),
      60_000,
    );
  }, 120_000);

  it('Redis restarted empty mid-run: the run still finishes, and the replica that ran it reports it', async () => {
    ownRedis = await startRedisServer();
    const [a] = (await allStarted([replica(ownRedis.url), replica(ownRedis.url)])) as [ChildBot, ChildBot];
    moengage.delayNext(CHUNKS, 300);
    const message = await confirmOn(a, IDS(N));
    await slack.waitFor(() => appliedRequests().length >= 8, 60_000);
    ownRedis.kill('SIGKILL');
    await ownRedis.exited;
    ownRedis = await startRedisServer({ port: ownRedis.port });
    await finished(message);
    expectAllAppliedAndTold(message);
    expect(repeats()).toBeLessThanOrEqual(IN_FLIGHT);
    expect(a.lines().some((l) => /record had vanished/.test(String(l.msg)))).toBe(true);
  }, 120_000);

  for (const how of ['SENTINEL FAILOVER', 'the master killed'] as const) {
    it(`Redis fails over mid-run (${how}): no id lost, repeats only of what was in flight, and a command works after`, async () => {
      sentinels = await startSentinelGroup();
      const env = { REDIS_SENTINELS: sentinels.sentinelsEnv, REDIS_SENTINEL_NAME: sentinels.name };
      const [a, b] = (await allStarted([replica(env), replica(env)])) as [ChildBot, ChildBot];
      moengage.delayNext(CHUNKS, 300);
      const message = await confirmOn(a, IDS(N));
      await slack.waitFor(() => appliedRequests().length >= 8, 60_000);
      if (how === 'SENTINEL FAILOVER') await sentinels.failover();
      else sentinels.master.kill('SIGKILL');
      await finished(message);
      expectAllAppliedAndTold(message);
      expect(repeats()).toBeLessThanOrEqual(IN_FLIGHT);
      // A new command and its confirmation go through the new master.
      await slack.slashCommand(b.url, { userId: 'UALICE', channelId: CHANNEL, text: 'resume camp_001' });
      await slack.waitFor(
        () => slack.messages(CHANNEL).find((m) => m.ts !== message.ts && /resume/i.test(messageText(m))),
        60_000,
      );
    }, 120_000);
  }
});
