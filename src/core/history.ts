import type { CampaignAction } from './actions.ts';
import type { AuditEvent } from './audit.ts';

/** One request as the audit trail tells it: who asked, who approved and ran it, how it ended. */
export interface HistoryEntry {
  requestId: string;
  action: CampaignAction;
  channel: string;
  requestedBy: string;
  reason: string | undefined;
  campaignIds: string[];
  requestedAt: number;
  approvedBy: string[];
  confirmedBy: string | undefined;
  end:
    | { kind: 'completed'; at: number; applied: number; failed: number; uncertain?: number }
    | { kind: 'cancelled'; at: number; by: string }
    | { kind: 'expired'; at: number }
    | { kind: 'open' };
}

export interface HistoryFilter {
  /** Requests that touched any of these campaigns. */
  campaignIds?: ReadonlySet<string>;
  /** Requests this person asked for, approved, confirmed or cancelled. */
  person?: string;
}

/**
 * The requests in an audit trail (oldest first, as stored), newest first, filtered. Pure. Events of a request
 * whose `requested` fell outside the window are left out: a history says who asked, or says nothing.
 */
export function historyOf(
  events: readonly (AuditEvent & { at: number })[],
  filter: HistoryFilter = {},
): HistoryEntry[] {
  const byId = new Map<string, HistoryEntry>();
  for (const e of events) {
    if (e.event === 'denied' || !('requestId' in e)) continue;
    if (e.event === 'requested') {
      byId.set(e.requestId, {
        requestId: e.requestId,
        action: e.action,
        channel: e.channel,
        requestedBy: e.requestedBy,
        reason: e.reason,
        campaignIds: e.campaignIds,
        requestedAt: e.at,
        approvedBy: [],
        confirmedBy: undefined,
        end: { kind: 'open' },
      });
      continue;
    }
    const entry = byId.get(e.requestId);
    if (!entry) continue;
    if (e.event === 'approved') entry.approvedBy.push(e.user);
    else if (e.event === 'confirmed') entry.confirmedBy = e.user;
    else if (e.event === 'completed')
      entry.end = {
        kind: 'completed',
        at: e.at,
        applied: e.applied,
        failed: e.failed,
        ...(e.uncertain ? { uncertain: e.uncertain } : {}),
      };
    else if (e.event === 'cancelled') entry.end = { kind: 'cancelled', at: e.at, by: e.user };
    else if (e.event === 'expired') entry.end = { kind: 'expired', at: e.at };
  }
  return [...byId.values()]
    .filter((h) => !filter.campaignIds || h.campaignIds.some((id) => filter.campaignIds?.has(id)))
    .filter(
      (h) =>
        !filter.person ||
        h.requestedBy === filter.person ||
        h.confirmedBy === filter.person ||
        h.approvedBy.includes(filter.person) ||
        (h.end.kind === 'cancelled' && h.end.by === filter.person),
    )
    .sort((a, b) => b.requestedAt - a.requestedAt);
}

/** `7d`, `12h`, `30m` as milliseconds, or undefined when it is none of those. */
export function parseSince(text: string): number | undefined {
  const m = /^(\d{1,4})([mhd])$/.exec(text.trim().toLowerCase());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
  return n > 0 ? n * unit : undefined;
}
