import { startBot } from '../src/compose.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { MoEngageClient } from '../src/moengage/client.ts';
import { MOENGAGE_LIMITS } from '../src/moengage/limiter.ts';
import { simulatorBotEnv } from '../src/sandbox/bot-env.ts';
import { seedCampaigns } from '../src/sandbox/campaigns.ts';
import { startMoEngageSim } from '../src/sandbox/moengage-sim.ts';
import { startSlackSim } from '../src/sandbox/slack-sim.ts';
import { earliestStarts, maxInWindow, windowsFor } from '../src/sandbox/windows.ts';

/**
 * Two measurements for MoEngage's V5 API and the look before confirming (`npm run bench -- --only v5`):
 * 1. PAUSE of 300 ids on V5 (300 requests, one campaign each) by `MoEngageClient` against the simulator at
 *    MoEngage's real limits: wall time against the sliding windows' floor, window maxima by arrival, 429s.
 * 2. The time from `/campaign pause <ids>` to the confirmation edited with every campaign's name, for 10 and 100
 *    ids, V1 search (one id a call) and V5 search (lists), with 0 and 300 ms simulated search latency: the real
 *    bot (`startBot`) in this process, both simulators on 127.0.0.1, measured by the Slack simulator's record of
 *    the message's versions.
 * Real time: about three minutes (the V5 run alone is at least 2 min 9 s: 300 requests at 100 a minute).
 */
const CREDENTIALS = {
  botToken: 'xoxb-bench-v5-0000',
  signingSecret: 'bench-v5-signing-secret',
  workspaceId: 'BENCHV5WS',
  apiKey: 'moe-bench-v5-key-0123',
};
const CHANNEL = 'CBENCH';
const LOOKING = 'Looking these campaigns up in MoEngage';

export interface V5Cell {
  ids: number;
  wallS: number;
  floorS: number;
  ratio: number;
  maxPer1s: number;
  maxPer60s: number;
  rateLimited: number;
  applied: number;
}

export interface LookupCell {
  api: 'v1' | 'v5';
  ids: number;
  latencyMs: number;
  /** Command sent → the confirmation edited with every name. */
  namesS: number;
  /** Command sent → the confirmation first posted (it never waits for the lookup). */
  postedS: number;
  searches: number;
}

export async function runV5Bench(): Promise<{ v5: V5Cell; lookups: LookupCell[] }> {
  const v5 = await v5Throughput(300);
  console.log(
    `V5 PAUSE ${v5.ids} ids (${v5.ids} requests): wall ${v5.wallS.toFixed(2)} s, floor ${v5.floorS.toFixed(3)} s, ratio ${v5.ratio.toFixed(3)}; max/1s ${v5.maxPer1s}, max/60s ${v5.maxPer60s}, 429s ${v5.rateLimited}, applied ${v5.applied} (target: ratio <= 1.05)`,
  );
  const lookups: LookupCell[] = [];
  for (const api of ['v1', 'v5'] as const)
    for (const ids of [10, 100])
      for (const latencyMs of [0, 300]) lookups.push(await lookupLatency(api, ids, latencyMs));
  console.log('');
  console.log('Command → confirmation showing every name (the look before confirming):');
  const head = ['search', 'ids', 'latency', 'posted s', 'names s', 'searches'];
  const rows = lookups.map((c) => [
    c.api,
    String(c.ids),
    `${c.latencyMs} ms`,
    c.postedS.toFixed(2),
    c.namesS.toFixed(2),
    String(c.searches),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  console.log([line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n'));
  return { v5, lookups };
}

async function v5Throughput(n: number): Promise<V5Cell> {
  const campaigns = seedCampaigns({ count: n });
  const sim = await startMoEngageSim({ ...CREDENTIALS, campaigns });
  const client = new MoEngageClient({
    baseUrl: sim.url,
    workspaceId: CREDENTIALS.workspaceId,
    apiKey: CREDENTIALS.apiKey,
    apiVersion: 'v5',
    logger: createLogger('silent'),
  });
  try {
    const started = performance.now();
    const report = await client.changeCampaignStatus(
      'PAUSE',
      campaigns.map((c) => c.id),
    );
    const wallMs = performance.now() - started;
    const arrivals = sim.statusRequests().map((r) => r.at);
    const floorMs = (earliestStarts(n, windowsFor(MOENGAGE_LIMITS)).at(-1) ?? 0) + 1;
    return {
      ids: n,
      wallS: wallMs / 1000,
      floorS: floorMs / 1000,
      ratio: wallMs / floorMs,
      maxPer1s: maxInWindow(arrivals, 1_000),
      maxPer60s: maxInWindow(arrivals, 60_000),
      rateLimited: sim.statusRequests().filter((r) => r.status === 429).length,
      applied: report.applied,
    };
  } finally {
    await client.close();
    await sim.close();
  }
}

async function lookupLatency(api: 'v1' | 'v5', n: number, latencyMs: number): Promise<LookupCell> {
  const campaigns = seedCampaigns({ count: n });
  const moengage = await startMoEngageSim({ ...CREDENTIALS, campaigns });
  const slack = await startSlackSim({
    botToken: CREDENTIALS.botToken,
    signingSecret: CREDENTIALS.signingSecret,
    memberChannels: [CHANNEL],
    // The benches measure the bot's acknowledgements and MoEngage's pacing: Slack's per-channel posting limit
    // (on by default in the simulator, tested in slack-limits.test.ts) would only measure itself here.
    rateLimits: false,
  });
  const config = loadConfig({
    ...simulatorBotEnv({
      ...CREDENTIALS,
      slackUrl: slack.url,
      moengageUrl: moengage.url,
      allowedUserIds: ['UALICE'],
      allowedChannelIds: [CHANNEL],
    }),
    LOG_LEVEL: 'silent',
    MOENGAGE_API_VERSION: api,
    MAX_CAMPAIGNS_PER_COMMAND: String(n),
  });
  const bot = await startBot(config, createLogger('silent'), {
    host: '127.0.0.1',
    // The simulator's Slack limits are off here: so is the bot's pacer, or it alone would be measured.
    timings: { slackRetries: 0, slackPace: { postsPerSecond: 10_000, burst: 10_000 } },
  });
  try {
    if (latencyMs > 0) moengage.inject({ kind: 'latency', ms: latencyMs, api: 'search' }, n);
    const url = `http://127.0.0.1:${bot.port}/slack/events`;
    const started = Date.now();
    await slack.slashCommand(url, {
      userId: 'UALICE',
      channelId: CHANNEL,
      text: `pause ${campaigns.map((c) => c.id).join(' ')}`,
    });
    const named = await slack.waitFor(() => {
      const m = slack.messages(CHANNEL).at(-1);
      const text = m ? JSON.stringify(m.blocks) : '';
      return m && !text.includes(LOOKING) && text.includes('In MoEngage') && m;
    }, 120_000);
    const postedAt = named.versions[0]?.at ?? started;
    const namedAt = named.versions.at(-1)?.at ?? Date.now();
    return {
      api,
      ids: n,
      latencyMs,
      postedS: (postedAt - started) / 1000,
      namesS: (namedAt - started) / 1000,
      searches: moengage.searchRequests().length,
    };
  } finally {
    await bot.stop();
    await slack.close();
    await moengage.close();
  }
}
