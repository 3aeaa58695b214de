import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MOENGAGE_LIMITS } from '../src/moengage/limiter.ts';
import { seedCampaigns } from '../src/sandbox/campaigns.ts';
import { type ChildBot, startChildBot } from '../src/sandbox/child-bot.ts';
import { benchBotEnv, CHANNEL, startSimulators, USER } from './ack-latency.ts';
import { FAULTS, type FaultName, type FaultScenario, type PreparedFault } from './fault-scenarios.ts';
import { DONE, type FaultTally, tallyFaultRun } from './fault-tally.ts';
import { checkRedis, redisHost, uniquePrefix } from './redis-keys.ts';
import { buttonValue, epochNow, propose } from './replicas.ts';

/**
 * Faults (`npm run bench -- --only faults`): for each fault, two real bot replicas (`node src/main.ts`) on Redis,
 * the MoEngage simulator at its real limits answering every request in LATENCY_MS, IDS ids in one `/campaign
 * pause` confirmed on replica A, and the fault injected once FAULT_AFTER_APPLIED ids have been applied. One row
 * per fault: ids lost, ids sent twice, ids reported wrongly, time to recover, total time, reported once.
 * Every wait is bounded: a fault's run ends within `budgetMs` (three minutes) and its cleanup, whatever the bot does.
 */

export interface FaultRunSettings {
  ids: number;
  latencyMs: number;
  faultAfterApplied: number;
  leaseSeconds: number;
  /** The whole run, from starting the replicas to the report: past it, the row says what was not done. */
  budgetMs: number;
}

const SETTINGS: FaultRunSettings = {
  ids: 800,
  latencyMs: 200,
  faultAfterApplied: 200,
  leaseSeconds: 2,
  budgetMs: 180_000,
};
const CONFIRMER = 'UBOB';
/** After the summary, watched this long more for a second report (two leases and a sweep: any takeover). */
const SETTLE_MS = 6_000;

export interface FaultRun extends Partial<FaultTally> {
  fault: FaultName;
  what: string;
  /** The replicas' REDIS_KEY_PREFIX (deleted afterwards on the shared Redis). */
  prefix?: string;
  skipped?: string;
  error?: string;
  /** Ids applied at the simulator when the fault was injected, and how long the fault lasted. */
  appliedAtFault?: number;
  clickToFaultMs?: number;
  faultMs?: number;
  clickToFirstRequestMs?: number;
  /** warn/error/fatal log lines of each replica, by message, and what they wrote to stderr. */
  problems?: Record<string, Record<string, number>>;
}

export async function runFaultsBench(
  options: { file?: string; redisUrl?: string; only?: readonly FaultName[] } = {},
): Promise<FaultRun[]> {
  const file = options.file ?? join(import.meta.dirname, '..', 'bench-results', 'faults.json');
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  await checkRedis(redisUrl);
  const s = SETTINGS;
  console.log(
    `Faults (${redisHost(redisUrl)}): ${s.ids} ids in one /campaign pause, two replicas, confirmed on A; ` +
      `MoEngage simulator at its real limits answering in ${s.latencyMs} ms; RUN_LEASE_SECONDS=${s.leaseSeconds}; ` +
      `the fault injected after ${s.faultAfterApplied} ids applied`,
  );
  const runs: FaultRun[] = [];
  for (const scenario of FAULTS.filter((f) => options.only?.includes(f.name) ?? true)) {
    const skipped = scenario.skipped?.();
    if (skipped !== undefined) {
      console.log(`  ${scenario.name}: skipped: ${skipped}`);
      runs.push({ fault: scenario.name, what: scenario.what, skipped });
      continue;
    }
    console.log(`  ${scenario.name}: ${scenario.what}...`);
    const run = await runFaulted(scenario, redisUrl, s, join(file, '..', 'faults')).catch(
      (error: unknown): FaultRun => ({
        fault: scenario.name,
        what: scenario.what,
        error: String((error as Error)?.message ?? error).slice(0, 500),
      }),
    );
    console.log(`    ${describeRun(run)}`);
    runs.push(run);
  }
  printFaults(runs, s);
  await mkdir(join(file, '..'), { recursive: true });
  const json = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    redis: redisHost(redisUrl),
    settings: s,
    definitions: DEFINITIONS,
    runs,
  };
  await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
  return runs;
}

/** One faulted run, from fresh simulators and replicas to their cleanup (in `finally`, whatever happened). */
export async function runFaulted(
  scenario: FaultScenario,
  redisUrl: string,
  s: FaultRunSettings,
  logDir?: string,
): Promise<FaultRun> {
  const deadline = Date.now() + s.budgetMs;
  const left = (atMost: number) => Math.max(1_000, Math.min(atMost, deadline - Date.now()));
  const campaigns = seedCampaigns({ count: s.ids });
  const ids = campaigns.map((c) => c.id);
  const { moengage, slack } = await startSimulators({ campaigns, limits: MOENGAGE_LIMITS });
  if (s.latencyMs > 0) {
    // Every answer, status and search alike, takes the latency (more than any run will ask for).
    moengage.inject({ kind: 'latency', ms: s.latencyMs }, 100 * s.ids);
    moengage.inject({ kind: 'latency', ms: s.latencyMs, api: 'search' }, 100 * s.ids);
  }
  const bots: ChildBot[] = [];
  const prefix = uniquePrefix();
  let prepared: PreparedFault | undefined;
  try {
    prepared = await scenario.prepare({ redisUrl, prefix, leaseSeconds: s.leaseSeconds });
    const env = {
      ...benchBotEnv({ moengage, slack }, [USER, CONFIRMER]),
      MAX_CAMPAIGNS_PER_COMMAND: String(s.ids),
      RUN_LEASE_SECONDS: String(s.leaseSeconds),
      LOG_LEVEL: 'info',
      ...prepared.env,
    };
    const child = { path: process.env.PATH, readyTimeoutMs: 30_000 };
    for (let i = 0; i < 2; i++) bots.push(await startChildBot(env, child));
    const [a, b] = bots as [ChildBot, ChildBot];

    const proposed = await propose(slack, a, ids);
    if (!proposed.ok) throw new Error(`the ${s.ids}-id command was refused (${proposed.reason})`);
    const message = proposed.message;
    const applied = () =>
      moengage
        .statusRequests()
        .filter((r) => r.outcome === 'applied')
        .reduce((n, r) => n + (r.campaignIds?.length ?? 0), 0);
    const clickedAt = epochNow();
    const click = await slack.clickButton(a.url, {
      userId: CONFIRMER,
      channelId: CHANNEL,
      messageTs: message.ts,
      actionId: 'campaign_confirm',
      value: buttonValue(message, 'campaign_confirm'),
    });
    if (click.status !== 200) throw new Error(`the click answered HTTP ${click.status}`);
    await slack.waitFor(() => applied() >= s.faultAfterApplied, left(60_000));

    const appliedAtFault = applied();
    const faultAt = epochNow();
    await bounded(prepared.inject({ a, b }), 60_000, 'the fault');
    const faultEndAt = epochNow();

    const carriesSummary = () =>
      JSON.stringify(slack.message(CHANNEL, message.ts)?.blocks ?? []).includes(DONE);
    const reported = await slack.waitFor(carriesSummary, left(Number.POSITIVE_INFINITY)).then(
      () => true,
      () => false,
    );
    // A second report (a takeover that did not know the run was reported) would come within a lease or two.
    if (reported) await sleep(SETTLE_MS);

    const parent = slack.message(CHANNEL, message.ts);
    const arrivals = moengage.statusRequests();
    const tally = tallyFaultRun({
      ids,
      arrivals,
      paused: new Set(ids.filter((id) => moengage.campaign(id)?.status === 'PAUSED')),
      parentVersions: parent?.versions ?? [],
      thread: slack.thread(CHANNEL, message.ts),
      clickedAt,
      faultAt,
      faultEndAt,
    });
    const first = Math.min(...arrivals.map((r) => r.at));
    return {
      fault: scenario.name,
      what: scenario.what,
      prefix,
      ...tally,
      recoverMs: tally.recoverMs === undefined ? undefined : round(tally.recoverMs),
      longestSilenceMs: round(tally.longestSilenceMs),
      totalMs: tally.totalMs === undefined ? undefined : round(tally.totalMs),
      appliedAtFault,
      clickToFaultMs: round(faultAt - clickedAt),
      faultMs: round(faultEndAt - faultAt),
      clickToFirstRequestMs: round(first - clickedAt),
      problems: { A: problemsOf(a), B: problemsOf(b) },
    };
  } finally {
    // A stopped process cannot act on SIGTERM; SIGKILL needs no cooperation.
    for (const bot of bots) {
      bot.kill('SIGCONT');
      bot.kill('SIGKILL');
    }
    await Promise.all(bots.map((bot) => bounded(bot.exited, 10_000, 'a replica to exit').catch(() => {})));
    await saveLogs(scenario.name, bots, logDir).catch(() => {});
    await prepared?.close().catch((error: unknown) => console.log(`    cleanup: ${String(error)}`));
    await slack.close();
    await moengage.close();
  }
}

/** Each replica's log lines (JSON, one a line) as `<dir>/<fault>-A.ndjson`: where a finding is read in full. */
async function saveLogs(fault: string, bots: readonly ChildBot[], dir: string | undefined): Promise<void> {
  if (dir === undefined) return;
  await mkdir(dir, { recursive: true });
  for (const [i, bot] of bots.entries()) {
    const text = bot
      .lines()
      .map((l) => JSON.stringify(l))
      .join('\n');
    await writeFile(join(dir, `${fault}-${i === 0 ? 'A' : 'B'}.ndjson`), `${text}\n${bot.stderr()}`);
  }
}

function problemsOf(bot: ChildBot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of bot.lines()) {
    if (l.level !== 'warn' && l.level !== 'error' && l.level !== 'fatal') continue;
    const key = `${String(l.level)}: ${String(l.msg)}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  const stderr = bot.stderr().trim();
  if (stderr) out[`stderr: ${stderr.slice(0, 300)}`] = 1;
  return out;
}

async function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const DEFINITIONS = {
  idsLost: 'ids not PAUSED at the simulator at the end, plus ids with no line in the thread results (union)',
  idsSentTwice:
    'ids carried by a request_id that got past the gateway (not 429) more than once; idsAppliedTwice: ids in two applied requests',
  idsReportedWrongly:
    'the thread says failed / not sent of an id PAUSED at the simulator, or paused of one that is not',
  recoverMs:
    "from the fault's end (kill, SIGCONT, restore, restart, failover) to the next status request arriving",
  longestSilenceMs: 'the longest gap between status requests arriving, from the last one before the fault on',
  totalMs: 'from the Confirm click to the first version of the confirmation carrying the summary',
  summaryTrue:
    'the summary\'s "N paused" is the number PAUSED at the simulator, and its "Retry failed (N)" offers exactly the ids that are not',
  reportedOnce: `exactly one edit into the summary ("${DONE}") and one "Results:" report in the thread`,
};

function describeRun(r: FaultRun): string {
  if (r.skipped) return `skipped: ${r.skipped}`;
  if (r.error) return `ERROR: ${r.error}`;
  const lines = [
    `fault at ${r.appliedAtFault} ids applied, lasted ${sec(r.faultMs)}; summary: ${r.summaryText}`,
    `arrivals ${r.arrivals} (429: ${r.rateLimited}), max/1s ${r.maxPer1s}, max/60s ${r.maxPer60s}; ` +
      `not PAUSED ${r.notPaused}, missing from the results ${r.missingFromResults}; ` +
      `said already ${r.saidAlready}, said may have been applied ${r.saidUncertain}; ` +
      `summaries ${r.summaries}, result reports ${r.resultReports}`,
  ];
  const w = r.wrongly;
  if (w && r.idsReportedWrongly) {
    lines.push(
      `reported wrongly: failed but applied ${w.failedButApplied.length} (${sample(w.failedButApplied)}), ` +
        `not sent but applied ${w.notSentButApplied.length} (${sample(w.notSentButApplied)}), ` +
        `applied but not ${w.appliedButNot.length} (${sample(w.appliedButNot)})`,
    );
  }
  for (const [replica, counts] of Object.entries(r.problems ?? {})) {
    const top = Object.entries(counts).slice(0, 4);
    if (top.length > 0) lines.push(`${replica} logged ${top.map(([k, n]) => `${n} x ${k}`).join('; ')}`);
  }
  return lines.join('\n    ');
}

function printFaults(runs: readonly FaultRun[], s: FaultRunSettings): void {
  const head = [
    'fault',
    'ids lost',
    'sent twice (applied twice)',
    'reported wrongly',
    'summary = MoEngage',
    'recover s',
    'longest gap s',
    'total s',
    'reported once',
  ];
  const rows = runs.map((r) => {
    if (r.skipped) return [r.fault, `skipped: ${r.skipped}`];
    if (r.error) return [r.fault, `error: ${r.error.split('\n')[0]?.slice(0, 100)}`];
    return [
      r.fault,
      String(r.idsLost),
      `${r.idsSentTwice} (${r.idsAppliedTwice})`,
      String(r.idsReportedWrongly),
      r.summaryTrue ? 'yes' : `no (says ${r.summaryApplied ?? '-'}, retry ${r.retryOffered})`,
      sec(r.recoverMs),
      sec(r.longestSilenceMs),
      sec(r.totalMs),
      r.reportedOnce ? 'yes' : `no (${r.summaries} summaries, ${r.resultReports} reports)`,
    ];
  });
  // A skipped or failed row is two cells: its text runs on past the columns.
  const full = rows.filter((r) => r.length === head.length);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...(i === 0 ? rows : full).map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  console.log('');
  console.log(
    `Faults mid-run: ${s.ids} ids, two replicas, MoEngage answering in ${s.latencyMs} ms at its real limits, ` +
      `RUN_LEASE_SECONDS=${s.leaseSeconds}, fault after ${s.faultAfterApplied} ids applied`,
  );
  console.log(
    'ids lost: not PAUSED at MoEngage or missing from the thread; sent twice: ids whose request_id got past ' +
      "MoEngage's gateway twice;",
  );
  console.log(
    'reported wrongly: the thread says failed/not sent of an applied id or the reverse; summary = MoEngage: its ' +
      'count is what MoEngage applied and Retry offers only the rest;',
  );
  console.log(
    'recover s: end of the fault -> next status request at MoEngage; longest gap s: between status requests ' +
      'from the fault on; total s: click -> summary',
  );
  console.log('');
  console.log(line(head));
  for (const row of rows) console.log(line(row));
}

const sec = (ms: number | undefined) => (ms === undefined ? '-' : (ms / 1000).toFixed(2));
const round = (n: number) => Math.round(n * 10) / 10;
const sample = (ids: readonly string[]) => `${ids.slice(0, 5).join(' ')}${ids.length > 5 ? ' …' : ''}`;
