import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MOENGAGE_LIMITS } from '../src/moengage/limiter.ts';
import { seedCampaigns } from '../src/sandbox/campaigns.ts';
import { type ChildBot, startChildBot } from '../src/sandbox/child-bot.ts';
import { maxInWindow } from '../src/sandbox/windows.ts';
import { benchBotEnv, CHANNEL, startSimulators, USER } from './ack-latency.ts';
import { minimumMs } from './measure.ts';
import { checkRedis, deletePrefix, redisHost, uniquePrefix } from './redis-keys.ts';
import { buttonValue, epochNow, propose } from './replicas.ts';

/**
 * Failover (`npm run bench -- --only failover`): 1,000 ids in one command on two real bot replicas sharing
 * Redis (RUN_LEASE_SECONDS=2), confirmed on A; A is SIGKILLed once 300 ids have been applied at the simulator,
 * and B takes the run over (lease lapse + sweep). MoEngage simulator at its real limits, 0 ms latency.
 */

const TOTAL_IDS = 1_000;
const KILL_AFTER_APPLIED = 300;
const LEASE_SECONDS = 2;
const DONE = 'details in the thread';

export interface FailoverResult {
  ids: number;
  killAfterApplied: number;
  appliedAtKill: number;
  leaseSeconds: number;
  clickToFirstRequestMs: number;
  clickToKillMs: number;
  /** From the SIGKILL to the first status request that reached the simulator afterwards (B's). */
  killToSurvivorFirstRequestMs: number;
  /** From the click to the summary stored in Slack. */
  wallS: number;
  /** earliestStarts(100).at(-1): the windows' floor, with no failover. */
  minS: number;
  ratio: number;
  arrivals: number;
  rateLimited: number;
  maxPer1s: number;
  maxPer60s: number;
  /** request_ids that reached the simulator more than once, and the ids they carried. */
  requestIdsSentTwice: number;
  idsSentTwice: number;
  /** Of those, ids whose chunk was *applied* (200) more than once. */
  idsAppliedTwice: number;
  pausedAtSim: number;
  summary: string;
  completed: boolean;
  survivorProblems: string[];
  redisKeysDeleted: number;
  pass: boolean;
  misses: string[];
}

export async function runFailoverBench(
  options: { file?: string; redisUrl?: string } = {},
): Promise<FailoverResult> {
  const file = options.file ?? join(import.meta.dirname, '..', 'bench-results', 'failover.json');
  const url = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  await checkRedis(url);
  const prefix = uniquePrefix();
  const campaigns = seedCampaigns({ count: TOTAL_IDS });
  const ids = campaigns.map((c) => c.id);
  const minMs = minimumMs(TOTAL_IDS / 10);
  console.log(
    `Failover (${redisHost(url)}, prefix ${prefix}): ${TOTAL_IDS} ids in one command, two replicas, ` +
      `RUN_LEASE_SECONDS=${LEASE_SECONDS}; confirmed on A, A SIGKILLed after ${KILL_AFTER_APPLIED} ids applied...`,
  );
  const { moengage, slack } = await startSimulators({ campaigns, limits: MOENGAGE_LIMITS });
  const bots: ChildBot[] = [];
  try {
    const env = {
      ...benchBotEnv({ moengage, slack }, [USER, 'UBOB']),
      MAX_CAMPAIGNS_PER_COMMAND: String(TOTAL_IDS),
      RUN_LEASE_SECONDS: String(LEASE_SECONDS),
      REDIS_URL: url,
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'info',
    };
    const child = { path: process.env.PATH };
    bots.push(await startChildBot(env, child), await startChildBot(env, child));
    const [a, b] = bots as [ChildBot, ChildBot];
    const proposed = await propose(slack, a, ids);
    if (!proposed.ok)
      throw new Error(`failover bench: the 1,000-id command was refused (${proposed.reason})`);
    const message = proposed.message;

    const applied = () =>
      moengage
        .statusRequests()
        .filter((r) => r.outcome === 'applied')
        .reduce((n, r) => n + (r.campaignIds?.length ?? 0), 0);
    const clickedAt = epochNow();
    const click = await slack.clickButton(a.url, {
      userId: 'UBOB',
      channelId: CHANNEL,
      messageTs: message.ts,
      actionId: 'campaign_confirm',
      value: buttonValue(message, 'campaign_confirm'),
    });
    if (click.status !== 200) throw new Error(`failover bench: the click answered HTTP ${click.status}`);
    const deadline = Date.now() + 60_000;
    while (applied() < KILL_AFTER_APPLIED) {
      if (Date.now() > deadline) throw new Error(`failover bench: ${applied()} ids applied after 60 s`);
      await sleep(1);
    }
    const killedAt = epochNow();
    a.kill('SIGKILL');
    const appliedAtKill = applied();
    await a.exited;

    const doneText = () => JSON.stringify(slack.message(CHANNEL, message.ts)?.blocks ?? []);
    const completed = await slack
      .waitFor(() => doneText().includes(DONE), 180_000)
      .then(
        () => true,
        () => false,
      );
    const versions = slack.message(CHANNEL, message.ts)?.versions ?? [];
    const doneAt = versions.find((v) => JSON.stringify(v.blocks ?? []).includes(DONE))?.at ?? Number.NaN;
    const recorded = moengage.statusRequests();
    const arrivals = recorded.map((r) => r.at).sort((x, y) => x - y);
    const afterKill = recorded.filter((r) => r.at > killedAt).sort((x, y) => x.at - y.at);
    const byRequestId = new Map<string, typeof recorded>();
    for (const r of recorded) {
      const list = byRequestId.get(r.requestId ?? '') ?? [];
      list.push(r);
      byRequestId.set(r.requestId ?? '', list);
    }
    const twice = [...byRequestId.values()].filter((list) => list.length > 1);
    const appliedTwice = twice.filter((list) => list.filter((r) => r.outcome === 'applied').length > 1);
    const pausedAtSim = ids.filter((id) => moengage.campaign(id)?.status === 'PAUSED').length;
    const summary = /: (\d+) paused(?:, (\d+) failed)?/.exec(slack.message(CHANNEL, message.ts)?.text ?? '');
    const survivorProblems = [
      ...b
        .lines()
        .filter((l) => l.level === 'warn' || l.level === 'error' || l.level === 'fatal')
        .map((l) => `B ${String(l.level)}: ${String(l.msg)}`),
      ...(b.stderr().trim() ? [`B stderr: ${b.stderr().trim().slice(0, 300)}`] : []),
    ];
    const wallMs = doneAt - clickedAt;
    await b.stop();
    const redisKeysDeleted = await deletePrefix(url, prefix);
    const partial = {
      ids: TOTAL_IDS,
      killAfterApplied: KILL_AFTER_APPLIED,
      appliedAtKill,
      leaseSeconds: LEASE_SECONDS,
      clickToFirstRequestMs: round1((arrivals[0] ?? Number.NaN) - clickedAt),
      clickToKillMs: round1(killedAt - clickedAt),
      killToSurvivorFirstRequestMs: round1((afterKill[0]?.at ?? Number.NaN) - killedAt),
      wallS: wallMs / 1000,
      minS: minMs / 1000,
      ratio: wallMs / minMs,
      arrivals: arrivals.length,
      rateLimited: recorded.filter((r) => r.status === 429).length,
      maxPer1s: maxInWindow(arrivals, 1_000),
      maxPer60s: maxInWindow(arrivals, 60_000),
      requestIdsSentTwice: twice.length,
      idsSentTwice: twice.reduce((n, list) => n + (list[0]?.campaignIds?.length ?? 0), 0),
      idsAppliedTwice: appliedTwice.reduce((n, list) => n + (list[0]?.campaignIds?.length ?? 0), 0),
      pausedAtSim,
      summary: summary ? `${summary[1]} paused, ${summary[2] ?? 0} failed` : '(no summary)',
      completed,
      survivorProblems,
      redisKeysDeleted,
    };
    const misses: string[] = [];
    if (!completed) misses.push('no summary within 180 s');
    if (pausedAtSim !== TOTAL_IDS) misses.push(`${pausedAtSim}/${TOTAL_IDS} PAUSED`);
    if (partial.rateLimited > 0) misses.push(`${partial.rateLimited} x 429`);
    if (partial.maxPer1s > 10) misses.push(`max/1s ${partial.maxPer1s}`);
    if (partial.maxPer60s > 100) misses.push(`max/60s ${partial.maxPer60s}`);
    const result: FailoverResult = { ...partial, pass: misses.length === 0, misses };
    printFailover(result);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(
      file,
      `${JSON.stringify({ generatedAt: new Date().toISOString(), node: process.version, result }, null, 2)}\n`,
    );
    console.log(`\nwrote ${file}`);
    return result;
  } finally {
    for (const bot of bots) bot.kill('SIGKILL');
    await slack.close();
    await moengage.close();
    await deletePrefix(url, prefix);
  }
}

function printFailover(r: FailoverResult): void {
  const rows: [string, string][] = [
    [
      'applied at the kill',
      `${r.appliedAtKill} ids (killed ${(r.clickToKillMs / 1000).toFixed(3)} s after the click)`,
    ],
    [
      'kill -> survivor first request',
      `${(r.killToSurvivorFirstRequestMs / 1000).toFixed(3)} s (lease ${r.leaseSeconds} s, sweep <= 2 s)`,
    ],
    ['total (click -> summary)', `${r.wallS.toFixed(2)} s`],
    ['minimum (no failover)', `${r.minS.toFixed(3)} s`],
    ['ratio', r.ratio.toFixed(3)],
    ['arrivals / 429s', `${r.arrivals} / ${r.rateLimited}`],
    ['max/1s, max/60s', `${r.maxPer1s}, ${r.maxPer60s}`],
    [
      'sent twice',
      `${r.idsSentTwice} ids (${r.requestIdsSentTwice} request_ids); applied twice ${r.idsAppliedTwice} ids`,
    ],
    ['PAUSED at the simulator', `${r.pausedAtSim}/${r.ids}`],
    ['summary', r.summary],
    ['survivor warnings/errors', String(r.survivorProblems.length)],
    ['Redis keys deleted', String(r.redisKeysDeleted)],
  ];
  console.log('');
  console.log('Failover: 1,000 ids, two replicas on Redis, A SIGKILLed mid-run, B takes over');
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  for (const line of r.survivorProblems.slice(0, 5)) console.log(`  ${line}`);
  console.log(
    `target: every id PAUSED, 0 x 429, max/1s <= 10, max/60s <= 100: ${r.pass ? 'PASS' : `FAIL (${r.misses.join('; ')})`}`,
  );
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
