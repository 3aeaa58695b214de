import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CampaignInfo } from '../core/campaign-info.ts';
import {
  type CatalogEntry,
  type CatalogView,
  catalogView,
  type NameResolution,
  normalizeName,
} from '../core/catalog.ts';
import type { CatalogStore } from '../core/ports.ts';
import type { Priority } from '../moengage/limiter.ts';
import type { LookupResult } from '../moengage/search.ts';

/** What the catalog is listed from: MoEngage's campaign search (moengage/search.ts), or a fake in a test. */
export interface CatalogSource {
  page(
    query: { page: number; name?: string },
    options?: { priority?: Priority },
  ): Promise<
    | { ok: true; campaigns: CampaignInfo[]; rows: number; limit: number }
    | { ok: false; reason: 'unavailable' | 'failed'; message: string }
  >;
  lookup(ids: readonly string[], priority?: Priority): Promise<LookupResult>;
}

export interface CatalogTimings {
  /** How often a full listing starts again (default 15 min). */
  refreshEveryMs: number;
  /** The share of the search's 100 calls a minute a listing may take (default 40): look-ups, freezes and status
   * checks go first (they run at a higher priority in the same limiter) and keep the rest. */
  pagesPerMinute: number;
  /** How long a refresher holds its workspace without renewing (renewed every page; default 2 min). */
  leaseMs: number;
  /** How often a replica asks the store whether its copy moved (default 2 s). */
  reloadCheckMs: number;
  /** How long a live name search's answer is reused (default 60 s), and how long one may take (default 1.5 s). */
  liveCacheMs: number;
  liveTimeoutMs: number;
  /** How long changed campaigns gather before one look-up (default 1 s: a run's chunks end together). */
  changedBatchMs: number;
}

export const CATALOG_TIMINGS: CatalogTimings = {
  refreshEveryMs: 15 * 60_000,
  pagesPerMinute: 40,
  leaseMs: 2 * 60_000,
  reloadCheckMs: 2_000,
  liveCacheMs: 60_000,
  liveTimeoutMs: 1_500,
  changedBatchMs: 1_000,
};

/** After a look-up before a confirmation (3), a freeze's listing (2) and an outcome check: the catalog waits. */
const LISTING_PRIORITY: Priority = 7;
const CHANGED_PRIORITY: Priority = 6;
const LIVE_PRIORITY: Priority = 5;

export interface RefreshReport {
  /** false: another replica holds the refresh; `failed`: MoEngage's search failed mid-listing (kept what it had). */
  state: 'done' | 'held_elsewhere' | 'failed' | 'stopped';
  pages: number;
  campaigns: number;
  removed: number;
  ms: number;
  message?: string;
}

export interface CatalogStatus {
  workspace: string;
  size: number;
  fullAt: number | undefined;
  refreshing: boolean;
  lastRefresh: RefreshReport | undefined;
}

export interface CampaignCatalog {
  /** The copy as it is now, reloaded from the store when another replica (or a listing) moved it. */
  view(): Promise<CatalogView>;
  /**
   * The best matches of what someone types, from the copy; until a first full copy exists, a live name search
   * (throttled, cached, bounded in time) adds what MoEngage finds, and `loading` says the list is not whole yet.
   */
  search(query: string, limit: number): Promise<{ entries: CatalogEntry[]; loading: boolean }>;
  /**
   * What a quoted name stands for. From the copy once it is whole; before that, over the copy's and MoEngage's own
   * matches together (a partial copy alone could find one campaign where there are two).
   */
  resolve(query: string, limit?: number): Promise<NameResolution>;
  /** The bot changed these campaigns: they are looked up again soon, so the copy shows their new status. */
  changed(ids: readonly string[]): void;
  /** One full listing now, if this replica gets the workspace's lease (tests, the bench, the timer). */
  refresh(): Promise<RefreshReport>;
  status(): CatalogStatus;
  start(): void;
  stop(): Promise<void>;
}

export function entryOf(info: CampaignInfo, seenAt: number): CatalogEntry {
  return {
    id: info.id,
    name: info.name,
    status: info.status,
    seenAt,
    ...(info.channel ? { channel: info.channel } : {}),
    ...(info.deliveryType ? { deliveryType: info.deliveryType } : {}),
    ...(info.tags ? { tags: info.tags } : {}),
    ...(info.flow ? { flow: info.flow } : {}),
  };
}

/**
 * A workspace's campaign catalog: listed through the campaign search page by page at a stated share of its
 * budget, kept in the store (replicas share it; one lists at a time), searched in memory. A listing that fails
 * keeps what it had listed (pages already stored stay) and does not prune; the next one starts over.
 */
export function createCatalog(deps: {
  workspace: string;
  store: CatalogStore;
  source: CatalogSource;
  log: Logger;
  timings?: Partial<CatalogTimings>;
  now?: () => number;
}): CampaignCatalog {
  const t = { ...CATALOG_TIMINGS, ...deps.timings };
  const now = deps.now ?? Date.now;
  const owner = randomUUID();
  const log = deps.log.child({ module: 'catalog', workspace: deps.workspace });
  let current: { view: CatalogView; version: string; checkedAt: number } | undefined;
  let loading: Promise<void> | undefined;
  let refreshing: Promise<RefreshReport> | undefined;
  let lastRefresh: RefreshReport | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const stopping = new AbortController();
  const live = new Map<string, { at: number; entries: Promise<CatalogEntry[]> }>();
  const pendingChanged = new Set<string>();
  let changedTimer: NodeJS.Timeout | undefined;

  async function load(): Promise<void> {
    const snap = await deps.store.load(deps.workspace);
    current = { view: catalogView(snap.entries, snap.fullAt), version: snap.version, checkedAt: now() };
  }

  async function view(): Promise<CatalogView> {
    if (!current) {
      loading ??= load().finally(() => {
        loading = undefined;
      });
      await loading;
      return (current as unknown as { view: CatalogView }).view;
    }
    if (now() - current.checkedAt >= t.reloadCheckMs && !loading) {
      // Checked in the background: a search never waits on the store when it has a copy.
      const held = current;
      held.checkedAt = now();
      loading = deps.store
        .version(deps.workspace)
        .then((v) => (v === held.version ? undefined : load()))
        .catch((error: unknown) => log.warn({ err: String(error) }, 'catalog version check failed'))
        .finally(() => {
          loading = undefined;
        });
    }
    return current.view;
  }

  function liveSearch(query: string, limit: number): Promise<CatalogEntry[]> {
    const key = normalizeName(query);
    const cached = live.get(key);
    if (cached && now() - cached.at < t.liveCacheMs) return cached.entries;
    const entries = deps.source.page({ page: 1, name: query }, { priority: LIVE_PRIORITY }).then(
      (answer) => (answer.ok ? answer.campaigns.slice(0, limit).map((c) => entryOf(c, now())) : []),
      () => [],
    );
    live.set(key, { at: now(), entries });
    if (live.size > 500) live.delete(live.keys().next().value as string);
    return entries;
  }

  async function search(query: string, limit: number) {
    const copy = await view();
    const found = copy.search(query, limit);
    if (copy.fullAt !== undefined || query.trim().length < 2)
      return { entries: found, loading: copy.fullAt === undefined };
    // No full copy yet: MoEngage's own name search fills in, within a bound (Slack gives an options request 3 s).
    const fromLive = await Promise.race([
      liveSearch(query, limit),
      new Promise<CatalogEntry[]>((resolve) => setTimeout(() => resolve([]), t.liveTimeoutMs).unref()),
    ]);
    const ids = new Set(found.map((e) => e.id));
    return { entries: [...found, ...fromLive.filter((e) => !ids.has(e.id))].slice(0, limit), loading: true };
  }

  async function pace(sinceLast: number): Promise<boolean> {
    const gap = 60_000 / t.pagesPerMinute - sinceLast;
    if (gap <= 0) return !stopped;
    await new Promise<void>((resolve) => {
      const timeout = setTimeout(resolve, gap);
      stopping.signal.addEventListener('abort', () => {
        clearTimeout(timeout);
        resolve();
      });
    });
    return !stopped;
  }

  async function listAll(): Promise<RefreshReport> {
    const started = now();
    const startedMs = performance.now();
    const report = (
      state: RefreshReport['state'],
      pages: number,
      campaigns: number,
      removed = 0,
      message?: string,
    ) => ({
      state,
      pages,
      campaigns,
      removed,
      ms: Math.round(performance.now() - startedMs),
      ...(message ? { message } : {}),
    });
    if (!(await deps.store.lease(deps.workspace, owner, t.leaseMs))) return report('held_elsewhere', 0, 0);
    let campaigns = 0;
    let page = 1;
    try {
      let last = Number.NEGATIVE_INFINITY;
      for (;;) {
        if (!(await pace(performance.now() - last))) return report('stopped', page - 1, campaigns);
        last = performance.now();
        const answer = await deps.source.page({ page }, { priority: LISTING_PRIORITY });
        if (!answer.ok) return report('failed', page - 1, campaigns, 0, answer.message);
        // Strictly after the listing began, so its end prunes only what it did not see (same-millisecond safe).
        const seen = Math.max(now(), started + 1);
        await deps.store.upsert(
          deps.workspace,
          answer.campaigns.map((c) => entryOf(c, seen)),
        );
        campaigns += answer.campaigns.length;
        // Documented: no total; a page with fewer rows than asked for is the last.
        if (answer.rows < answer.limit) break;
        page++;
        if (!(await deps.store.lease(deps.workspace, owner, t.leaseMs))) {
          return report(
            'held_elsewhere',
            page - 1,
            campaigns,
            0,
            'the lease went to another replica mid-listing',
          );
        }
      }
      const { removed } = await deps.store.finishListing(deps.workspace, started + 1, now());
      return report('done', page, campaigns, removed);
    } finally {
      await deps.store.release(deps.workspace, owner).catch(() => undefined);
    }
  }

  function refresh(): Promise<RefreshReport> {
    refreshing ??= listAll()
      .catch((error: unknown) => ({
        state: 'failed' as const,
        pages: 0,
        campaigns: 0,
        removed: 0,
        ms: 0,
        message: String(error),
      }))
      .then(async (r) => {
        lastRefresh = r;
        if (r.state === 'done') await load().catch(() => undefined);
        const level = r.state === 'failed' ? 'warn' : 'info';
        log[level](r, 'catalog refresh');
        return r;
      })
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  }

  function flushChanged(): void {
    changedTimer = undefined;
    const ids = [...pendingChanged];
    pendingChanged.clear();
    if (ids.length === 0 || stopped) return;
    deps.source.lookup(ids, CHANGED_PRIORITY).then(
      async (answer) => {
        if (!answer.ok) return;
        const seen = now();
        await deps.store.upsert(
          deps.workspace,
          [...answer.found.values()].map((c) => entryOf(c, seen)),
        );
      },
      (error: unknown) => log.warn({ err: String(error) }, 'catalog update after a change failed'),
    );
  }

  async function resolve(query: string, limit = 10): Promise<NameResolution> {
    const copy = await view();
    if (copy.fullAt !== undefined) return copy.resolve(query, limit);
    const found = await search(query, limit + 1);
    return catalogView(found.entries, undefined).resolve(query, limit);
  }

  return {
    view,
    search,
    resolve,
    changed(ids) {
      for (const id of ids) pendingChanged.add(id);
      // Batched for a moment: a run's chunks finish together, and one look-up of ten ids is one V5 call.
      changedTimer ??= setTimeout(flushChanged, t.changedBatchMs);
      changedTimer.unref();
    },
    refresh,
    status: () => ({
      workspace: deps.workspace,
      size: current?.view.size ?? 0,
      fullAt: current?.view.fullAt,
      refreshing: refreshing !== undefined,
      lastRefresh,
    }),
    start() {
      if (timer || stopped) return;
      const tick = () => {
        const fullAt = current?.view.fullAt;
        if (fullAt === undefined || now() - fullAt >= t.refreshEveryMs) void refresh();
      };
      void view().then(tick, () => tick());
      timer = setInterval(tick, Math.min(t.refreshEveryMs, 60_000));
      timer.unref();
    },
    async stop() {
      stopped = true;
      stopping.abort();
      if (timer) clearInterval(timer);
      if (changedTimer) clearTimeout(changedTimer);
      await refreshing?.catch(() => undefined);
    },
  };
}
