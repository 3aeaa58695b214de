import { checkedOutcome, needsCheck } from '../src/core/campaign-info.ts';
import { createLogger } from '../src/logger.ts';
import { MoEngageClient } from '../src/moengage/client.ts';
import type { RetryPolicy } from '../src/moengage/retry-policy.ts';
import { CampaignSearch } from '../src/moengage/search.ts';
import type { CampaignOutcome } from '../src/moengage/types.ts';
import { seedCampaigns } from '../src/sandbox/campaigns.ts';
import { type Fault, startMoEngageSim } from '../src/sandbox/moengage-sim.ts';

/**
 * MoEngage faults (`npm run bench -- --only moengage-faults`): a PAUSE of 100 ids (V1, chunks of 10; 300 for the slow
 * answers, so that chunks go after the client has seen how slow MoEngage is) against the simulator
 * under each fault, with the client and, where the search works, the lookup after the run that settles uncertain
 * ids (the same checkedOutcome the runner uses). Scaled down: a 400 ms deadline floor stands for the 10 s one,
 * budgets are seconds. Per fault: ids sent twice or more, ids reported wrongly (applied but not paused in MoEngage,
 * or failed though MoEngage paused them), ids reported "may have been applied", and the time to finish.
 * About a minute (the lookups after a run take most of it: V1's search takes one id a call at 10/s).
 */
const IDS = 100;
const FLOOR_MS = 400;
const credentials = { workspaceId: 'BENCHWS02', apiKey: 'moe-bench-key-faults-0a1b2c' };
const policy = (maxElapsedMs: number): RetryPolicy => ({
  maxAttempts: 1_000,
  baseDelayMs: 20,
  maxDelayMs: 200,
  maxElapsedMs,
});

interface Scenario {
  name: string;
  fault: Fault;
  count?: number;
  search: boolean;
  budgetMs: number;
  floorMs?: number;
  ids?: number;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'answers 1.5× after the deadline, search on',
    fault: { kind: 'late', ms: 600, forMs: 600_000 },
    search: true,
    budgetMs: 10_000,
    ids: 300,
  },
  {
    name: 'answers 1.5× after the deadline, no search',
    fault: { kind: 'late', ms: 600, forMs: 600_000 },
    search: false,
    budgetMs: 10_000,
    ids: 300,
  },
  {
    name: '3 answers dropped after applying, search on',
    fault: { kind: 'drop' },
    count: 3,
    search: true,
    budgetMs: 10_000,
  },
  {
    name: '503 storm of 2 s, budget 10 s',
    fault: { kind: 'status', status: 503, forMs: 2_000 },
    search: true,
    budgetMs: 10_000,
  },
  {
    name: '503 storm longer than a 3 s budget',
    fault: { kind: 'status', status: 503, forMs: 600_000 },
    search: true,
    budgetMs: 3_000,
  },
  {
    name: 'never answers (deadline 100 ms), no search',
    fault: { kind: 'hang', forMs: 600_000 },
    search: false,
    budgetMs: 30_000,
    floorMs: 100,
  },
];

export interface FaultRow {
  fault: string;
  ids: number;
  sentTwiceOrMore: number;
  maxSends: number;
  reportedWrongly: number;
  applied: number;
  failed: number;
  mayHaveBeenApplied: number;
  finishS: number;
}

export async function runMoEngageFaultsBench(): Promise<FaultRow[]> {
  console.log('MoEngage faults: PAUSE (V1), scaled (deadline floor 400 ms for 10 s, budgets in seconds)');
  const rows: FaultRow[] = [];
  for (const s of SCENARIOS) rows.push(await runScenario(s));
  const header = [
    'fault',
    'ids',
    'sent ≥2×',
    'max sends',
    'wrong',
    'applied',
    'failed',
    'may have',
    'finish s',
  ];
  const cells = rows.map((r) => [
    r.fault,
    String(r.ids),
    String(r.sentTwiceOrMore),
    String(r.maxSends),
    String(r.reportedWrongly),
    String(r.applied),
    String(r.failed),
    String(r.mayHaveBeenApplied),
    r.finishS.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]?.length ?? 0)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i] ?? 0)).join('  ');
  console.log(line(header));
  for (const c of cells) console.log(line(c));
  return rows;
}

async function runScenario(s: Scenario): Promise<FaultRow> {
  const logger = createLogger('silent');
  const total = s.ids ?? IDS;
  const campaigns = seedCampaigns({ count: total, type: 'PERIODIC', status: 'ACTIVE' });
  const ids = campaigns.map((c) => c.id);
  const sim = await startMoEngageSim({ ...credentials, campaigns, searchEnabled: s.search });
  const client = new MoEngageClient({
    baseUrl: sim.url,
    ...credentials,
    logger,
    retryPolicy: policy(s.budgetMs),
    requestTimeoutMs: s.floorMs ?? FLOOR_MS,
  });
  const search = new CampaignSearch({ baseUrl: sim.url, ...credentials, apiVersion: 'v1', logger });
  try {
    sim.inject(s.fault, s.count ?? 1);
    const started = performance.now();
    const report = await client.changeCampaignStatus('PAUSE', ids);
    let outcomes = report.outcomes;
    const toCheck = outcomes.filter(needsCheck).map((o) => o.campaignId);
    if (toCheck.length > 0) {
      const seen = await search.lookup(toCheck);
      outcomes = outcomes.map((o) =>
        checkedOutcome(
          'PAUSE',
          o,
          seen.ok ? { ok: true, info: seen.found.get(o.campaignId) } : { ok: false, why: seen.message },
        ),
      );
    }
    const finishS = (performance.now() - started) / 1000;
    const sends = new Map<string, number>();
    for (const r of sim.statusRequests())
      for (const id of r.campaignIds ?? []) sends.set(id, (sends.get(id) ?? 0) + 1);
    const count = (status: CampaignOutcome['status']) => outcomes.filter((o) => o.status === status).length;
    return {
      fault: s.name,
      ids: total,
      sentTwiceOrMore: [...sends.values()].filter((n) => n >= 2).length,
      maxSends: Math.max(0, ...sends.values()),
      reportedWrongly: outcomes.filter((o) => wrong(o, sim.campaign(o.campaignId)?.status)).length,
      applied: count('applied'),
      failed: count('failed'),
      mayHaveBeenApplied: count('uncertain'),
      finishS,
    };
  } finally {
    await client.close();
    await search.close();
    await sim.close();
  }
}

/** Applied but not paused in MoEngage, or failed though MoEngage paused it: what people were told is false. */
function wrong(o: CampaignOutcome, status: string | undefined): boolean {
  if (o.status === 'applied') return status !== 'PAUSED';
  if (o.status === 'failed') return status === 'PAUSED';
  return false;
}
