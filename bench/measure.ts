import { MOENGAGE_LIMITS } from '../src/moengage/limiter.ts';
import type { MoEngageSim } from '../src/sandbox/moengage-sim.ts';
import { earliestStarts, maxInWindow, windowsFor } from '../src/sandbox/windows.ts';

export const TARGETS = { ratio: 1.25, rateLimited: 0, maxPerSecond: 10, maxPerMinute: 100 } as const;
export const TARGETS_LINE = 'targets (ours): ratio <= 1.25, 0 x 429, max/1s <= 10, max/60s <= 100';

export interface RunResult {
  name: 'ours' | 'naive' | 'ours x2';
  ids: number;
  /** Logical requests: ids / 10. */
  requests: number;
  /** Every status request that reached the simulator, 429'd ones and retries included. */
  arrivals: number;
  wallS: number;
  /** Earliest start of the last request that the sliding windows allow (t = 0 is the first request). */
  minS: number;
  ratio: number;
  maxPer1s: number;
  maxPer60s: number;
  rateLimited: number;
  applied: number;
  failed: number;
  /** Campaigns the simulator holds as PAUSED afterwards: a cross-check of `applied`. */
  pausedAtSim: number;
  /** First to last accepted (non-429) arrival, s: directly comparable with `minS`. */
  acceptedSpanS: number;
  /** Gaps between consecutive accepted arrivals, ms. */
  gapMs: { min: number; median: number; mean: number; max: number };
  /** Response time of the sends, ms (median over every send). */
  medianResponseMs: number;
}

/** The floor for `requests` requests under MoEngage's windows, in ms: the start time of the last request. */
export function minimumMs(requests: number): number {
  return earliestStarts(requests, windowsFor(MOENGAGE_LIMITS)).at(-1) ?? 0;
}

export function measure(
  sim: MoEngageSim,
  base: { name: RunResult['name']; ids: readonly string[]; wallMs: number; applied: number; failed: number },
  responseMs: readonly number[],
): RunResult {
  const requests = Math.ceil(base.ids.length / 10);
  const recorded = sim.statusRequests();
  const arrivals = recorded.map((r) => r.at);
  const accepted = recorded
    .filter((r) => r.status !== 429)
    .map((r) => r.at)
    .sort((a, b) => a - b);
  const gaps = accepted.slice(1).map((t, i) => t - (accepted[i] as number));
  const minMs = minimumMs(requests);
  return {
    name: base.name,
    ids: base.ids.length,
    requests,
    arrivals: arrivals.length,
    wallS: base.wallMs / 1000,
    minS: minMs / 1000,
    ratio: base.wallMs / minMs,
    maxPer1s: maxInWindow(arrivals, 1_000),
    maxPer60s: maxInWindow(arrivals, 60_000),
    rateLimited: recorded.filter((r) => r.status === 429).length,
    applied: base.applied,
    failed: base.failed,
    pausedAtSim: base.ids.filter((id) => sim.campaign(id)?.status === 'PAUSED').length,
    acceptedSpanS: accepted.length > 1 ? ((accepted.at(-1) as number) - (accepted[0] as number)) / 1000 : 0,
    gapMs: {
      min: round(Math.min(...gaps)),
      median: round(median(gaps)),
      mean: round(gaps.reduce((s, g) => s + g, 0) / Math.max(1, gaps.length)),
      max: round(Math.max(...gaps)),
    },
    medianResponseMs: round(median(responseMs)),
  };
}

export function verdict(r: RunResult): { pass: boolean; misses: string[] } {
  const misses: string[] = [];
  if (r.ratio > TARGETS.ratio) misses.push(`ratio ${r.ratio.toFixed(3)} > ${TARGETS.ratio}`);
  if (r.rateLimited > TARGETS.rateLimited) misses.push(`${r.rateLimited} x 429`);
  if (r.maxPer1s > TARGETS.maxPerSecond) misses.push(`max/1s ${r.maxPer1s} > ${TARGETS.maxPerSecond}`);
  if (r.maxPer60s > TARGETS.maxPerMinute) misses.push(`max/60s ${r.maxPer60s} > ${TARGETS.maxPerMinute}`);
  if (r.failed > 0) misses.push(`${r.failed} ids failed`);
  return { pass: misses.length === 0, misses };
}

export function table(results: readonly RunResult[]): string {
  const head = ['run', 'wall s', 'min s', 'ratio', 'max/1s', 'max/60s', '429s', 'applied'];
  const rows = results.map((r) => [
    `${r.name} ${r.ids}`,
    r.wallS.toFixed(2),
    r.minS.toFixed(3),
    r.ratio.toFixed(3),
    String(r.maxPer1s),
    String(r.maxPer60s),
    String(r.rateLimited),
    String(r.applied),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(head), rule, ...rows.map(line)].join('\n');
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
