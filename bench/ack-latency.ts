import diagnostics from 'node:diagnostics_channel';
import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { App, LogLevel } from '@slack/bolt';
import { startBot } from '../src/bot.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { seedCampaigns } from '../src/sandbox/campaigns.ts';
import { startMoEngageSim } from '../src/sandbox/moengage-sim.ts';
import { type SlackSim, startSlackSim } from '../src/sandbox/slack-sim.ts';

/**
 * Slash-command acknowledgement latency: our real bot (startBot, Bolt's HTTPReceiver, every command valid and
 * allowed, so each takes the full path parse → ack → authorize → store → chat.postMessage) against a bare Bolt
 * app on the same receiver whose handler only acks. Both run in this process with the Slack and MoEngage
 * simulators; `ms` is what the Slack simulator measures from sending the signed request to reading the body.
 */

export const BOT_TOKEN = 'xoxb-bench-0000-bot-token-abcdef';
export const SIGNING_SECRET = 'bench-signing-secret-1a2b3c4d5e6f';
export const WORKSPACE_ID = 'BENCHWS01';
export const API_KEY = 'moe-bench-key-5a6b7c8d9e0f';
export const CHANNEL = 'CINCIDENT';
export const USER = 'UALICE';
export const TEXT = 'pause camp_001 camp_002';
/** ours p99 may be at most this many times bare p99. */
export const ACK_TARGET_RATIO = 1.3;

export interface AckLatencyOptions {
  /** Commands per app before measuring (not recorded). Default 20. */
  warmup?: number;
  /** Measured commands per app, split evenly over the rounds. Default 200. */
  perApp?: number;
  /** Rounds; odd rounds run bare then ours, even rounds ours then bare. Default 2. */
  rounds?: number;
  /** Commands in flight. Default 20. */
  concurrency?: number;
  /** Where the JSON goes. Default bench-results/ack-latency.json. */
  file?: string;
}

export interface LatencyStats {
  n: number;
  non200: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface AckLatencyResult {
  bare: LatencyStats;
  ours: LatencyStats;
  ratio: { p50: number; p99: number };
  pass: boolean;
  /** Confirmations our bot posted (warm-up included): one per command when every command took the full path. */
  confirmationsPosted: number;
  /** Refusals sent via response_url, and Web API calls the Slack simulator did not expect: both should be 0. */
  refusals: number;
  unexpectedSlackCalls: number;
  /**
   * TCP connections opened during the measured rounds (warm-up excluded): by the load generator to each app,
   * and by our bot's Web API client to the Slack simulator. A batch that opens connections pays for it in its
   * tail, so these explain a p99 that jumps between runs.
   */
  newConnections: { toBare: number; toOurs: number; oursToSlack: number };
}

export type Sample = { ms: number; status: number };

export async function runAckLatencyBench(options: AckLatencyOptions = {}): Promise<AckLatencyResult> {
  const warmup = options.warmup ?? 20;
  const perApp = options.perApp ?? 200;
  const rounds = options.rounds ?? 2;
  const concurrency = options.concurrency ?? 20;
  const file = options.file ?? join(import.meta.dirname, '..', 'bench-results', 'ack-latency.json');
  if (perApp % rounds !== 0) throw new Error(`perApp (${perApp}) must be a multiple of rounds (${rounds})`);
  const perRound = perApp / rounds;

  const moengage = await startMoEngageSim({
    workspaceId: WORKSPACE_ID,
    apiKey: API_KEY,
    campaigns: seedCampaigns({ count: 30 }),
  });
  const slack = await startSlackSim({
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    memberChannels: [CHANNEL],
  });
  const stops: (() => Promise<unknown>)[] = [() => moengage.close(), () => slack.close()];
  try {
    // (a) Our bot, as production composes it (its own MoEngageClient), silent logs.
    const config = loadConfig({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: `${slack.url}/api/`,
      PORT: '0',
      MOENGAGE_WORKSPACE_ID: WORKSPACE_ID,
      MOENGAGE_API_KEY: API_KEY,
      MOENGAGE_BASE_URL: moengage.url,
      ALLOWED_USER_IDS: USER,
      ALLOWED_CHANNEL_IDS: CHANNEL,
      LOG_LEVEL: 'silent',
    });
    const bot = await startBot(config, createLogger('silent'), { slackRetries: 0, host: '127.0.0.1' });
    stops.unshift(() => bot.stop());
    const oursUrl = `http://127.0.0.1:${bot.port}/slack/events`;

    // (b) A bare Bolt app on the same kind of receiver: its handler only acks.
    const bare = new App({
      token: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      clientOptions: { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 } },
      deferInitialization: true,
      logLevel: LogLevel.ERROR,
    });
    bare.command('/campaign', async ({ ack }) => {
      await ack();
    });
    await bare.init();
    const server = await bare.start({ port: 0, host: '127.0.0.1' });
    stops.unshift(() => bare.stop());
    const barePort = (server.address() as AddressInfo).port;
    const bareUrl = `http://127.0.0.1:${barePort}/slack/events`;

    let oursSent = 0;
    const posts = () => slack.callsTo('chat.postMessage').length;
    const runOurs = async (count: number) => {
      const samples = await pool(slack, oursUrl, count, concurrency);
      oursSent += count;
      // Let the post-ack work (authorize, store, chat.postMessage) finish so it never overlaps a bare batch.
      await slack.waitFor(() => posts() >= oursSent, 10_000);
      return samples;
    };
    const runBare = (count: number) => pool(slack, bareUrl, count, concurrency);

    await runBare(warmup);
    await runOurs(warmup);

    // undici (the simulator's client) and Node's fetch (Bolt's WebClient) both publish here.
    const opened = new Map<string, number>();
    const onConnected = (message: unknown) => {
      const host = (message as { connectParams?: { host?: string } }).connectParams?.host ?? '?';
      opened.set(host, (opened.get(host) ?? 0) + 1);
    };
    diagnostics.subscribe('undici:client:connected', onConnected);
    stops.push(async () => diagnostics.unsubscribe('undici:client:connected', onConnected));

    const samples: { bare: Sample[]; ours: Sample[] } = { bare: [], ours: [] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['bare', 'ours'] as const) : (['ours', 'bare'] as const);
      for (const name of order) {
        const batch = name === 'bare' ? await runBare(perRound) : await runOurs(perRound);
        samples[name].push(...batch);
      }
    }

    const bareStats = stats(samples.bare);
    const oursStats = stats(samples.ours);
    const ratio = { p50: oursStats.p50 / bareStats.p50, p99: oursStats.p99 / bareStats.p99 };
    const measured = {
      bare: bareStats,
      ours: oursStats,
      ratio,
      confirmationsPosted: posts(),
      refusals: slack.responses.length,
      unexpectedSlackCalls: slack.unexpected.length,
      newConnections: {
        toBare: opened.get(`127.0.0.1:${barePort}`) ?? 0,
        toOurs: opened.get(`127.0.0.1:${bot.port}`) ?? 0,
        oursToSlack: opened.get(`127.0.0.1:${slack.port}`) ?? 0,
      },
    };
    const result: AckLatencyResult = { ...measured, pass: failures(measured).length === 0 };

    print(result, { warmup, perApp, rounds, perRound, concurrency, expectedPosts: oursSent });

    await mkdir(join(file, '..'), { recursive: true });
    const json = {
      generatedAt: new Date().toISOString(),
      node: process.version,
      command: `/campaign ${TEXT}`,
      setup: { warmup, perApp, rounds, perRound, concurrency, targetRatioP99: ACK_TARGET_RATIO },
      percentiles: 'nearest rank: the ceil(p/100 * n)-th smallest sample',
      ...result,
      samplesMs: {
        bare: samples.bare.map((s) => round2(s.ms)),
        ours: samples.ours.map((s) => round2(s.ms)),
      },
    };
    await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`\nwrote ${file}`);
    return result;
  } finally {
    for (const stop of stops) await stop();
  }
}

/** Sends `count` signed `/campaign` commands to `url`, `concurrency` in flight; samples in completion order. */
export async function pool(
  slack: SlackSim,
  url: string,
  count: number,
  concurrency: number,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const res = await slack.slashCommand(url, { userId: USER, channelId: CHANNEL, text: TEXT });
      samples.push({ ms: res.ms, status: res.status });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return samples;
}

export function stats(samples: readonly Sample[]): LatencyStats {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
  return {
    n: sorted.length,
    non200: samples.filter((s) => s.status !== 200).length,
    p50: round2(at(50)),
    p90: round2(at(90)),
    p99: round2(at(99)),
    max: round2(sorted.at(-1) ?? Number.NaN),
    mean: round2(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}

function print(
  r: AckLatencyResult,
  s: {
    warmup: number;
    perApp: number;
    rounds: number;
    perRound: number;
    concurrency: number;
    expectedPosts: number;
  },
): void {
  const f = (n: number) => n.toFixed(2).padStart(8);
  const row = (name: string, x: LatencyStats) =>
    `${name.padEnd(5)} ${String(x.n).padStart(4)} ${String(x.non200).padStart(7)}` +
    `${f(x.p50)}${f(x.p90)}${f(x.p99)}${f(x.max)}`;
  console.log('');
  console.log(`Slash command ack latency: /campaign ${TEXT} (signed, via the Slack simulator, 127.0.0.1)`);
  console.log(
    `warm-up ${s.warmup} each; ${s.perApp} measured each in ${s.rounds} interleaved rounds of ${s.perRound} ` +
      `(bare, ours / ours, bare / ...); ${s.concurrency} in flight; ms, nearest-rank percentiles`,
  );
  console.log('');
  console.log(`app      n  non-200     p50     p90     p99     max`);
  console.log(row('bare', r.bare));
  console.log(row('ours', r.ours));
  console.log('');
  console.log(`non-200 responses: bare ${r.bare.non200}, ours ${r.ours.non200}`);
  console.log(`ratio ours/bare: p50 ${r.ratio.p50.toFixed(2)}, p99 ${r.ratio.p99.toFixed(2)}`);
  console.log(
    `full path: ${r.confirmationsPosted}/${s.expectedPosts} confirmations posted, ` +
      `${r.refusals} refusals, ${r.unexpectedSlackCalls} unexpected Slack calls`,
  );
  const c = r.newConnections;
  console.log(
    `TCP connections opened while measuring: load generator -> bare ${c.toBare}, -> ours ${c.toOurs}; ` +
      `ours -> Slack sim ${c.oursToSlack}`,
  );
  const why = failures(r);
  console.log(
    `target: p99 ours <= ${ACK_TARGET_RATIO} x p99 bare: ${why.length === 0 ? 'PASS' : `FAIL (${why.join('; ')})`}`,
  );
}

/** Why the run fails the target: the p99 ratio, any non-200, or a command that did not take the full path. */
function failures(r: Omit<AckLatencyResult, 'pass'>): string[] {
  const non200 = r.bare.non200 + r.ours.non200;
  return [
    ...(r.ratio.p99 > ACK_TARGET_RATIO ? [`p99 ratio ${r.ratio.p99.toFixed(2)} > ${ACK_TARGET_RATIO}`] : []),
    ...(non200 > 0 ? [`${non200} non-200 responses`] : []),
    ...(r.refusals > 0 ? [`${r.refusals} refusals`] : []),
    ...(r.unexpectedSlackCalls > 0 ? [`${r.unexpectedSlackCalls} unexpected Slack calls`] : []),
  ];
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
