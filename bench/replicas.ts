import diagnostics from 'node:diagnostics_channel';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBot } from '../src/compose.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { MOENGAGE_LIMITS } from '../src/moengage/limiter.ts';
import { seedCampaigns } from '../src/sandbox/campaigns.ts';
import { type ChildBot, startChildBot } from '../src/sandbox/child-bot.ts';
import type { SimMessage, SlackSim } from '../src/sandbox/slack-sim.ts';
import { maxInWindow } from '../src/sandbox/windows.ts';
import { connectSharedState } from '../src/stores/connect.ts';
import {
  benchBotEnv,
  CHANNEL,
  type LatencyStats,
  pool,
  round2,
  type Sample,
  startSimulators,
  stats,
  TEXT,
  USER,
} from './ack-latency.ts';
import { minimumMs, TARGETS } from './measure.ts';
import { checkRedis, countPrefix, deletePrefix, redisHost, uniquePrefix } from './redis-keys.ts';

/**
 * Replicas sharing state through Redis, two measurements (`npm run bench -- --only replicas`):
 * 1. 1,000 ids PAUSEd through two bot processes (`node src/main.ts`) that share the MoEngage limiter: each
 *    replica executes the other's request, both confirmed at the same moment, against the MoEngage simulator at
 *    MoEngage's real limits. Wall time against the sliding windows' floor for the 100 requests together.
 * 2. Slash-command ack latency of the bot with the Redis store (and Redis dedupe and limiter) against the same
 *    bot with the in-memory store, measured as the ack bench measures it.
 * Every Redis key goes under a fresh prefix, deleted at the end.
 */

const REQUESTER = USER;
const CONFIRMER = 'UBOB';
const TOTAL_IDS = 1_000;
const IDS_PER_REQUEST = 10;
const DONE = 'details in the thread';
const CRASHED = 'the run failed';

interface Plan {
  maxCampaignsPerCommand: number;
  commandsPerReplica: number;
}
/** 500 ids per command first; 100 x 10 commands if a 500-id confirmation is refused by the bot or Slack. */
const PLANS: readonly Plan[] = [
  { maxCampaignsPerCommand: 500, commandsPerReplica: 1 },
  { maxCampaignsPerCommand: 100, commandsPerReplica: 5 },
];

export interface ReplicasResult {
  plan: Plan & { fallbackFrom?: Plan; fallbackReason?: string };
  /** Logical MoEngage requests: ids / 10. */
  requests: number;
  /** From sending the clicks to the later of the two (or more) summaries, as the Slack simulator stored it. */
  wallS: number;
  minS: number;
  ratio: number;
  /** Status requests that reached the simulator, 429'd ones included. */
  arrivals: number;
  rateLimited: number;
  maxPer1s: number;
  maxPer60s: number;
  pausedAtSim: number;
  /** Summed from the parents' summaries ("N paused, M failed"). */
  applied: number;
  failed: number;
  completed: boolean;
  clicks: { status: number; ms: number }[];
  /** Clicks to the first arrival at the simulator; last arrival to the last summary. */
  clickToFirstRequestMs: number;
  lastRequestToDoneMs: number;
  /** First to last accepted arrival. */
  acceptedSpanS: number;
  executions: {
    request: string;
    postedOn: string;
    executedOn: string;
    ids: number;
    /** Ids found in the confirmation's blocks: fewer than `ids` means the message hid some from the confirmer. */
    idsShownInConfirmation: number;
    doneAfterS: number;
  }[];
  /** Audit "completed" events the replicas logged (elapsedMs is the MoEngage client's own time). */
  audit: Record<string, unknown>[];
  /** warn/error/fatal lines of the replicas' logs, and anything they wrote to stderr. */
  replicaProblems: string[];
  refusals: number;
  unexpectedSlackCalls: number;
  redisKeysDeleted: number;
  verdict: { pass: boolean; misses: string[] };
}

export interface AckStoreResult {
  memory: LatencyStats;
  redis: LatencyStats;
  ratio: { p50: number; p90: number; p99: number; max: number };
  confirmationsPosted: number;
  expectedPosts: number;
  refusals: number;
  unexpectedSlackCalls: number;
  /** Keys under the Redis bot's prefix before cleanup: its pending requests and deliveries (proof it used Redis). */
  redisKeys: number;
  redisKeysDeleted: number;
  /**
   * Each measured batch in the order run: its p50/p99 and the TCP connections (undici: the load generator's)
   * opened while it ran. A batch that opens connections pays for them in its tail.
   */
  batches: { store: 'memory' | 'redis'; round: number; p50: number; p99: number; newConnections: number }[];
  samplesMs: { memory: number[]; redis: number[] };
}

export async function runReplicasBench(
  options: { file?: string; redisUrl?: string } = {},
): Promise<{ replicas: ReplicasResult; ack: AckStoreResult }> {
  const file = options.file ?? join(import.meta.dirname, '..', 'bench-results', 'replicas.json');
  const url = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  await checkRedis(url);

  console.log(`Replicas sharing Redis (${redisHost(url)}): two measurements`);
  const replicas = await runTwoReplicas(url);
  console.log('');
  const ack = await runAckStoreBench(url);

  await mkdir(join(file, '..'), { recursive: true });
  const json = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    redis: redisHost(url),
    limits: MOENGAGE_LIMITS,
    targets: { ...TARGETS, pausedAtSim: TOTAL_IDS },
    minimumDefinition:
      'earliestStarts(requests, windowsFor(MOENGAGE_LIMITS)).at(-1): start time of the last request, closed windows',
    replicas,
    ackLatencyRedisVsMemory: {
      command: `/campaign ${TEXT}`,
      percentiles: 'nearest rank: the ceil(p/100 * n)-th smallest sample',
      ...ack,
    },
  };
  await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
  return { replicas, ack };
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Two replicas, 1,000 ids
// ---------------------------------------------------------------------------------------------------------------

async function runTwoReplicas(url: string): Promise<ReplicasResult> {
  const [first, fallback] = PLANS as [Plan, Plan];
  const attempt = await twoReplicas(url, first);
  if (attempt.ok) return attempt.result;
  console.log(
    `  ${first.maxCampaignsPerCommand} ids per command was refused (${attempt.reason}); falling back to ` +
      `MAX_CAMPAIGNS_PER_COMMAND=${fallback.maxCampaignsPerCommand}, ${fallback.commandsPerReplica} commands per replica`,
  );
  const second = await twoReplicas(url, fallback, { fallbackFrom: first, fallbackReason: attempt.reason });
  if (!second.ok) throw new Error(`replicas bench: the fallback plan was refused too (${second.reason})`);
  return second.result;
}

type Attempt = { ok: true; result: ReplicasResult } | { ok: false; reason: string };

async function twoReplicas(
  url: string,
  plan: Plan,
  fallback: { fallbackFrom?: Plan; fallbackReason?: string } = {},
): Promise<Attempt> {
  const prefix = uniquePrefix();
  const campaigns = seedCampaigns({ count: TOTAL_IDS });
  const ids = campaigns.map((c) => c.id);
  const requests = Math.ceil(TOTAL_IDS / IDS_PER_REQUEST);
  const minMs = minimumMs(requests);
  const commands = 2 * plan.commandsPerReplica;
  console.log('');
  console.log(
    `[1/2] two replicas (node src/main.ts x 2, one Redis prefix), PAUSE ${TOTAL_IDS} ids = ${requests} requests, ` +
      `floor ${(minMs / 1000).toFixed(3)} s; ${commands} commands of ${TOTAL_IDS / commands} ids ` +
      `(MAX_CAMPAIGNS_PER_COMMAND=${plan.maxCampaignsPerCommand})...`,
  );

  const { moengage, slack } = await startSimulators({ campaigns, limits: MOENGAGE_LIMITS });
  const bots: ChildBot[] = [];
  let redisKeysDeleted = 0;
  try {
    const env = {
      ...benchBotEnv({ moengage, slack }, [REQUESTER, CONFIRMER]),
      MAX_CAMPAIGNS_PER_COMMAND: String(plan.maxCampaignsPerCommand),
      REDIS_URL: url,
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'info',
    };
    const child = { path: process.env.PATH };
    const started = await Promise.allSettled([startChildBot(env, child), startChildBot(env, child)]);
    for (const s of started) if (s.status === 'fulfilled') bots.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const [a, b] = bots as [ChildBot, ChildBot];
    const name = (bot: ChildBot) => (bot === a ? 'A' : 'B');

    // Requests: the first half of the ids on A, the second on B, one command at a time.
    const chunk = TOTAL_IDS / commands;
    const proposed: { label: string; on: ChildBot; ids: string[]; message: SimMessage; idsShown: number }[] =
      [];
    for (let i = 0; i < commands; i++) {
      const on = i < plan.commandsPerReplica ? a : b;
      const chunkIds = ids.slice(i * chunk, (i + 1) * chunk);
      const label = `${name(on)}${(i % plan.commandsPerReplica) + 1}`;
      const outcome = await propose(slack, on, chunkIds);
      if (!outcome.ok) return { ok: false, reason: `${label}: ${outcome.reason}` };
      proposed.push({ label, on, ids: chunkIds, message: outcome.message, idsShown: outcome.idsShown });
    }

    // Every request confirmed on the other replica, all clicks at the same moment.
    const confirmOn = (on: ChildBot) => (on === a ? b : a);
    const clickedAt = epochNow();
    const clicks = await Promise.all(
      proposed.map((p) =>
        slack.clickButton(confirmOn(p.on).url, {
          userId: CONFIRMER,
          channelId: CHANNEL,
          messageTs: p.message.ts,
          actionId: 'campaign_confirm',
          value: buttonValue(p.message, 'campaign_confirm'),
        }),
      ),
    );
    const state = (p: (typeof proposed)[number]) => {
      const blocks = JSON.stringify(slack.message(CHANNEL, p.message.ts)?.blocks ?? []);
      return blocks.includes(DONE) ? 'done' : blocks.includes(CRASHED) ? 'crashed' : 'running';
    };
    const completed = await slack
      .waitFor(() => proposed.every((p) => state(p) !== 'running'), 120_000)
      .then(
        () => true,
        () => false,
      );

    // The moment each summary was stored: the first version of the parent that carries it.
    const doneAt = proposed.map((p) => {
      const versions = slack.message(CHANNEL, p.message.ts)?.versions ?? [];
      const v = versions.find((x) => {
        const blocks = JSON.stringify(x.blocks ?? []);
        return blocks.includes(DONE) || blocks.includes(CRASHED);
      });
      return v?.at ?? Number.NaN;
    });
    const endAt = Math.max(...doneAt);
    const wallMs = endAt - clickedAt;

    const recorded = moengage.statusRequests();
    const arrivals = recorded.map((r) => r.at).sort((x, y) => x - y);
    const accepted = recorded
      .filter((r) => r.status !== 429)
      .map((r) => r.at)
      .sort((x, y) => x - y);
    const firstArrival = arrivals[0] ?? Number.NaN;
    const lastArrival = arrivals.at(-1) ?? Number.NaN;
    let applied = 0;
    let failed = 0;
    for (const p of proposed) {
      const m = /: (\d+) paused(?:, (\d+) failed)?/.exec(slack.message(CHANNEL, p.message.ts)?.text ?? '');
      applied += Number(m?.[1] ?? 0);
      failed += Number(m?.[2] ?? 0);
    }
    const audit = bots.flatMap((bot) =>
      bot
        .lines()
        .filter((l) => l.module === 'audit' && l.event === 'completed')
        .map((l) => ({
          replica: name(bot),
          applied: l.applied,
          failed: l.failed,
          moengageRequests: l.moengageRequests,
          elapsedMs: l.elapsedMs,
        })),
    );
    const replicaProblems = bots.flatMap((bot) => [
      ...bot
        .lines()
        .filter((l) => l.level === 'warn' || l.level === 'error' || l.level === 'fatal')
        .map(
          (l) =>
            `${name(bot)} ${String(l.level)}: ${String(l.msg)} ${l.err === undefined ? '' : String(l.err)}`,
        ),
      ...(bot.stderr().trim() ? [`${name(bot)} stderr: ${bot.stderr().trim().slice(0, 500)}`] : []),
    ]);

    const base = {
      plan: { ...plan, ...fallback },
      requests,
      wallS: wallMs / 1000,
      minS: minMs / 1000,
      ratio: wallMs / minMs,
      arrivals: arrivals.length,
      rateLimited: recorded.filter((r) => r.status === 429).length,
      maxPer1s: maxInWindow(arrivals, 1_000),
      maxPer60s: maxInWindow(arrivals, 60_000),
      pausedAtSim: ids.filter((id) => moengage.campaign(id)?.status === 'PAUSED').length,
      applied,
      failed,
      completed,
      clicks: clicks.map((c) => ({ status: c.status, ms: round2(c.ms) })),
      clickToFirstRequestMs: round2(firstArrival - clickedAt),
      lastRequestToDoneMs: round2(endAt - lastArrival),
      acceptedSpanS: accepted.length > 1 ? ((accepted.at(-1) as number) - (accepted[0] as number)) / 1000 : 0,
      executions: proposed.map((p, i) => ({
        request: p.label,
        postedOn: name(p.on),
        executedOn: name(confirmOn(p.on)),
        ids: p.ids.length,
        idsShownInConfirmation: p.idsShown,
        doneAfterS: round2(((doneAt[i] ?? Number.NaN) - clickedAt) / 1000),
      })),
      audit,
      replicaProblems,
      refusals: slack.responses.length + slack.ephemerals().length,
      unexpectedSlackCalls: slack.unexpected.length,
    };

    // Stop the replicas before counting what is left in Redis: they drain and leave the shared limiter.
    const exits = await Promise.all(bots.map((bot) => bot.stop()));
    for (const [i, exit] of exits.entries()) {
      if (exit.code !== 0) replicaProblems.push(`${i === 0 ? 'A' : 'B'} exited ${exit.code ?? exit.signal}`);
    }
    redisKeysDeleted = await deletePrefix(url, prefix);
    const result: ReplicasResult = { ...base, redisKeysDeleted, verdict: replicasVerdict(base) };
    printReplicas(result, prefix);
    return { ok: true, result };
  } finally {
    await Promise.all(bots.map((bot) => bot.stop()));
    await slack.close();
    await moengage.close();
    // Idempotent: after a failed attempt (or a throw) nothing of this prefix stays behind.
    await deletePrefix(url, prefix);
  }
}

/** Sends one `/campaign pause …` to `bot` and waits for its confirmation (or the reason there is none). */
export async function propose(
  slack: SlackSim,
  bot: ChildBot,
  ids: readonly string[],
): Promise<{ ok: true; message: SimMessage; idsShown: number } | { ok: false; reason: string }> {
  const before = slack.messages(CHANNEL).length;
  const responsesBefore = slack.responses.length;
  const failedPosts = () => slack.callsTo('chat.postMessage').filter((c) => !c.ok);
  const failedBefore = failedPosts().length;
  const res = await slack.slashCommand(bot.url, {
    userId: REQUESTER,
    channelId: CHANNEL,
    text: `pause ${ids.join(' ')}`,
  });
  if (res.status !== 200) return { ok: false, reason: `the command answered HTTP ${res.status}` };
  const ackText = (res.json as { text?: string } | undefined)?.text;
  if (ackText) return { ok: false, reason: `refused in the ack: ${firstLine(ackText)}` };
  type Seen = { message: SimMessage } | { reason: string };
  const outcome: Seen = await slack
    .waitFor((): Seen | undefined => {
      if (slack.messages(CHANNEL).length > before)
        return { message: slack.messages(CHANNEL).at(-1) as SimMessage };
      const refusal = slack.responses[responsesBefore];
      if (refusal) return { reason: `refused: ${firstLine(JSON.stringify(refusal.body))}` };
      const failed = failedPosts()[failedBefore];
      if (failed) return { reason: `chat.postMessage failed: ${failed.error}` };
      return undefined;
    }, 10_000)
    .catch((): Seen => ({ reason: 'no confirmation within 10 s' }));
  if ('reason' in outcome) return { ok: false, reason: outcome.reason };
  const blocks = outcome.message.blocks ?? [];
  // The simulator does not enforce Block Kit's size limits; real Slack answers invalid_blocks past them.
  const tooLong = blocks.filter(
    (b) => b.type === 'section' && ((b.text as { text?: string } | undefined)?.text ?? '').length > 3_000,
  ).length;
  if (blocks.length > 50)
    return { ok: false, reason: `the confirmation has ${blocks.length} blocks (Slack: <= 50)` };
  if (tooLong > 0) return { ok: false, reason: `${tooLong} sections over Slack's 3,000 characters` };
  // Not a refusal, but worth saying: the person confirming should see every id.
  const shown = JSON.stringify(blocks);
  const idsShown = ids.filter((id) => shown.includes(id)).length;
  return { ok: true, message: outcome.message, idsShown };
}

function replicasVerdict(r: Omit<ReplicasResult, 'verdict' | 'redisKeysDeleted'>): {
  pass: boolean;
  misses: string[];
} {
  const misses: string[] = [];
  if (!r.completed) misses.push('not every request completed within 120 s');
  if (!(r.ratio <= TARGETS.ratio)) misses.push(`ratio ${r.ratio.toFixed(3)} > ${TARGETS.ratio}`);
  if (r.rateLimited > TARGETS.rateLimited) misses.push(`${r.rateLimited} x 429`);
  if (r.maxPer1s > TARGETS.maxPerSecond) misses.push(`max/1s ${r.maxPer1s} > ${TARGETS.maxPerSecond}`);
  if (r.maxPer60s > TARGETS.maxPerMinute) misses.push(`max/60s ${r.maxPer60s} > ${TARGETS.maxPerMinute}`);
  if (r.pausedAtSim !== TOTAL_IDS) misses.push(`${r.pausedAtSim}/${TOTAL_IDS} PAUSED at the simulator`);
  if (r.failed > 0) misses.push(`${r.failed} ids failed`);
  return { pass: misses.length === 0, misses };
}

function printReplicas(r: ReplicasResult, prefix: string): void {
  const p = r.plan;
  console.log('');
  console.log('Two replicas sharing the MoEngage limiter through Redis (simulator at 10/s, 100/min, 6000/h)');
  if (p.fallbackFrom) {
    console.log(
      `FALLBACK: ${p.fallbackFrom.maxCampaignsPerCommand} ids per command was refused (${p.fallbackReason}); ` +
        `ran MAX_CAMPAIGNS_PER_COMMAND=${p.maxCampaignsPerCommand}, ${p.commandsPerReplica} commands per replica`,
    );
  }
  const per = TOTAL_IDS / (2 * p.commandsPerReplica);
  console.log(
    `A: ${p.commandsPerReplica} x /campaign pause (${per} ids each) for ids 1-${TOTAL_IDS / 2}, B: the same for ` +
      `${TOTAL_IDS / 2 + 1}-${TOTAL_IDS} (MAX_CAMPAIGNS_PER_COMMAND=${p.maxCampaignsPerCommand}, prefix ${prefix});`,
  );
  console.log(
    `A's requests confirmed by clicks sent to B and B's by clicks sent to A, all ${r.clicks.length} at once ` +
      `(click HTTP ${[...new Set(r.clicks.map((c) => c.status))].join('/')}).`,
  );
  console.log(
    'wall = from sending the clicks to the later summary (the parent message updated to "details in the thread"),',
  );
  console.log(
    '       as the Slack simulator stored it; min = earliestStarts(100).at(-1); ratio = wall / min.',
  );
  console.log('');
  console.log(
    `wall ${r.wallS.toFixed(3)} s, min ${r.minS.toFixed(3)} s, ratio ${r.ratio.toFixed(3)}; ` +
      `arrivals ${r.arrivals} (429: ${r.rateLimited}), max/1s ${r.maxPer1s}, max/60s ${r.maxPer60s}`,
  );
  console.log(
    `clicks -> first MoEngage request ${r.clickToFirstRequestMs.toFixed(1)} ms; accepted first -> last ` +
      `${r.acceptedSpanS.toFixed(3)} s; last request -> last summary ${r.lastRequestToDoneMs.toFixed(1)} ms`,
  );
  console.log(
    `per request: ${r.executions
      .map(
        (e) =>
          `${e.request} (${e.ids} ids, posted on ${e.postedOn}, ran on ${e.executedOn}) done ${e.doneAfterS} s`,
      )
      .join('; ')}`,
  );
  console.log(
    `PAUSED at sim ${r.pausedAtSim}/${TOTAL_IDS}; summaries: ${r.applied} paused, ${r.failed} failed; ` +
      `refusals ${r.refusals}, unexpected Slack calls ${r.unexpectedSlackCalls}; ` +
      `replica warnings/errors ${r.replicaProblems.length}; Redis keys deleted ${r.redisKeysDeleted}`,
  );
  for (const line of r.replicaProblems.slice(0, 5)) console.log(`  ${line}`);
  const hidden = r.executions.filter((e) => e.idsShownInConfirmation < e.ids);
  if (hidden.length > 0) {
    console.log(
      `WARNING: confirmations do not show every id (${hidden
        .map((e) => `${e.request} shows ${e.idsShownInConfirmation}/${e.ids}`)
        .join(', ')}); all ids were still requested and executed`,
    );
  }
  const v = r.verdict;
  console.log(
    `target: ratio <= ${TARGETS.ratio}, 0 x 429, max/1s <= ${TARGETS.maxPerSecond}, max/60s <= ${TARGETS.maxPerMinute}, ` +
      `${TOTAL_IDS} PAUSED: ${v.pass ? 'PASS' : `FAIL (${v.misses.join('; ')})`}`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Ack latency, Redis store vs in-memory store
// ---------------------------------------------------------------------------------------------------------------

/** The bots' per-channel pacer opened as wide as the simulator here (its Slack limits are off). */
const WIDE_OPEN = { postsPerSecond: 10_000, burst: 10_000 };

async function runAckStoreBench(
  url: string,
  options: { warmup?: number; perStore?: number; rounds?: number; concurrency?: number } = {},
): Promise<AckStoreResult> {
  const warmup = options.warmup ?? 20;
  const perStore = options.perStore ?? 200;
  const rounds = options.rounds ?? 2;
  const concurrency = options.concurrency ?? 20;
  if (perStore % rounds !== 0)
    throw new Error(`perStore (${perStore}) must be a multiple of rounds (${rounds})`);
  const perRound = perStore / rounds;
  const prefix = uniquePrefix();
  console.log(`[2/2] ack latency, our bot with the Redis store vs the in-memory store (prefix ${prefix})...`);

  const { moengage, slack } = await startSimulators({ campaigns: seedCampaigns({ count: 30 }) });
  const stops: (() => Promise<unknown>)[] = [() => moengage.close(), () => slack.close()];
  let redisKeysDeleted = 0;
  try {
    const env = {
      ...benchBotEnv({ moengage, slack }, [USER]),
      LOG_LEVEL: 'silent',
    };
    const logger = createLogger('silent');
    // The simulator's Slack limits are off here (see startSimulators), and the bots' pacers as wide.
    const memoryBot = await startBot(loadConfig(env), logger, {
      host: '127.0.0.1',
      timings: { slackRetries: 0, slackPace: WIDE_OPEN },
    });
    stops.unshift(() => memoryBot.stop());

    const redisConfig = loadConfig({ ...env, REDIS_URL: url, REDIS_KEY_PREFIX: prefix });
    // As index.ts composes it: connectSharedState's store, limiter, dedupe and readiness check.
    const shared = await connectSharedState(redisConfig, logger);
    stops.unshift(() => shared.close());
    const redisBot = await startBot(redisConfig, logger, {
      host: '127.0.0.1',
      timings: { slackRetries: 0, slackPace: WIDE_OPEN },
      store: shared.store,
      limiter: shared.limiter,
      dedupe: shared.dedupe,
      readinessChecks: shared.readinessChecks,
    });
    stops.unshift(() => redisBot.stop());
    const urls = {
      memory: `http://127.0.0.1:${memoryBot.port}/slack/events`,
      redis: `http://127.0.0.1:${redisBot.port}/slack/events`,
    };

    let sent = 0;
    const posts = () => slack.callsTo('chat.postMessage').length;
    const run = async (store: 'memory' | 'redis', count: number) => {
      const samples = await pool(slack, urls[store], count, concurrency);
      sent += count;
      // Let the post-ack work (authorize, store, chat.postMessage) finish so it never overlaps the other batch.
      await slack.waitFor(() => posts() >= sent, 10_000);
      return samples;
    };

    await run('memory', warmup);
    await run('redis', warmup);
    const samples: { memory: Sample[]; redis: Sample[] } = { memory: [], redis: [] };
    const batches: AckStoreResult['batches'] = [];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['memory', 'redis'] as const) : (['redis', 'memory'] as const);
      for (const store of order) {
        let opened = 0;
        const onConnected = () => {
          opened += 1;
        };
        diagnostics.subscribe('undici:client:connected', onConnected);
        try {
          const batch = await run(store, perRound);
          samples[store].push(...batch);
          const s = stats(batch);
          batches.push({ store, round: round + 1, p50: s.p50, p99: s.p99, newConnections: opened });
        } finally {
          diagnostics.unsubscribe('undici:client:connected', onConnected);
        }
      }
    }

    const redisKeys = await countPrefix(url, prefix);
    const memory = stats(samples.memory);
    const redis = stats(samples.redis);
    const result: AckStoreResult = {
      memory,
      redis,
      ratio: {
        p50: redis.p50 / memory.p50,
        p90: redis.p90 / memory.p90,
        p99: redis.p99 / memory.p99,
        max: redis.max / memory.max,
      },
      confirmationsPosted: posts(),
      expectedPosts: sent,
      refusals: slack.responses.length,
      unexpectedSlackCalls: slack.unexpected.length,
      redisKeys,
      batches,
      redisKeysDeleted: 0,
      samplesMs: {
        memory: samples.memory.map((s) => round2(s.ms)),
        redis: samples.redis.map((s) => round2(s.ms)),
      },
    };
    for (const stop of stops.splice(0)) await stop();
    redisKeysDeleted = await deletePrefix(url, prefix);
    result.redisKeysDeleted = redisKeysDeleted;
    printAckStores(result, { warmup, perStore, rounds, perRound, concurrency });
    return result;
  } finally {
    for (const stop of stops) await stop();
    await deletePrefix(url, prefix);
  }
}

function printAckStores(
  r: AckStoreResult,
  s: { warmup: number; perStore: number; rounds: number; perRound: number; concurrency: number },
): void {
  const f = (n: number) => n.toFixed(2).padStart(8);
  const row = (name: string, x: LatencyStats) =>
    `${name.padEnd(6)} ${String(x.n).padStart(4)} ${String(x.non200).padStart(7)}` +
    `${f(x.p50)}${f(x.p90)}${f(x.p99)}${f(x.max)}`;
  console.log('');
  console.log(
    `Slash command ack latency, Redis store vs in-memory store: /campaign ${TEXT} (startBot, 127.0.0.1)`,
  );
  console.log(
    `warm-up ${s.warmup} each; ${s.perStore} measured each in ${s.rounds} interleaved rounds of ${s.perRound} ` +
      `(memory, redis / redis, memory / ...); ${s.concurrency} in flight; ms, nearest-rank percentiles`,
  );
  console.log(
    'redis = the store, dedupe and limiter of connectSharedState (as index.ts composes them with REDIS_URL)',
  );
  console.log('');
  console.log(`store     n  non-200     p50     p90     p99     max`);
  console.log(row('memory', r.memory));
  console.log(row('redis', r.redis));
  console.log(
    `per batch (p50/p99 ms, new connections): ${r.batches
      .map((b) => `${b.store} r${b.round} ${b.p50.toFixed(1)}/${b.p99.toFixed(1)} (${b.newConnections})`)
      .join(', ')}`,
  );
  console.log('');
  console.log(
    `ratio redis/memory: p50 ${r.ratio.p50.toFixed(2)}, p90 ${r.ratio.p90.toFixed(2)}, ` +
      `p99 ${r.ratio.p99.toFixed(2)}, max ${r.ratio.max.toFixed(2)}`,
  );
  console.log(
    `full path: ${r.confirmationsPosted}/${r.expectedPosts} confirmations posted, ${r.refusals} refusals, ` +
      `${r.unexpectedSlackCalls} unexpected Slack calls; ${r.redisKeys} keys under the Redis prefix before ` +
      `cleanup, ${r.redisKeysDeleted} deleted`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

/** The button's value as first posted (the live message loses its buttons once decided). */
export function buttonValue(message: SimMessage, actionId: string): string {
  for (const block of message.versions[0]?.blocks ?? message.blocks ?? []) {
    for (const el of (block.elements as { action_id?: string; value?: string }[] | undefined) ?? []) {
      if (el.action_id === actionId && el.value) return el.value;
    }
  }
  throw new Error(`message ${message.ts} has no ${actionId} button`);
}

export function epochNow(): number {
  // The simulators' clock: their `at` fields are performance.timeOrigin + performance.now().
  return performance.timeOrigin + performance.now();
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 200);
}
