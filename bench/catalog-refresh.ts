import pino from 'pino';
import { createCatalog } from '../src/lifecycle/catalog.ts';
import { MOENGAGE_LIMITS } from '../src/moengage/limiter.ts';
import { CampaignSearch, SEARCH_PAGE_LIMIT } from '../src/moengage/search.ts';
import { catalogCampaigns } from '../src/sandbox/campaign-catalog.ts';
import { startMoEngageSim } from '../src/sandbox/moengage-sim.ts';
import { earliestStarts, maxInWindow, windowsFor } from '../src/sandbox/windows.ts';
import { createMemoryCatalogStore } from '../src/stores/catalog.ts';

/**
 * The catalog's refresh (`npm run bench -- --only catalog`): a first full copy of 1,500 campaigns listed through
 * V1's campaign search from the MoEngage simulator at MoEngage's real limits (10/s, 100/min, 6,000/h on the
 * search), by the bot's own catalog and search client at its configured share of the search budget
 * (CATALOG_SEARCH_PER_MINUTE, default 40). Measured: the listing's calls per minute (mean, and the most in any
 * rolling minute as MoEngage counts them), 429s, the time to the first full copy. Computed from the measured
 * rate: the same at the default share, and for 20,000 campaigns, beside the floor MoEngage's limits set when the
 * listing takes the whole budget (nothing left for look-ups, freezes and status checks). About 2.5 min at 40.
 */
export interface RefreshFigures {
  campaigns: number;
  share: number;
  pages: number;
  copied: number;
  firstFullCopyS: number;
  /** Calls a minute over the listing (its calls after the first, over its time) and in the busiest minute. */
  callsPerMinute: number;
  maxInAnyMinute: number;
  maxInAnySecond: number;
  rateLimited: number;
  /** Left to look-ups, freezes and status checks every minute while it lists. */
  budgetLeftPerMinute: number;
  at40: { firstFullCopy1500S: number };
  for20k: {
    pages: number;
    atMeasuredRateMin: number;
    atDefaultShareMin: number;
    /** The whole search budget, nothing else searching: MoEngage's limits' floor for that many calls. */
    floorMin: number;
    aboveFloor: number;
  };
}

const WORKSPACE = 'BENCHCATALOG';
const API_KEY = 'moe-bench-catalog-key-0123';
const DEFAULT_SHARE = 40;

/** Pages a listing of n campaigns takes: full pages, and one with fewer than 15 rows (none when n divides). */
const pagesFor = (n: number) => Math.floor(n / SEARCH_PAGE_LIMIT) + 1;
/** A listing paced at `perMinute` spends one gap of 60/perMinute s between pages. */
const pacedS = (pages: number, perMinute: number) => ((pages - 1) * 60) / perMinute;

export async function runCatalogRefreshBench(options: { share?: number } = {}): Promise<RefreshFigures> {
  const share = options.share ?? DEFAULT_SHARE;
  const campaigns = 1_500;
  // Every campaign listed, so the copy is exactly 1,500: none archived, flow steps included (the catalog asks for
  // them), and none SENDING, a status V1's search does not have (the bot's V1 listing does not ask for it).
  const fleet = catalogCampaigns({ count: campaigns, archivedShare: 0 }).map((c) =>
    c.status === 'SENDING' ? { ...c, status: 'ACTIVE' as const } : c,
  );
  const sim = await startMoEngageSim({
    workspaceId: WORKSPACE,
    apiKey: API_KEY,
    campaigns: fleet,
    limits: MOENGAGE_LIMITS,
  });
  const log = pino({ level: 'silent' });
  const search = new CampaignSearch({
    baseUrl: sim.url,
    workspaceId: WORKSPACE,
    apiKey: API_KEY,
    apiVersion: 'v1',
    logger: log,
  });
  const catalog = createCatalog({
    workspace: WORKSPACE,
    store: createMemoryCatalogStore(),
    source: search,
    log,
    timings: { pagesPerMinute: share },
  });
  console.log(
    `catalog refresh: a first full copy of ${campaigns.toLocaleString('en')} campaigns at ${share} search calls a minute (MoEngage: 10/s, 100/min, 6,000/h)`,
  );
  const started = performance.now();
  const report = await catalog.refresh();
  const elapsedS = (performance.now() - started) / 1000;
  const copied = (await catalog.view()).size;
  await catalog.stop();
  await search.close();
  const calls = sim.searchRequests();
  await sim.close();
  if (report.state !== 'done') throw new Error(`the listing ended ${report.state}: ${report.message ?? ''}`);

  const arrivals = calls.map((c) => c.at);
  const spanMin = (Math.max(...arrivals) - Math.min(...arrivals)) / 60_000;
  const callsPerMinute = spanMin > 0 ? (calls.length - 1) / spanMin : calls.length;
  const pages20k = pagesFor(20_000);
  const floorS = (earliestStarts(pages20k, windowsFor(MOENGAGE_LIMITS)).at(-1) ?? 0) / 1000;
  const atMeasuredRateMin = (pages20k - 1) / callsPerMinute;
  const figures: RefreshFigures = {
    campaigns,
    share,
    pages: report.pages,
    copied,
    firstFullCopyS: elapsedS,
    callsPerMinute,
    maxInAnyMinute: maxInWindow(arrivals, 60_000),
    maxInAnySecond: maxInWindow(arrivals, 1_000),
    rateLimited: calls.filter((c) => c.outcome === 'rate_limited').length,
    budgetLeftPerMinute: MOENGAGE_LIMITS.perMinute - share,
    at40: { firstFullCopy1500S: pacedS(pagesFor(campaigns), DEFAULT_SHARE) },
    for20k: {
      pages: pages20k,
      atMeasuredRateMin,
      atDefaultShareMin: pacedS(pages20k, DEFAULT_SHARE) / 60,
      floorMin: floorS / 60,
      aboveFloor: atMeasuredRateMin / (floorS / 60),
    },
  };
  const r1 = (n: number) => n.toFixed(1);
  console.log(
    `  measured: ${figures.pages} pages, ${figures.copied} campaigns copied in ${r1(elapsedS)} s; ${r1(callsPerMinute)} calls a minute (at most ${figures.maxInAnyMinute} in any rolling minute, ${figures.maxInAnySecond} in any second), ${figures.rateLimited} answered 429; ${figures.budgetLeftPerMinute} a minute left for look-ups, freezes and status checks`,
  );
  if (share !== DEFAULT_SHARE) {
    console.log(
      `  at the default share (${DEFAULT_SHARE}/min): a first full copy of 1,500 in ${r1(figures.at40.firstFullCopy1500S)} s (computed: ${pagesFor(campaigns) - 1} gaps of ${r1(60 / DEFAULT_SHARE)} s)`,
    );
  }
  console.log(
    `  20,000 campaigns (computed, not run): ${pages20k} pages = ${r1(atMeasuredRateMin)} min at the measured rate, ${r1(figures.for20k.atDefaultShareMin)} min at ${DEFAULT_SHARE}/min; MoEngage's limits bound it below at ${r1(figures.for20k.floorMin)} min (the whole 100/min, nothing else searching; 10/s and 6,000/h do not bind), so ${r1(figures.for20k.aboveFloor)}× that floor, the price of keeping ${figures.budgetLeftPerMinute} calls a minute for an incident`,
  );
  return figures;
}
