import type { CampaignAction, CampaignOutcome } from './actions.ts';

/**
 * What MoEngage's campaign search says about a campaign, and what that means for an action on it: the look
 * the bot takes before a confirmation (so people confirm names, not opaque ids) and after a run whose answers
 * were uncertain. Pure.
 */
export interface CampaignInfo {
  id: string;
  name: string;
  /** PUSH, EMAIL, … as MoEngage spells it. */
  channel: string | undefined;
  /** ONE_TIME, PERIODIC, EVENT_TRIGGERED, … */
  deliveryType: string | undefined;
  /** Upper case (MoEngage's examples answer "Active", its enum says ACTIVE). */
  status: string;
  /** Where the search says (the catalog keeps them; a confirmation does not need them). */
  tags?: string[];
  flow?: { id: string; name?: string };
}

/** unknown: MoEngage has no such campaign; already: it is in the target state; ineligible: the action cannot apply. */
export type LookupFlag = 'unknown' | 'already' | 'ineligible';

export interface Flagged {
  flag: LookupFlag;
  reason: string;
}

/** A request's look at its campaigns, recorded before anyone confirms (or why there is none). */
export type RequestLookup =
  /** Asked for when the request was proposed; the confirmation says so until it is recorded. */
  | { state: 'pending'; etaMs?: number }
  | {
      state: 'done';
      at: number;
      campaigns: Record<string, CampaignInfo>;
      /** Ids not to send, and why. Confirming applies to the others only. */
      flagged: Record<string, Flagged>;
    }
  | { state: 'unavailable'; at: number; note: string };

export const TARGET_STATUS: Record<CampaignAction, string> = {
  PAUSE: 'PAUSED',
  RESUME: 'ACTIVE',
  STOP: 'STOPPED',
};

const PAST: Record<CampaignAction, string> = { PAUSE: 'paused', RESUME: 'active', STOP: 'stopped' };
const RECURRING = [
  'PERIODIC',
  'EVENT_TRIGGERED',
  'BUSINESS_EVENT_TRIGGERED',
  'DEVICE_TRIGGERED',
  'LOCATION_TRIGGERED',
];
const ENDED = ['STOPPED', 'SENT', 'ARCHIVED', 'RETIRED', 'EXPIRED'];

export interface JudgeRules {
  /** V5 stops a one-time campaign that is active, scheduled, paused or sending; V1 only a scheduled one. */
  stopBeyondScheduled: boolean;
}

/**
 * Whether `action` can apply to the campaign as MoEngage describes it: undefined when it can (or when the
 * documented rules do not decide it: MoEngage then says), or the flag and a reason a person reads. The rules
 * are MoEngage's documented transitions (shared/MOENGAGE-API.md); a delivery type or status they do not name
 * is left to MoEngage rather than refused here.
 */
export function judge(
  action: CampaignAction,
  info: CampaignInfo | undefined,
  rules: JudgeRules,
): Flagged | undefined {
  if (!info) return { flag: 'unknown', reason: 'MoEngage has no campaign with this id' };
  const status = info.status.toUpperCase();
  const type = info.deliveryType?.toUpperCase();
  const is = `it is ${status.toLowerCase()}${type ? ` (${type.toLowerCase().replace(/_/g, '-')})` : ''}`;
  if (status === TARGET_STATUS[action]) return { flag: 'already', reason: `already ${PAST[action]}` };
  if (ENDED.includes(status)) return { flag: 'ineligible', reason: `${is}: an ended campaign cannot change` };
  switch (action) {
    case 'STOP':
      if (type && type !== 'ONE_TIME') {
        return { flag: 'ineligible', reason: `STOP applies to one-time campaigns; ${is} (pause it instead)` };
      }
      if (!rules.stopBeyondScheduled && status !== 'SCHEDULED') {
        return { flag: 'ineligible', reason: `the V1 API stops only scheduled one-time campaigns; ${is}` };
      }
      return undefined;
    case 'PAUSE':
      if (type === 'ONE_TIME') {
        return { flag: 'ineligible', reason: `only periodic and triggered campaigns can be paused; ${is}` };
      }
      return undefined;
    case 'RESUME':
      if (type === 'ONE_TIME') {
        return { flag: 'ineligible', reason: `only periodic and triggered campaigns can be resumed; ${is}` };
      }
      if (type && RECURRING.includes(type) && status !== 'PAUSED') {
        return { flag: 'ineligible', reason: `only a paused campaign can be resumed; ${is}` };
      }
      return undefined;
  }
}

/** The look recorded for a request: each id's campaign (when found) and the ids flagged not to send. */
export function lookupOf(
  action: CampaignAction,
  ids: readonly string[],
  found: ReadonlyMap<string, CampaignInfo>,
  rules: JudgeRules,
  at: number,
): RequestLookup {
  const campaigns: Record<string, CampaignInfo> = {};
  const flagged: Record<string, Flagged> = {};
  for (const id of ids) {
    const info = found.get(id);
    if (info) campaigns[id] = info;
    const verdict = judge(action, info, rules);
    if (verdict) flagged[id] = verdict;
  }
  return { state: 'done', at, campaigns, flagged };
}

/** The ids a confirmation applies to: all of them, less those its lookup flagged. */
export function sendableIds(ids: readonly string[], lookup: RequestLookup | undefined): string[] {
  if (lookup?.state !== 'done') return [...ids];
  return ids.filter((id) => lookup.flagged[id] === undefined);
}

/** The outcomes of flagged ids, which are never sent: "already" ones count as done, the others as skipped. */
export function flaggedOutcomes(
  ids: readonly string[],
  lookup: RequestLookup | undefined,
): CampaignOutcome[] {
  if (lookup?.state !== 'done') return [];
  return ids.flatMap((campaignId): CampaignOutcome[] => {
    const f = lookup.flagged[campaignId];
    if (!f) return [];
    if (f.flag === 'already')
      return [{ campaignId, status: 'already', requestId: undefined, attempts: 0, seen: 'before' }];
    return [
      { campaignId, status: 'skipped', requestId: undefined, attempts: 0, flag: f.flag, reason: f.reason },
    ];
  });
}

/** "87 active · 9 already paused · 4 unknown": how a long list is summed up on the confirmation. */
export function lookupCounts(ids: readonly string[], lookup: RequestLookup): { label: string; n: number }[] {
  if (lookup.state !== 'done') return [];
  const counts = new Map<string, number>();
  for (const id of ids) {
    const f = lookup.flagged[id];
    const info = lookup.campaigns[id];
    const label = f
      ? f.flag === 'ineligible'
        ? 'not eligible'
        : f.flag === 'already'
          ? f.reason
          : 'unknown'
      : (info?.status.toLowerCase() ?? 'unknown');
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([label, n]) => ({ label, n }));
}

/** Failures that say nothing of the campaign itself: nothing was sent, or the credentials were refused. */
const UNSENT_KINDS = ['cancelled', 'unauthorized', 'internal', 'moengage_error'];

/**
 * Which outcomes a lookup can settle: every uncertain one, and every failed id that reached MoEngage and was not
 * plainly applied. A refusal may only mean the campaign was in that state already; an answer that never came (a
 * timeout, a reset, a 5xx, a give-up) may hide a change MoEngage made.
 */
export function needsCheck(o: CampaignOutcome): boolean {
  if (o.status === 'uncertain') return true;
  if (o.status !== 'failed' || o.requestId === undefined || UNSENT_KINDS.includes(o.error.kind)) return false;
  // A 429 or a 503 refuses the request; only an earlier send of it without an answer (a timeout, say) may have
  // applied it, and the client then reports it uncertain (or, in older records, marks it).
  const refused = o.error.kind === 'rate_limited' || o.error.httpStatus === 503;
  return !refused || o.uncertain === true;
}

/**
 * Whether the id's sends may have applied though no answer said so: a send without a trustworthy answer (the
 * client marks it), a final error that is itself such a send, or a chunk sent again after a takeover. Retries
 * after a 429 and the splits of a refusal are not: each of those had a clear answer.
 */
function uncertain(o: Extract<CampaignOutcome, { status: 'failed' }>, sentTwice: boolean): boolean {
  return sentTwice || o.uncertain === true || ['timeout', 'network', 'server_error'].includes(o.error.kind);
}

/**
 * An outcome to settle, checked against what MoEngage's search shows now. In the target state, it was applied
 * (when an answer was uncertain: "confirmed by lookup") or was so already (a plain refusal). Otherwise a
 * failure stays one, saying what MoEngage shows, and an uncertain one is known not applied: it becomes a
 * failure ("Retry failed" may offer it). When the search could not be asked, everything stays as it was, saying
 * so: an uncertain id "may have been applied".
 */
export function checkedOutcome(
  action: CampaignAction,
  o: CampaignOutcome,
  seen: { ok: true; info: CampaignInfo | undefined } | { ok: false; why: string },
  sentTwice = false,
): CampaignOutcome {
  if ((o.status !== 'failed' && o.status !== 'uncertain') || !needsCheck(o)) return o;
  if (!seen.ok)
    return { ...o, error: { ...o.error, message: `${o.error.message} (not checked: ${seen.why})` } };
  const status = seen.info?.status.toUpperCase();
  if (status === TARGET_STATUS[action]) {
    if ((o.status === 'uncertain' || uncertain(o, sentTwice)) && o.requestId) {
      return {
        campaignId: o.campaignId,
        status: 'applied',
        requestId: o.requestId,
        attempts: o.attempts,
        confirmed: 'lookup',
      };
    }
    return {
      campaignId: o.campaignId,
      status: 'already',
      requestId: o.requestId,
      attempts: o.attempts,
      seen: 'after',
    };
  }
  const shows = status ? `MoEngage shows it ${status.toLowerCase()}` : 'MoEngage does not find it';
  if (o.status === 'uncertain') {
    return {
      campaignId: o.campaignId,
      status: 'failed',
      requestId: o.requestId,
      attempts: o.attempts,
      error: { ...o.error, message: `${o.error.message}; checked: not applied (${shows})` },
      checked: true,
    };
  }
  return { ...o, error: { ...o.error, message: `${o.error.message} (${shows})` }, checked: true };
}
