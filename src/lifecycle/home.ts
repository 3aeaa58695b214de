import type { Actor } from '../auth/authorize.ts';
import { type HistoryEntry, historyOf } from '../core/history.ts';
import { scheduleOf } from '../core/pause-for.ts';
import type { CampaignActionRequest } from '../core/request.ts';
import type { LifecycleContext } from './context.ts';

/** What a person's App Home shows: each list bounded, each item one the policy lets them see. */
export interface HomeData {
  /** Pending requests this person may approve now (the policy's approve step says yes). */
  approvals: CampaignActionRequest[];
  /** Their own requests of the last seven days, newest first (from the audit trail). */
  recent: HistoryEntry[];
  freezes: CampaignActionRequest[];
  /** PAUSEs "for a while" whose RESUME is still to come. */
  scheduled: { request: CampaignActionRequest; at: number; ids: number }[];
  quota: { minute: number; perMinute: number } | undefined;
}

const SHOWN = 10;
const SCANNED = 500;

/**
 * The App Home's facts for one person, read on each view (nothing cached): pending approvals they may give,
 * their recent requests, the freezes that hold and the scheduled resumes in channels where the policy lets them
 * read, and how much of MoEngage's minute the bot has used.
 */
export function createHome(
  ctx: LifecycleContext,
  activeFreezes: () => Promise<CampaignActionRequest[]>,
  quota?: () => Promise<{ minute: number; perMinute: number }>,
) {
  const { deps, now } = ctx;
  return async function home(userId: string): Promise<HomeData> {
    const actor: Actor = { kind: 'user', id: userId };
    const readable = async (r: CampaignActionRequest) => (await deps.authorize(actor, 'read', r)).allowed;

    const approvals: CampaignActionRequest[] = [];
    const pending = (await deps.store.dueForExpiry(Number.MAX_SAFE_INTEGER)).filter(
      (r) => r.state === 'pending' && r.expiresAt > now(),
    );
    for (const r of pending.slice(0, SCANNED)) {
      if (approvals.length >= SHOWN) break;
      if (r.approvals.some((a) => a.by === userId)) continue;
      if ((await deps.authorize(actor, 'approve', r)).allowed) approvals.push(r);
    }

    const scheduled: HomeData['scheduled'] = [];
    for (const id of (await deps.store.runsDue(Number.MAX_SAFE_INTEGER)).slice(0, SCANNED)) {
      if (scheduled.length >= SHOWN) break;
      const r = await deps.store.get(id);
      const s = r ? scheduleOf(r) : undefined;
      if (r && s && (await readable(r))) scheduled.push({ request: r, at: s.at, ids: s.ids.length });
    }
    scheduled.sort((a, b) => a.at - b.at);

    const freezes: CampaignActionRequest[] = [];
    for (const r of await activeFreezes()) if (freezes.length < SHOWN && (await readable(r))) freezes.push(r);

    const events = deps.auditTrail ? await deps.auditTrail.since(now() - 7 * 86_400_000, 20_000) : [];
    const recent = historyOf(events, { person: userId })
      .filter((h) => h.requestedBy === userId)
      .slice(0, 5);

    return { approvals, recent, freezes, scheduled, quota: await quota?.().catch(() => undefined) };
  };
}
