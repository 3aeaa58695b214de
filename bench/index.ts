import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/logger.ts';
import { MOENGAGE_LIMITS } from '../src/moengage/limiter.ts';
import { seedCampaigns } from '../src/sandbox/campaigns.ts';
import { startMoEngageSim } from '../src/sandbox/moengage-sim.ts';
import { ACK_MODES, type AckMode, runAckLatencyBench } from './ack-latency.ts';
import { runBacklogBench } from './backlog.ts';
import { runCatalogBench } from './catalog.ts';
import { runCatalogRefreshBench } from './catalog-refresh.ts';
import { runFailoverBench } from './failover.ts';
import { FAULT_NAMES, type FaultName } from './fault-scenarios.ts';
import { runFaultsBench } from './faults.ts';
import { MATRIX_TARGETS_LINE, matrixTable, runMatrix } from './matrix.ts';
import { measure, minimumMs, type RunResult, TARGETS, TARGETS_LINE, table, verdict } from './measure.ts';
import { runMoEngageFaultsBench } from './moengage-faults.ts';
import { runNaive } from './naive.ts';
import { runOurs } from './ours.ts';
import { runReplicasBench } from './replicas.ts';
import { runSlackOutageBench } from './slack-outage.ts';
import { runV5Bench } from './v5-lookup.ts';

/**
 * `npm run bench` runs every part: the slash-command ack latency (quick) first, then the replicas sharing Redis
 * (two bot processes, 1,000 ids; ack latency Redis vs in-memory store), then the MoEngage throughput benchmark.
 * then V5 and the look before confirming, then MoEngage faults (slow, dropped, 503 storms, no answer), then a Slack
 * outage, then faults of a replica or its store mid-run (kill, stall, Redis cut, Redis restarted empty, Sentinel
 * failover; about three minutes), then a backlog of 2,000 unclicked confirmations in one channel (six minutes: the
 * bot's memory and each one shown expired). `npm run bench -- --only
 * ack|replicas|failover|moengage|v5|moengage-faults|slack-outage|faults|backlog|catalog` runs one; `--fault kill,stall`
 * picks some of the faults part's faults. `--ack-mode isolated` (default: each app in its own child process) or
 * `--ack-mode shared` (everything in this process) picks how the ack part runs. The catalog part (options per
 * keystroke, memory, a scripted picker run over HTTP, and its refresh: about 2.5 min) lists at `--catalog-share N`
 * calls a minute (default 40).
 * Exits 0 (it is a report), 2 on a bad `--only`, `--ack-mode`, `--fault` or `--catalog-share`.
 */
const PARTS = [
  'ack',
  'replicas',
  'failover',
  'moengage',
  'v5',
  'moengage-faults',
  'slack-outage',
  'faults',
  'backlog',
  'catalog',
] as const;
type Part = (typeof PARTS)[number];
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    only: { type: 'string' },
    'ack-mode': { type: 'string' },
    fault: { type: 'string' },
    'catalog-share': { type: 'string' },
  },
});
const only = values.only;
if (only !== undefined && !PARTS.includes(only as Part)) {
  console.error(`--only must be one of ${PARTS.join(', ')} (got ${only})`);
  process.exit(2);
}
const ackMode = values['ack-mode'] ?? 'isolated';
if (!ACK_MODES.includes(ackMode as AckMode)) {
  console.error(`--ack-mode must be one of ${ACK_MODES.join(', ')} (got ${ackMode})`);
  process.exit(2);
}
// `--fault kill,stall`: some of the faults bench's faults only (all by default).
const faults = values.fault?.split(',') ?? [...FAULT_NAMES];
const badFault = faults.find((f) => !FAULT_NAMES.includes(f as FaultName));
if (badFault !== undefined) {
  console.error(`--fault takes a comma-separated list of ${FAULT_NAMES.join(', ')} (got ${badFault})`);
  process.exit(2);
}
// `--catalog-share 90`: the catalog's refresh at that many search calls a minute (default 40, as configured).
const catalogShare = values['catalog-share'] === undefined ? undefined : Number(values['catalog-share']);
if (
  catalogShare !== undefined &&
  !(Number.isInteger(catalogShare) && catalogShare >= 1 && catalogShare <= 90)
) {
  console.error(`--catalog-share must be a whole number from 1 to 90 (got ${values['catalog-share']})`);
  process.exit(2);
}
const parts: readonly Part[] = only === undefined ? PARTS : [only as Part];

let first = true;
const separate = () => {
  if (!first) console.log('');
  first = false;
};
if (parts.includes('catalog')) {
  separate();
  // Side by side in one run: options per keystroke and memory (quick), then the refresh (about 2.5 min at 40).
  const options = await runCatalogBench();
  console.log('');
  const refresh = await runCatalogRefreshBench(catalogShare === undefined ? {} : { share: catalogShare });
  const dir = join(import.meta.dirname, '..', 'bench-results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'catalog.json'), `${JSON.stringify({ ...options, refresh }, null, 2)}\n`);
}
if (parts.includes('ack')) {
  separate();
  await runAckLatencyBench({ mode: ackMode as AckMode });
}
if (parts.includes('replicas')) {
  separate();
  await runReplicasBench();
}
if (parts.includes('failover')) {
  separate();
  await runFailoverBench();
}
if (parts.includes('moengage')) {
  separate();
  await runMoEngageBench();
}
if (parts.includes('v5')) {
  separate();
  const figures = await runV5Bench();
  const dir = join(import.meta.dirname, '..', 'bench-results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'v5-lookup.json'), `${JSON.stringify(figures, null, 2)}\n`);
}
if (parts.includes('moengage-faults')) {
  separate();
  const rows = await runMoEngageFaultsBench();
  const dir = join(import.meta.dirname, '..', 'bench-results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'moengage-faults.json'), `${JSON.stringify(rows, null, 2)}\n`);
}
if (parts.includes('slack-outage')) {
  separate();
  await runSlackOutageBench();
}
if (parts.includes('faults')) {
  separate();
  await runFaultsBench({ only: faults as FaultName[] });
}
if (parts.includes('backlog')) {
  separate();
  await runBacklogBench();
}
process.exitCode = 0;

/**
 * PAUSE 1,000 and 2,000 campaign ids against the MoEngage simulator at MoEngage's real limits, with our client
 * and with a naive no-throttle baseline, and report how close each gets to the sliding windows' floor.
 * Real time: about eight minutes (the matrix about six, naive about 1.6).
 */
async function runMoEngageBench(): Promise<void> {
  const credentials = { workspaceId: 'BENCHWS01', apiKey: 'moe-bench-key-5a6b7c8d9e0f' };
  const campaigns = seedCampaigns({ count: 2_000, type: 'PERIODIC', status: 'ACTIVE' });
  const logger = createLogger('silent');
  // Ours (one process and two replicas on Redis, 0 and 300 ms latency) in the matrix; the naive baseline after.
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const matrix = await runMatrix({ campaigns, credentials, logger, redisUrl });
  console.log('');
  const plan: { name: RunResult['name']; ids: number }[] = [
    { name: 'naive', ids: 1_000 },
    { name: 'naive', ids: 2_000 },
  ];

  const results: RunResult[] = [];
  for (const [i, step] of plan.entries()) {
    const ids = campaigns.slice(0, step.ids).map((c) => c.id);
    const requests = Math.ceil(step.ids / 10);
    console.log(
      `[${i + 1}/${plan.length}] ${step.name}: PAUSE ${step.ids} ids (${requests} requests), ` +
        `floor ${(minimumMs(requests) / 1000).toFixed(3)} s; fresh simulator...`,
    );
    // A new simulator per run: its sliding-window history is per instance, so no run sees another's requests.
    const sim = await startMoEngageSim({ ...credentials, campaigns, limits: MOENGAGE_LIMITS });
    try {
      sim.setCampaigns(campaigns);
      sim.clearRequests();
      const run =
        step.name === 'ours'
          ? await runOurs(sim.url, credentials, ids, logger)
          : await runNaive(sim.url, credentials, ids);
      const result = measure(sim, { name: step.name, ids, ...run }, run.responseMs);
      results.push(result);
      console.log(describe(result));
    } finally {
      await sim.close();
    }
  }

  // The old table's "ours" rows are the matrix's one-process cells at 0 ms latency.
  const oursRows = matrix.filter((c) => c.setup === 'one' && c.latencyMs === 0 && c.ids >= 1_000);
  const naive = results.splice(0);
  for (const c of oursRows) results.push(c, ...naive.filter((r) => r.ids === c.ids));
  console.log('');
  console.log(
    'MoEngage PAUSE throughput matrix (simulator at 10/s, 100/min, 6000/h, sliding, closed windows)',
  );
  console.log(
    'floor = earliest finish the windows allow: earliestStarts(n).at(-1) + latency; ratio = wall / floor;',
  );
  console.log(
    'max/1s, max/60s by arrival at the simulator (its `at`, before the injected latency), 429s included.',
  );
  console.log(
    'one process = MoEngageClient + default in-process limiter; 2 replicas/Redis = two clients, each with',
  );
  console.log(
    'createRedisSlidingLimiter on one limiter id (fresh prefix), half the ids each, started together.',
  );
  console.log('');
  console.log(matrixTable(matrix));
  console.log(MATRIX_TARGETS_LINE);
  console.log('');
  console.log(
    'MoEngage PAUSE benchmark, ours vs naive (simulator at 10/s, 100/min, 6000/h, sliding, closed windows)',
  );
  console.log('min s = earliest START of the last request the windows allow (earliestStarts(n).at(-1));');
  console.log('wall s also includes that last response, so ratio = wall / min is slightly above 1 at best.');
  console.log(
    'max/1s, max/60s: most status requests arriving at the simulator in any sliding window (429s included).',
  );
  console.log('');
  console.log(table(results));
  console.log('');
  console.log(TARGETS_LINE);
  for (const r of results.filter((x) => x.name === 'ours')) {
    const v = verdict(r);
    console.log(`ours ${r.ids}: ${v.pass ? 'PASS' : `FAIL (${v.misses.join('; ')})`}`);
  }

  const file = join(import.meta.dirname, '..', 'bench-results', 'moengage.json');
  await mkdir(join(file, '..'), { recursive: true });
  const json = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    limits: MOENGAGE_LIMITS,
    targets: TARGETS,
    minimumDefinition:
      'earliestStarts(requests, windowsFor(MOENGAGE_LIMITS)).at(-1): start time of the last request, closed windows',
    results: results.map((r) => ({ ...r, verdict: r.name === 'ours' ? verdict(r) : undefined })),
    matrixTargets: MATRIX_TARGETS_LINE,
    matrix,
  };
  await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

function describe(r: RunResult): string {
  return (
    `  wall ${r.wallS.toFixed(2)} s, min ${r.minS.toFixed(3)} s, ratio ${r.ratio.toFixed(3)}; ` +
    `arrivals ${r.arrivals} (429: ${r.rateLimited}), max/1s ${r.maxPer1s}, max/60s ${r.maxPer60s}; ` +
    `applied ${r.applied}, failed ${r.failed}, PAUSED at sim ${r.pausedAtSim}\n` +
    `  accepted first->last ${r.acceptedSpanS.toFixed(3)} s; gaps between accepted arrivals ms ` +
    `min ${r.gapMs.min} / median ${r.gapMs.median} / mean ${r.gapMs.mean} / max ${r.gapMs.max}; ` +
    `median response ${r.medianResponseMs} ms`
  );
}
