import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { startBot } from '../src/compose.ts';
import { loadConfig } from '../src/config.ts';
import { type CatalogEntry, catalogView } from '../src/core/catalog.ts';
import { type CatalogSource, createCatalog } from '../src/lifecycle/catalog.ts';
import { createLogger } from '../src/logger.ts';
import { simulatorBotEnv } from '../src/sandbox/bot-env.ts';
import { catalogCampaigns } from '../src/sandbox/campaign-catalog.ts';
import type { SimCampaign } from '../src/sandbox/campaigns.ts';
import { startMoEngageSim } from '../src/sandbox/moengage-sim.ts';
import { choosePicked, pickerSearch } from '../src/sandbox/picker-flow.ts';
import { startSlackSim } from '../src/sandbox/slack-sim.ts';
import { createMemoryCatalogStore } from '../src/stores/catalog.ts';

/**
 * The campaign catalog, side by side: options answered from the bot's copy (what the picker does per keystroke)
 * against what answering each keystroke from MoEngage would cost (one search call, a share of 100 a minute), and
 * the copy's memory per 10,000 campaigns. Names are three workspaces' worth (three brands' vocabularies). Beside
 * them, the scripted "knows part of the name" run over HTTP (runPickerBench): the bot's share of a person's time.
 */

const BRANDS = [
  [
    'Black Friday',
    'Cyber Monday',
    'Price drop',
    'Back in stock',
    'Cart reminder',
    'Welcome',
    'Win-back',
    'Flash sale',
  ],
  [
    'Weekly digest',
    'Breaking news',
    'Premium trial',
    'Renewal',
    'Paywall nudge',
    'Podcast drop',
    'Live score',
  ],
  ['Fare alert', 'Check-in', 'Boarding pass', 'Loyalty tier', 'Lounge offer', 'Upgrade bid', 'Delay notice'],
];
const QUALIFIERS = [
  'EU',
  'US',
  'India',
  'iOS',
  'Android',
  'web',
  'VIP',
  'lapsed',
  'new users',
  'Q4',
  'ré-engagement',
];
const CHANNELS = ['PUSH', 'EMAIL', 'SMS', 'WHATSAPP'];
const STATUSES = ['ACTIVE', 'ACTIVE', 'SCHEDULED', 'PAUSED', 'SENT', 'STOPPED'];

export function generateCatalog(n: number, seed = 1): CatalogEntry[] {
  let s = seed;
  const rand = (k: number) => {
    s = (s * 1_103_515_245 + 12_345) & 0x7fffffff;
    return s % k;
  };
  return Array.from({ length: n }, (_, i) => {
    const brand = BRANDS[i % BRANDS.length] as string[];
    const theme = brand[rand(brand.length)] as string;
    const q = QUALIFIERS[rand(QUALIFIERS.length)] as string;
    const channel = CHANNELS[rand(CHANNELS.length)] as string;
    return {
      id: i.toString(16).padStart(24, '0'),
      name: `${theme} ${q} ${channel.toLowerCase()} #${i}`,
      channel,
      deliveryType: rand(2) ? 'ONE_TIME' : 'PERIODIC',
      status: STATUSES[rand(STATUSES.length)] as string,
      tags: [`brand-${i % BRANDS.length}`],
      seenAt: 1_700_000_000_000 + rand(10_000_000),
    };
  });
}

/** What people type, keystroke by keystroke: each prefix of two words of a real name, from two characters on. */
export function keystrokes(entries: readonly CatalogEntry[], people: number): string[] {
  const out: string[] = [];
  for (let p = 0; p < people; p++) {
    const name = (entries[(p * 7_919) % entries.length] as CatalogEntry).name;
    const words = name.split(' ').slice(0, 2);
    const typed = `${words[1] ?? ''} ${words[0]}`.trim(); // any order
    for (let k = 2; k <= typed.length; k++) out.push(typed.slice(0, k));
  }
  return out;
}

function heapUsed(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

export interface CatalogBenchFigures {
  campaigns: number;
  keystrokes: number;
  optionsMs: { p50: number; p95: number; max: number };
  moengageCallsPerKeystroke: number;
  /** Answering every keystroke live would spend this many search calls (the budget is 100 a minute). */
  liveCalls: number;
  liveMinutesOfBudget: number;
  memoryPer10kMB: number;
  buildMs: number;
  /** The scripted "knows part of the name" run, end to end (see runPickerBench). */
  picker: PickerRunFigures;
}

export async function runCatalogBench(): Promise<CatalogBenchFigures> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const entries = generateCatalog(20_000);
  const before = heapUsed(gc);
  const t0 = performance.now();
  const view = catalogView(entries, Date.now());
  const buildMs = performance.now() - t0;
  const after = heapUsed(gc);
  // The entries themselves are what the store hands over: counted with the index, since the copy holds both.
  const raw = heapUsed(gc);
  const copy = generateCatalog(10_000, 2);
  const rawAfter = heapUsed(gc);
  const indexMB = (after - before) / 2 / 1_048_576;
  const entriesMB = (rawAfter - raw) / 1_048_576;
  void copy.length;

  // The picker's path: the catalog service over its store, with a source that counts every MoEngage call.
  const store = createMemoryCatalogStore();
  await store.upsert('ws', entries);
  await store.finishListing('ws', 0, Date.now());
  let calls = 0;
  const source: CatalogSource = {
    page: async () => {
      calls++;
      return { ok: false, reason: 'failed', message: 'not expected in this bench' };
    },
    lookup: async () => {
      calls++;
      return { ok: false, reason: 'failed', message: 'not expected in this bench' };
    },
  };
  const catalog = createCatalog({ workspace: 'ws', store, source, log: pino({ level: 'silent' }) });
  await catalog.view();
  const typed = keystrokes(entries, 300);
  const times: number[] = [];
  for (const query of typed) {
    const started = performance.now();
    await catalog.search(query, 100);
    times.push(performance.now() - started);
  }
  await catalog.stop();
  times.sort((a, b) => a - b);
  const picker = await runPickerBench();
  const figures: CatalogBenchFigures = {
    campaigns: view.size,
    keystrokes: typed.length,
    optionsMs: { p50: pct(times, 0.5), p95: pct(times, 0.95), max: times.at(-1) ?? 0 },
    moengageCallsPerKeystroke: calls / typed.length,
    liveCalls: typed.length,
    liveMinutesOfBudget: typed.length / 100,
    memoryPer10kMB: indexMB + entriesMB,
    buildMs,
    picker,
  };
  const r = (n: number) => n.toFixed(2);
  console.log('catalog: options answered from the copy vs a MoEngage search per keystroke');
  console.log(
    `  ${figures.campaigns} campaigns (three brands), ${figures.keystrokes} keystrokes of 300 people typing two words of a name`,
  );
  console.log(
    `  from the copy: p50 ${r(figures.optionsMs.p50)} ms, p95 ${r(figures.optionsMs.p95)} ms, max ${r(figures.optionsMs.max)} ms (target p95 <= 300 ms, never over 2,500), ${figures.moengageCallsPerKeystroke} MoEngage calls a keystroke`,
  );
  console.log(
    `  end to end over HTTP, knowing part of a name (${picker.runs} runs: /campaign pause → picker → 2 keystrokes → choose → submit → confirmation posted): bot's share p50 ${r(picker.botMs.p50)} ms, p95 ${r(picker.botMs.p95)} ms, max ${r(picker.botMs.max)} ms of a total p50 ${r(picker.totalMs.p50)} ms, p95 ${r(picker.totalMs.p95)} ms (simulated person and Slack p50 ${r(picker.personAndSlackMs.p50)} ms, p95 ${r(picker.personAndSlackMs.p95)} ms)`,
  );
  console.log(
    `    its options over HTTP p50 ${r(picker.keystrokeMs.p50)} ms, p95 ${r(picker.keystrokeMs.p95)} ms, ${picker.moengageCallsPerKeystroke} MoEngage calls a keystroke; the campaign named offered in ${picker.targetOffered} of ${picker.runs}; ${picker.campaigns.toLocaleString('en')} campaigns, first full copy in ${r(picker.firstFullCopyS)} s with the MoEngage simulator's limits off for this run (only the bot's own 10/s pacing)`,
  );
  console.log(
    `  live per keystroke instead: ${figures.liveCalls} search calls = ${r(figures.liveMinutesOfBudget)} minutes of the whole 100/min search budget (and a round trip each)`,
  );
  console.log(
    `  memory: ${r(figures.memoryPer10kMB)} MB per 10,000 campaigns (entries ${r(entriesMB)} + index ${r(indexMB)}); building the index of 20,000: ${r(buildMs)} ms`,
  );
  return figures;
}

const PICKER_CREDENTIALS = {
  botToken: 'xoxb-bench-picker-0000',
  signingSecret: 'bench-picker-signing-secret',
  workspaceId: 'BENCHPICKER',
  apiKey: 'moe-bench-picker-key-0123',
};
const PICKER_CHANNEL = 'CBENCHPICK';
const PICKER_USER = 'UALICE';

export interface PickerRunFigures {
  campaigns: number;
  runs: number;
  /** Bot start → the catalog's first full copy (the simulator's limits off; the bot's own 10/s pacing binds). */
  firstFullCopyS: number;
  /** Command sent → the confirmation posted in the channel. */
  totalMs: { p50: number; p95: number; max: number };
  /** Waiting on the bot: the command's ack and the picker opening, both options answers, the submission's answer, the post. */
  botMs: { p50: number; p95: number; max: number };
  /** The rest: the simulated person and Slack (signing, payloads, noticing a modal or a post: polled every 10 ms). */
  personAndSlackMs: { p50: number; p95: number };
  /** Each keystroke's options answer, as Slack timed it (2 per run). */
  keystrokeMs: { p50: number; p95: number; max: number };
  moengageCallsPerKeystroke: number;
  /** Runs where the campaign whose name the person typed was among the options (else they chose another offered). */
  targetOffered: number;
}

const spread = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: pct(sorted, 0.5), p95: pct(sorted, 0.95), max: sorted.at(-1) ?? 0 };
};
/** The Slack simulator's clock (its records' `at`, `openedAt`). */
const clock = () => performance.timeOrigin + performance.now();

/**
 * The scripted "knows part of the name" run, end to end over HTTP on 127.0.0.1: the real bot (`startBot`) with its
 * catalog on, the MoEngage simulator holding a realistic catalog, the Slack simulator playing the person:
 * `/campaign pause` with no ids → the picker opens → two keystrokes (2 and 3 letters of a word of a real name) →
 * one offered campaign chosen → submit → the confirmation posted in the channel. The bot's share is the time spent
 * waiting on its answers; the rest is the simulated person's and Slack's own.
 */
export async function runPickerBench(
  options: { campaigns?: number; runs?: number } = {},
): Promise<PickerRunFigures> {
  const count = options.campaigns ?? 1_500;
  const runs = options.runs ?? 20;
  const fleet = catalogCampaigns({ count });
  // MoEngage's limits (100 search calls a minute) would make the first copy take a minute or more, which the
  // refresh part measures: here they are off, and the bot lists as fast as its own limiter allows (10 a second).
  const moengage = await startMoEngageSim({ ...PICKER_CREDENTIALS, campaigns: fleet, limits: false });
  const slack = await startSlackSim({
    botToken: PICKER_CREDENTIALS.botToken,
    signingSecret: PICKER_CREDENTIALS.signingSecret,
    memberChannels: [PICKER_CHANNEL],
    // As in the other benches: Slack's per-channel posting limit would only measure itself.
    rateLimits: false,
  });
  const config = loadConfig({
    ...simulatorBotEnv({
      ...PICKER_CREDENTIALS,
      catalog: true,
      slackUrl: slack.url,
      moengageUrl: moengage.url,
      allowedUserIds: [PICKER_USER],
      allowedChannelIds: [PICKER_CHANNEL],
    }),
    LOG_LEVEL: 'info',
  });
  // The bot says when its catalog is whole in its log ("catalog refresh", state done): listened for, not printed.
  let whole = false;
  const logger = createLogger('info', {
    write: (line: string) => {
      if (line.includes('"msg":"catalog refresh"') && line.includes('"state":"done"')) whole = true;
    },
  });
  const started = clock();
  const bot = await startBot(config, logger, {
    host: '127.0.0.1',
    timings: {
      slackRetries: 0,
      slackPace: { postsPerSecond: 10_000, burst: 10_000 },
      catalog: { pagesPerMinute: 60_000 },
    },
  });
  const url = `http://127.0.0.1:${bot.port}/slack/events`;
  try {
    await slack.waitFor(() => whole, 120_000);
    const firstFullCopyS = (clock() - started) / 1000;
    // People pause what is live: campaigns that are active, not flow steps or periodic runs.
    const live = fleet.filter((c) => c.status === 'ACTIVE' && !c.flow && !c.parentId && !c.archived);
    const chosenBefore = new Set<string>();
    const totals: number[] = [];
    const bots: number[] = [];
    const keystrokes: number[] = [];
    let moengageDuringKeystrokes = 0;
    let targetOffered = 0;
    for (let run = 0; run < runs; run++) {
      const target = live[(run * 37) % live.length] as SimCampaign;
      const word = (target.name.match(/\p{L}{3,}/u)?.[0] ?? target.name).toLowerCase();
      const posts = slack.messages(PICKER_CHANNEL).length;
      const views = slack.views(PICKER_USER).length;

      const t0 = clock();
      const ack = await slack.slashCommand(url, {
        userId: PICKER_USER,
        channelId: PICKER_CHANNEL,
        text: 'pause',
      });
      const ackEnd = clock();
      if (ack.status !== 200) throw new Error(`the command was answered ${ack.status}`);
      const view = await slack.waitFor(() => slack.views(PICKER_USER)[views], 60_000);
      const opened = Math.max(ackEnd, view.openedAt) - t0;

      const moengageBefore = moengage.requests.length;
      const typed = [];
      for (const value of [word.slice(0, 2), word.slice(0, 3)]) {
        const answer = await pickerSearch(slack, url, view, value);
        if (answer.verdict !== 'answered')
          throw new Error(`the options request for "${value}" was ${answer.verdict}`);
        typed.push(answer);
      }
      moengageDuringKeystrokes += moengage.requests.length - moengageBefore;
      const offered = (typed.at(-1)?.options ?? []).map((o) => o.value);
      if (offered.includes(target.id)) targetOffered++;
      const choice = offered.includes(target.id) ? target.id : offered.find((id) => !chosenBefore.has(id));
      if (choice === undefined)
        throw new Error(`"${word.slice(0, 3)}" offered no campaign not chosen before`);
      chosenBefore.add(choice);
      choosePicked(slack, view, [choice]);

      const submitted = await slack.submitView(url, { viewId: view.id });
      if (submitted.verdict !== 'closed') throw new Error(`the submission was ${submitted.verdict}`);
      const submitEnd = clock();
      const posted = await slack.waitFor(
        () =>
          slack
            .messages(PICKER_CHANNEL)
            .slice(posts)
            .find((m) => JSON.stringify(m.versions[0]).includes(choice)),
        60_000,
      );
      const postedAt = posted.versions[0]?.at ?? clock();
      const total = postedAt - t0;
      const bot =
        opened + typed.reduce((sum, a) => sum + a.ms, 0) + submitted.ms + Math.max(0, postedAt - submitEnd);
      totals.push(total);
      bots.push(bot);
      keystrokes.push(...typed.map((a) => a.ms));
    }
    const botMs = spread(bots);
    const personAndSlack = spread(totals.map((t, i) => t - (bots[i] ?? 0)));
    return {
      campaigns: count,
      runs,
      firstFullCopyS,
      totalMs: spread(totals),
      botMs,
      personAndSlackMs: { p50: personAndSlack.p50, p95: personAndSlack.p95 },
      keystrokeMs: spread(keystrokes),
      moengageCallsPerKeystroke: moengageDuringKeystrokes / keystrokes.length,
      targetOffered,
    };
  } finally {
    await bot.stop();
    await slack.close();
    await moengage.close();
  }
}
