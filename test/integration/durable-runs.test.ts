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
import { redisUrl, uniquePrefix } from '../support/redis.ts';

/**
 * Runs that outlive their runner: two real bot processes on one Redis (a prefix of their own), MoEngage's
 * simulator at its real limits with a latency that holds requests in flight, and one replica killed or stopped
 * in the middle of a run. A short lease (2 s) so a takeover comes within seconds.
 */
let moengage: MoEngageSim;
let slack: SlackSim;
let prefix: string;
const bots: ChildBot[] = [];
const IDS = (n: number) => Array.from({ length: n }, (_, i) => `camp_${String(i + 1).padStart(3, '0')}`);

beforeEach(async () => {
  prefix = uniquePrefix('durable');
  moengage = await startSim({ campaigns: seedCampaigns({ count: 200 }) });
  slack = await startSlackSim({
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    memberChannels: [CHANNEL],
  });
});
afterEach(() => stopFleet(bots, { moengage, slack }, prefix));

async function replica(env: Record<string, string> = {}): Promise<ChildBot> {
  const bot = await startChildBotOn({ moengage, slack }, ['UALICE', 'UBOB'], {
    REDIS_URL: redisUrl(),
    REDIS_KEY_PREFIX: prefix,
    RUN_LEASE_SECONDS: '2',
    MAX_CAMPAIGNS_PER_COMMAND: '200',
    ...env,
  });
  bots.push(bot);
  return bot;
}

/** Proposes on `bot`, waits until the request is recorded, and confirms it there (so `bot` runs it). */
const confirmOn = (bot: ChildBot, ids: string[]) => confirmPauseOn(slack, bot, ids);

const finished = (message: SimMessage) =>
  slack.waitFor(
    () => /details in the thread/.test(messageText(slack.message(CHANNEL, message.ts) as never)),
    60_000,
  );
const resultReplies = (message: SimMessage) =>
  slack.thread(CHANNEL, message.ts).filter((m) => /^Results:/.test(m.text ?? ''));

describe('a run outlives the replica running it', () => {
  it('is taken over after a SIGKILL mid-run: every id applied with its chunk’s request_id, one report', async () => {
    const [a, b] = (await allStarted([replica(), replica()])) as [ChildBot, ChildBot];
    moengage.delayNext(3, 3_000);
    const message = await confirmOn(a, IDS(30));
    await slack.waitFor(() => moengage.statusRequests().length >= 1, 10_000);
    const killedAt = Date.now();
    a.kill('SIGKILL');
    await a.exited;

    await finished(message);
    for (const id of IDS(30)) expect(moengage.campaign(id)?.status).toBe('PAUSED');
    const sent = moengage.statusRequests();
    const firstByB = sent.find((r) => r.at > killedAt);
    expect(firstByB).toBeDefined();
    console.log(
      `takeover: first request by the survivor ${Math.round((firstByB?.at ?? 0) - killedAt)} ms after the kill`,
    );
    // B sent the chunks A had sent (and whose answers died with it) again, under the same request_ids.
    const abandoned = sent.filter((r) => r.outcome === 'abandoned').map((r) => r.requestId);
    const applied = sent.filter((r) => r.outcome === 'applied').map((r) => r.requestId);
    expect(abandoned.length).toBeGreaterThan(0);
    for (const id of abandoned) expect(applied).toContain(id);
    expect(resultReplies(message)).toHaveLength(1);
    expect(messageText(slack.message(CHANNEL, message.ts) as never)).toContain('30 paused');
    const thread = slack
      .thread(CHANNEL, message.ts)
      .map((m) => messageText(m))
      .join('\n');
    expect(thread).toMatch(/may have received them twice/);
    // The survivor's log reaches this process through a pipe, possibly after Slack has the summary.
    await slack.waitFor(() => b.lines().some((l) => l.module === 'audit' && l.event === 'completed'), 15_000);
    expect(slack.unexpected).toEqual([]);
  }, 90_000);

  it('on V5, keeps each campaign’s Idempotency-Key through a takeover after a SIGKILL', async () => {
    const v5 = { MOENGAGE_API_VERSION: 'v5' };
    const [a] = (await allStarted([replica(v5), replica(v5)])) as [ChildBot, ChildBot];
    moengage.delayNext(3, 3_000);
    const message = await confirmOn(a, IDS(20));
    await slack.waitFor(() => moengage.statusRequests().length >= 3, 10_000);
    a.kill('SIGKILL');
    await a.exited;
    await finished(message);
    for (const id of IDS(20)) expect(moengage.campaign(id)?.status).toBe('PAUSED');
    const sent = moengage.statusRequests();
    const abandoned = sent.filter((r) => r.outcome === 'abandoned');
    expect(abandoned.length).toBeGreaterThan(0);
    for (const lost of abandoned) {
      // Sent again by the survivor under the key the journal kept, for the same campaign.
      const again = sent.filter((r) => r.seq > lost.seq && r.idempotencyKey === lost.idempotencyKey);
      expect(again.length).toBeGreaterThan(0);
      expect(again.every((r) => r.campaignIds?.[0] === lost.campaignIds?.[0])).toBe(true);
    }
    // One key per campaign over the whole run, whoever sent it.
    const keysOf = new Map<string, Set<string>>();
    for (const r of sent) {
      const id = r.campaignIds?.[0] as string;
      keysOf.set(id, (keysOf.get(id) ?? new Set()).add(r.idempotencyKey as string));
    }
    expect([...keysOf.values()].every((keys) => keys.size === 1)).toBe(true);
    expect(resultReplies(message)).toHaveLength(1);
    expect(messageText(slack.message(CHANNEL, message.ts) as never)).toContain('20 paused');
  }, 90_000);

  it('continues on the other replica when its runner is stopped (a deploy): nothing is reported as not sent', async () => {
    // A lease longer than the test: the run moves by A's hand-back alone. (With the 2 s one, A could lose its lease
    // on a loaded machine before it handed the run back; B then took the run over by the lease, and no hand-back
    // was logged.)
    const lease = { RUN_LEASE_SECONDS: '30' };
    const [a, b] = (await allStarted([
      replica({ ...lease, SHUTDOWN_GRACE_SECONDS: '0' }),
      replica(lease),
    ])) as [ChildBot, ChildBot];
    moengage.delayNext(10, 500);
    const message = await confirmOn(a, IDS(200));
    await slack.waitFor(() => moengage.statusRequests().length >= 1, 10_000);
    a.kill('SIGTERM');
    expect(await a.exited).toEqual({ code: 0, signal: null });

    await finished(message);
    for (const id of IDS(200)) expect(moengage.campaign(id)?.status).toBe('PAUSED');
    const thread = slack
      .thread(CHANNEL, message.ts)
      .map((m) => messageText(m))
      .join('\n');
    expect(thread).not.toMatch(/Not sent/);
    expect(resultReplies(message)).toHaveLength(1);
    expect(b.lines().some((l) => l.module === 'audit' && l.event === 'executed')).toBe(true);
    expect(a.lines().some((l) => l.msg === 'run handed back for another runner to continue')).toBe(true);
  }, 90_000);

  it('finishes an 800-id run while every replica is replaced one by one (a rolling deploy), reporting it once', async () => {
    moengage.setCampaigns(seedCampaigns({ count: 800 }));
    const env = { SHUTDOWN_GRACE_SECONDS: '1', MAX_CAMPAIGNS_PER_COMMAND: '800' };
    const [a, b] = (await allStarted([replica(env), replica(env)])) as [ChildBot, ChildBot];
    moengage.delayNext(80, 300);
    const message = await confirmOn(a, IDS(800));
    const applied = () => moengage.statusRequests().filter((r) => r.outcome === 'applied').length * 10;
    await slack.waitFor(() => applied() >= 100, 30_000);
    a.kill('SIGTERM');
    const c = await replica(env);
    await slack.waitFor(() => applied() >= 400, 30_000);
    b.kill('SIGTERM');
    const d = await replica(env);
    expect(await a.exited).toEqual({ code: 0, signal: null });
    expect(await b.exited).toEqual({ code: 0, signal: null });

    await finished(message);
    const thread = slack
      .thread(CHANNEL, message.ts)
      .map((m) => messageText(m))
      .join('\n');
    const notPaused = IDS(800).filter((id) => moengage.campaign(id)?.status !== 'PAUSED');
    expect(notPaused).toEqual([]);
    expect(thread).not.toMatch(/Not sent/);
    const firstParts = slack
      .thread(CHANNEL, message.ts)
      .filter((m) => /^Results:/.test(m.text ?? '') && !/part [2-9]/.test(m.text ?? ''));
    expect(firstParts).toHaveLength(1);
    expect(messageText(slack.message(CHANNEL, message.ts) as never)).toContain('800 paused');
    // The run moved: more than one replica sent part of it.
    const senders = [a, b, c, d].filter((x) =>
      x.lines().some((l) => l.module === 'audit' && l.event === 'executed'),
    );
    expect(senders.length).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
