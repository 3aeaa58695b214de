import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FAULTS, type FaultScenario } from './fault-scenarios.ts';
import { runFaulted } from './faults.ts';
import { minimumMs } from './measure.ts';
import { checkRedis, redisHost } from './redis-keys.ts';

/**
 * Failover (`npm run bench -- --only failover`): 1,000 ids in one command on two real bot replicas sharing
 * Redis (RUN_LEASE_SECONDS=2), confirmed on A; A is SIGKILLed once 300 ids have been applied at the simulator,
 * and B takes the run over (lease lapse + sweep). MoEngage simulator at its real limits, 0 ms latency. The run
 * itself is the faults bench's `kill` (bench/faults.ts) at this size; this part keeps its own printout and verdict.
 */

const TOTAL_IDS = 1_000;
const KILL_AFTER_APPLIED = 300;
const LEASE_SECONDS = 2;
const KILL = FAULTS.find((f) => f.name === 'kill') as FaultScenario;

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
  /** request_ids that got past the gateway (not 429) more than once, and the ids they carried. */
  requestIdsSentTwice: number;
  idsSentTwice: number;
  /** Of those, ids whose chunk was *applied* (200) more than once. */
  idsAppliedTwice: number;
  pausedAtSim: number;
  summary: string;
  completed: boolean;
  survivorProblems: string[];
  pass: boolean;
  misses: string[];
}

export async function runFailoverBench(
  options: { file?: string; redisUrl?: string } = {},
): Promise<FailoverResult> {
  const file = options.file ?? join(import.meta.dirname, '..', 'bench-results', 'failover.json');
  const url = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  await checkRedis(url);
  const minMs = minimumMs(TOTAL_IDS / 10);
  console.log(
    `Failover (${redisHost(url)}): ${TOTAL_IDS} ids in one command, two replicas, ` +
      `RUN_LEASE_SECONDS=${LEASE_SECONDS}; confirmed on A, A SIGKILLed after ${KILL_AFTER_APPLIED} ids applied...`,
  );
  // The faults bench's kill, at this bench's size: 0 ms latency, and no fault's three-minute bound.
  const run = await runFaulted(KILL, url, {
    ids: TOTAL_IDS,
    latencyMs: 0,
    faultAfterApplied: KILL_AFTER_APPLIED,
    leaseSeconds: LEASE_SECONDS,
    budgetMs: 240_000,
  });
  const wallMs = run.totalMs ?? Number.NaN;
  const summary = /: (\d+) paused(?:, (\d+) failed)?/.exec(run.summaryText ?? '');
  const partial = {
    ids: TOTAL_IDS,
    killAfterApplied: KILL_AFTER_APPLIED,
    appliedAtKill: run.appliedAtFault ?? 0,
    leaseSeconds: LEASE_SECONDS,
    clickToFirstRequestMs: run.clickToFirstRequestMs ?? Number.NaN,
    clickToKillMs: run.clickToFaultMs ?? Number.NaN,
    killToSurvivorFirstRequestMs: run.recoverMs ?? Number.NaN,
    wallS: wallMs / 1000,
    minS: minMs / 1000,
    ratio: wallMs / minMs,
    arrivals: run.arrivals ?? 0,
    rateLimited: run.rateLimited ?? 0,
    maxPer1s: run.maxPer1s ?? 0,
    maxPer60s: run.maxPer60s ?? 0,
    requestIdsSentTwice: run.requestIdsSentTwice ?? 0,
    idsSentTwice: run.idsSentTwice ?? 0,
    idsAppliedTwice: run.idsAppliedTwice ?? 0,
    pausedAtSim: TOTAL_IDS - (run.notPaused ?? TOTAL_IDS),
    summary: summary ? `${summary[1]} paused, ${summary[2] ?? 0} failed` : '(no summary)',
    completed: run.totalMs !== undefined,
    survivorProblems: Object.entries(run.problems?.B ?? {}).map(([line, n]) => `B ${line} (x${n})`),
  };
  const misses: string[] = [];
  if (!partial.completed) misses.push('no summary within 180 s');
  if (partial.pausedAtSim !== TOTAL_IDS) misses.push(`${partial.pausedAtSim}/${TOTAL_IDS} PAUSED`);
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
