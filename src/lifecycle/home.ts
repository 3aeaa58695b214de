import type { Actor } from '../auth/authorize.ts';
import { historyOf } from '../core/history.ts';
import { scheduleOf } from '../core/pause-for.ts';
import type { CampaignActionRequest } from '../core/request.ts';
import type { LifecycleContext } from './context.ts';

export type { HomeData } from '../core/home.ts';

import type { HomeData } from '../core/home.ts';

const SHOWN = 10;
const SCANNED = 500;
/**
 * The newest audit events a Home reads (a person's recent requests come from them), and how long one read serves
 * every Home opened or redrawn after it, unless a request changes first: opening the tab again and again reads
 * the trail once, not once a click. A week is cut to these on a busy bot: the newest are the ones a Home shows.
 */
export const HOME_EVENTS = 2_000;
export const HOME_EVENTS_TTL_MS = 30_000;

/** What every Home of a redraw shares, read once: filtered per person by `forPerson`. */
export interface HomeFacts {
  pending: CampaignActionRequest[];
  scheduled: HomeData['scheduled'];
  freezes: CampaignActionRequest[];
  events: Awaited<ReturnType<NonNullable<LifecycleContext['deps']['auditTrail']>['since']>>;
  quota: HomeData['quota'];
}

/**
 * The App Home's facts: read once for a redraw of every watched Home (`facts`: the pending requests, the
 * scheduled resumes, the freezes that hold, the newest of the audit trail's week, MoEngage's minute), only for
 * someone the policy names (`mayOpen`, asked first), then for each person
 * (`forPerson`) what the policy lets them approve or read, and their own recent requests.
 */
export function createHome(
  ctx: LifecycleContext,
  activeFreezes: () => Promise<CampaignActionRequest[]>,
  quota?: () => Promise<{ minute: number; perMinute: number }>,
) {
  const { deps, now } = ctx;
  let shared: { at: number; read: Promise<HomeFacts['events']> } | undefined;
  // A request changed (on any replica): the next Home reads the trail again, so it shows what just happened.
  ctx.changes.subscribe(() => {
    shared = undefined;
  });

  /** One read of the trail's newest events for every Home within the TTL; concurrent opens share it. */
  function recentEvents(): Promise<HomeFacts['events']> {
    const trail = deps.auditTrail;
    if (!trail) return Promise.resolve([]);
    const t = now();
    if (shared && t - shared.at < HOME_EVENTS_TTL_MS) return shared.read;
    const read = trail.recent(HOME_EVENTS).then((events) => events.filter((e) => e.at >= t - 7 * 86_400_000));
    const mine = { at: t, read };
    shared = mine;
    // A failed read is not kept: the next open tries again.
    read.catch(() => {
      if (shared === mine) shared = undefined;
    });
    return read;
  }

  /** Whether this person may have a Home with the bot's requests: asked before anything is read. */
  async function mayOpen(userId: string): Promise<boolean> {
    const actor: Actor = { kind: 'user', id: userId };
    const facts = { action: 'PAUSE' as const, channelId: '', campaignIds: [], requestedBy: userId };
    return (await deps.authorize(actor, 'home', facts)).allowed;
  }

  async function facts(): Promise<HomeFacts> {
    // The soonest to expire first, one page: what a Home shows is bounded however many are pending.
    const pending = (await deps.store.dueForExpiry(Number.MAX_SAFE_INTEGER, { limit: SCANNED }))
      .filter((r) => r.state === 'pending' && r.expiresAt > now())
      .slice(0, SCANNED);
    const scheduled: HomeData['scheduled'] = [];
    for (const id of (await deps.store.runsDue(Number.MAX_SAFE_INTEGER)).slice(0, SCANNED)) {
      const r = await deps.store.get(id);
      const s = r ? scheduleOf(r) : undefined;
      if (r && s) scheduled.push({ request: r, at: s.at, ids: s.ids.length });
    }
    scheduled.sort((a, b) => a.at - b.at);
    const events = await recentEvents();
    return {
      pending,
      scheduled,
      freezes: await activeFreezes(),
      events,
      quota: await quota?.().catch(() => undefined),
    };
  }

  async function forPerson(userId: string, given?: HomeFacts): Promise<HomeData> {
    const f = given ?? (await facts());
    const actor: Actor = { kind: 'user', id: userId };
    const readable = async (r: CampaignActionRequest) => (await deps.authorize(actor, 'read', r)).allowed;
    const approvals: CampaignActionRequest[] = [];
    for (const r of f.pending) {
      if (approvals.length >= SHOWN) break;
      if (r.approvals.some((a) => a.by === userId)) continue;
      if ((await deps.authorize(actor, 'approve', r)).allowed) approvals.push(r);
    }
    const scheduled: HomeData['scheduled'] = [];
    for (const s of f.scheduled)
      if (scheduled.length < SHOWN && (await readable(s.request))) scheduled.push(s);
    const freezes: CampaignActionRequest[] = [];
    for (const r of f.freezes) if (freezes.length < SHOWN && (await readable(r))) freezes.push(r);
    const recent = historyOf(f.events, { person: userId })
      .filter((h) => h.requestedBy === userId)
      .slice(0, 5);
    return { approvals, recent, freezes, scheduled, quota: f.quota };
  }

  return { mayOpen, facts, forPerson };
}
