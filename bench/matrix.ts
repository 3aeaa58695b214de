import type { Logger } from 'pino';
import { MoEngageClient } from '../src/moengage/client.ts';
import { MOENGAGE_LIMITS } from '../src/moengage/limiter.ts';
import type { SimCampaign } from '../src/sandbox/campaigns.ts';
import { startMoEngageSim } from '../src/sandbox/moengage-sim.ts';
import { createRedisSlidingLimiter } from '../src/stores/redis-limiter.ts';
import { measure, minimumMs, type RunResult } from './measure.ts';
import type { NaiveReport } from './naive.ts';
import { runOurs } from './ours.ts';
import { deletePrefix, uniquePrefix } from './redis-keys.ts';

/**
 * The side-by-side throughput matrix: sizes x simulated MoEngage latency x setup, each cell on a fresh simulator
 * at MoEngage's real limits.
 * - `one`: one process, `MoEngageClient` with its default (in-process) limiter, as bench/ours.ts runs it;
 * - `two`: two replicas sharing Redis: two `MoEngageClient`s in this process, each with its own
 *   `createRedisSlidingLimiter` (own Redis connection) on one limiter id under a fresh key prefix, as
 *   src/stores/connect.ts builds it; each takes half the ids, both started at the same moment.
 * floor = earliestStarts(requests).at(-1) + latency: the earliest finish the windows allow (the last request
 * can start no earlier than the 0 ms floor, and its answer takes `latency`).
 */

export type Setup = 'one' | 'two';
export const SETUP_NAME: Record<Setup, string> = { one: 'one process', two: '2 replicas/Redis' };

export interface MatrixCell extends RunResult {
  setup: Setup;
  latencyMs: number;
  /** minS + latency. */
  floorS: number;
  /** wall / floor. */
  floorRatio: number;
  verdict: { pass: boolean; misses: string[] };
  redisKeysDeleted?: number;
}

export const MATRIX_TARGETS = {
  ratioAtZeroLatency: 1.05,
  latencyAllowance: 2,
  maxPerSecond: 10,
  maxPerMinute: 100,
  rateLimited: 0,
} as const;
export const MATRIX_TARGETS_LINE =
  'targets: ratio <= 1.05 at 0 ms; wall <= floor + 2 x latency otherwise; max/1s <= 10; max/60s <= 100; 0 x 429; all applied';

export interface MatrixPlan {
  sizes: readonly number[];
  latenciesMs: readonly number[];
  setups: readonly Setup[];
  /** Cells to skip (e.g. 2,000 ids at 300 ms to save time). */
  skip?: (ids: number, latencyMs: number) => boolean;
}

export const DEFAULT_MATRIX: MatrixPlan = {
  sizes: [300, 1_000, 2_000],
  latenciesMs: [0, 300],
  setups: ['one', 'two'],
};

export async function runMatrix(options: {
  plan?: MatrixPlan;
  campaigns: readonly SimCampaign[];
  credentials: { workspaceId: string; apiKey: string };
  logger: Logger;
  redisUrl: string;
}): Promise<MatrixCell[]> {
  const plan = options.plan ?? DEFAULT_MATRIX;
  const cells: { ids: number; latencyMs: number; setup: Setup }[] = [];
  for (const ids of plan.sizes)
    for (const latencyMs of plan.latenciesMs)
      for (const setup of plan.setups)
        if (!plan.skip?.(ids, latencyMs)) cells.push({ ids, latencyMs, setup });

  const results: MatrixCell[] = [];
  for (const [i, cell] of cells.entries()) {
    const ids = options.campaigns.slice(0, cell.ids).map((c) => c.id);
    const requests = Math.ceil(cell.ids / 10);
    const floorMs = minimumMs(requests) + cell.latencyMs;
    console.log(
      `[${i + 1}/${cells.length}] ${SETUP_NAME[cell.setup]}: PAUSE ${cell.ids} ids (${requests} requests), ` +
        `latency ${cell.latencyMs} ms, floor ${(floorMs / 1000).toFixed(3)} s...`,
    );
    const sim = await startMoEngageSim({
      ...options.credentials,
      campaigns: options.campaigns,
      limits: MOENGAGE_LIMITS,
    });
    let redisKeysDeleted: number | undefined;
    try {
      // Every status request (429'd ones and retries too) takes one latency fault, so inject plenty.
      if (cell.latencyMs > 0) sim.delayNext(requests * 3 + 100, cell.latencyMs);
      let run: NaiveReport;
      if (cell.setup === 'one') {
        run = await runOurs(sim.url, options.credentials, ids, options.logger);
      } else {
        const prefix = uniquePrefix();
        try {
          run = await runTwoClients(
            sim.url,
            options.credentials,
            ids,
            options.logger,
            options.redisUrl,
            prefix,
          );
        } finally {
          redisKeysDeleted = await deletePrefix(options.redisUrl, prefix);
        }
      }
      const name = cell.setup === 'one' ? 'ours' : 'ours x2';
      const base = measure(sim, { name, ids, ...run }, run.responseMs);
      const result: MatrixCell = {
        ...base,
        setup: cell.setup,
        latencyMs: cell.latencyMs,
        floorS: floorMs / 1000,
        floorRatio: base.wallS / (floorMs / 1000),
        verdict: { pass: true, misses: [] },
        ...(redisKeysDeleted === undefined ? {} : { redisKeysDeleted }),
      };
      result.verdict = matrixVerdict(result);
      results.push(result);
      console.log(
        `  wall ${result.wallS.toFixed(2)} s, floor ${result.floorS.toFixed(3)} s, ratio ${result.floorRatio.toFixed(3)}; ` +
          `arrivals ${result.arrivals} (429: ${result.rateLimited}), max/1s ${result.maxPer1s}, max/60s ${result.maxPer60s}; ` +
          `applied ${result.applied}, PAUSED at sim ${result.pausedAtSim}; median response ${result.medianResponseMs} ms` +
          (redisKeysDeleted === undefined ? '' : `; Redis keys deleted ${redisKeysDeleted}`),
      );
    } finally {
      await sim.close();
    }
  }
  return results;
}

/** Two clients, each with its own Redis-shared limiter on one id (as two replicas would have), half the ids each. */
async function runTwoClients(
  url: string,
  credentials: { workspaceId: string; apiKey: string },
  ids: readonly string[],
  logger: Logger,
  redisUrl: string,
  prefix: string,
): Promise<NaiveReport> {
  const responseMs: number[] = [];
  const id = `${prefix}moengage:${credentials.workspaceId}`;
  const limiters = [0, 1].map(() => createRedisSlidingLimiter({ redis: redisUrl, id }));
  const clients = limiters.map(
    (limiter) =>
      new MoEngageClient({
        baseUrl: url,
        workspaceId: credentials.workspaceId,
        apiKey: credentials.apiKey,
        logger,
        limiter,
        onRequest: (event) => responseMs.push(event.ms),
      }),
  );
  try {
    await Promise.all(limiters.map((l) => l.ready()));
    // Halves on 10-id boundaries, so each replica's requests are full.
    const half = Math.ceil(ids.length / 20) * 10;
    const parts = [ids.slice(0, half), ids.slice(half)];
    const started = performance.now();
    const reports = await Promise.all(
      clients.map((client, i) => client.changeCampaignStatus('PAUSE', parts[i] as string[])),
    );
    const wallMs = performance.now() - started;
    return {
      applied: reports.reduce((n, r) => n + r.applied, 0),
      failed: reports.reduce((n, r) => n + r.failed, 0),
      wallMs,
      responseMs,
    };
  } finally {
    for (const client of clients) await client.close();
    for (const limiter of limiters) await limiter.stop();
  }
}

export function matrixVerdict(c: Omit<MatrixCell, 'verdict'>): { pass: boolean; misses: string[] } {
  const misses: string[] = [];
  const t = MATRIX_TARGETS;
  if (c.latencyMs === 0) {
    if (!(c.floorRatio <= t.ratioAtZeroLatency))
      misses.push(`ratio ${c.floorRatio.toFixed(3)} > ${t.ratioAtZeroLatency}`);
  } else {
    const limitS = c.floorS + (t.latencyAllowance * c.latencyMs) / 1000;
    if (!(c.wallS <= limitS)) misses.push(`wall ${c.wallS.toFixed(2)} > floor + 2L = ${limitS.toFixed(2)} s`);
  }
  if (c.maxPer1s > t.maxPerSecond) misses.push(`max/1s ${c.maxPer1s}`);
  if (c.maxPer60s > t.maxPerMinute) misses.push(`max/60s ${c.maxPer60s}`);
  if (c.rateLimited > t.rateLimited) misses.push(`${c.rateLimited} x 429`);
  if (c.failed > 0 || c.pausedAtSim !== c.ids) misses.push(`${c.ids - c.pausedAtSim} not PAUSED`);
  return { pass: misses.length === 0, misses };
}

export function matrixTable(cells: readonly MatrixCell[]): string {
  const head = [
    'ids (req)',
    'latency',
    'setup',
    'wall s',
    'floor s',
    'ratio',
    'max/1s',
    'max/60s',
    '429s',
    'target',
  ];
  const rows = cells.map((c) => [
    `${c.ids} (${c.requests})`,
    `${c.latencyMs} ms`,
    SETUP_NAME[c.setup],
    c.wallS.toFixed(2),
    c.floorS.toFixed(3),
    c.floorRatio.toFixed(3),
    String(c.maxPer1s),
    String(c.maxPer60s),
    String(c.rateLimited),
    c.verdict.pass ? 'PASS' : `FAIL: ${c.verdict.misses.join('; ')}`,
  ]);
  const left = new Set([0, 1, 2, 9]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (left.has(i) ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(head), rule, ...rows.map(line)].join('\n');
}
