import { createHash } from 'node:crypto';
import type { CampaignActionRequest, PauseFor } from './request.ts';

/**
 * `pause <ids> for 2h` (also `30m`, `1d`, `1h30m`, `until 18:00`, `until 2026-12-24T06:00Z`): the PAUSE carries
 * when its RESUME is due, and that RESUME is of exactly the campaigns the PAUSE applied. The schedule lives on
 * the PAUSE request itself, so the stores' one index of due work (see `runDueOf`) says when it is due, it
 * survives restarts, and each of its steps is a compare-and-set on that request: once across replicas. Pure.
 */

export type { PauseFor, ResumeSchedule } from './request.ts';

export const MIN_PAUSE_MS = 60_000;
export const MAX_PAUSE_MS = 7 * 86_400_000;
/** The reminder comes this long before the RESUME (when the pause lasts longer than that). */
export const REMIND_BEFORE_MS = 10 * 60_000;

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Reads `for <duration>` or `until <time>` (the words after the ids). `HH:MM` is the next such time in `timeZone`
 * (an IANA name; UTC by default); an ISO time with a zone is taken as it is. Undefined with a message when the
 * words cannot be read or the pause would be shorter than a minute or longer than seven days.
 */
export function parsePauseFor(
  word: 'for' | 'until',
  value: string,
  now: number,
  timeZone = 'UTC',
): { ok: true; pauseFor: PauseFor } | { ok: false; message: string } {
  const text = `${word} ${value}`;
  if (word === 'for') {
    const parts = /^(?:(\d{1,3})d)?(?:(\d{1,4})h)?(?:(\d{1,5})m(?:in)?)?$/i.exec(value.trim());
    if (!parts || value.trim() === '') {
      return { ok: false, message: `Say how long as \`for 2h\`, \`for 30m\`, \`for 1d\` or \`for 1h30m\`.` };
    }
    const ms =
      Number(parts[1] ?? 0) * UNIT_MS.d +
      Number(parts[2] ?? 0) * UNIT_MS.h +
      Number(parts[3] ?? 0) * UNIT_MS.m;
    const bad = bounds(ms);
    return bad ? { ok: false, message: bad } : { ok: true, pauseFor: { ms, text } };
  }
  const until = untilTime(value.trim(), now, timeZone);
  if (until === undefined) {
    return {
      ok: false,
      message: `Say when as \`until 18:00\` (${timeZone}) or \`until 2026-12-24T06:00Z\`.`,
    };
  }
  const bad = bounds(until - now);
  return bad ? { ok: false, message: bad } : { ok: true, pauseFor: { until, text } };
}

function bounds(ms: number): string | undefined {
  if (ms < MIN_PAUSE_MS) return 'A pause for a while lasts at least a minute.';
  if (ms > MAX_PAUSE_MS)
    return 'A pause for a while lasts seven days at most; pause without `for` to pause for good.';
  return undefined;
}

function untilTime(value: string, now: number, timeZone: string): number | undefined {
  const clock = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (clock) {
    // The next HH:MM on the wall clock of `timeZone`: today's, or tomorrow's once today's has passed.
    const hh = Number(clock[1]);
    const mm = Number(clock[2]);
    const offset = zoneOffsetMs(now, timeZone);
    if (offset === undefined) return undefined;
    const local = new Date(now + offset);
    for (let day = 0; day <= 1; day++) {
      const y = local.getUTCFullYear();
      const next = wallTimes(y, local.getUTCMonth(), local.getUTCDate() + day, hh, mm, timeZone).find(
        (at) => at > now,
      );
      if (next !== undefined) return next;
    }
    return undefined;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

/**
 * The instants `timeZone`'s wall clock reads HH:MM on that day, earliest first, as Temporal's "compatible"
 * disambiguation reads them: a time that happens twice (clocks go back) is both; a time the clock skips (clocks
 * go forward) is moved forward by the gap (02:30 becomes 03:30).
 */
function wallTimes(y: number, m: number, d: number, hh: number, mm: number, timeZone: string): number[] {
  const wall = Date.UTC(y, m, d, hh, mm);
  const before = zoneOffsetMs(wall - 12 * 3_600_000, timeZone);
  const after = zoneOffsetMs(wall + 12 * 3_600_000, timeZone);
  if (before === undefined || after === undefined) return [];
  const fits = [wall - before, wall - after].filter(
    (at, i) => zoneOffsetMs(at, timeZone) === (i === 0 ? before : after),
  );
  return fits.length > 0 ? [...new Set(fits)].sort((a, b) => a - b) : [wall - before];
}

/** How far `timeZone`'s wall clock is ahead of UTC at `at`; undefined for a zone the runtime does not know. */
export function zoneOffsetMs(at: number, timeZone: string): number | undefined {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    }).formatToParts(new Date(at));
  } catch {
    return undefined;
  }
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - (at - (at % 1000));
}

/** When the RESUME of a finished PAUSE is due, and whether its reminder is; undefined when nothing is scheduled. */
export function scheduleOf(
  r: CampaignActionRequest,
): { at: number; remindAt: number | undefined; ids: string[] } | undefined {
  const pauseFor = r.pauseFor;
  if (!pauseFor || r.action !== 'PAUSE' || r.state !== 'confirmed' || !r.result) return undefined;
  const ids = r.result.outcomes.filter((o) => o.status === 'applied').map((o) => o.campaignId);
  if (ids.length === 0 || r.resume?.kept || r.resume?.created || r.resume?.refused) return undefined;
  const planned = 'ms' in pauseFor ? r.result.completedAt + pauseFor.ms : pauseFor.until;
  const at = Math.max(r.result.completedAt, r.resume?.at ?? planned);
  const remind =
    !r.resume?.remindedAt && !r.resume?.requestId && at - r.result.completedAt > REMIND_BEFORE_MS
      ? at - REMIND_BEFORE_MS
      : undefined;
  return { at, remindAt: remind, ids };
}

/** The next time something is due on a scheduled PAUSE: its reminder, then its RESUME. */
export function scheduleDueOf(r: CampaignActionRequest): number | undefined {
  const s = scheduleOf(r);
  return s ? (s.remindAt ?? s.at) : undefined;
}

/** The RESUME request's id: derived from the PAUSE's, so every replica that gets there names the same one. */
export function resumeIdOf(pauseId: string): string {
  const h = createHash('sha256').update(`resume-of:${pauseId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export type ScheduleStep<T> = { next?: CampaignActionRequest; value: T };

/** Marks the reminder posted; false when it was (or is no longer due). */
export function markReminded(r: CampaignActionRequest, now: number): ScheduleStep<boolean> {
  const s = scheduleOf(r);
  if (!s || s.remindAt === undefined || now < s.remindAt) return { value: false };
  return { next: { ...r, resume: { ...r.resume, remindedAt: now } }, value: true };
}

/** Claims the RESUME (its id), once it is due; the claim holds against "Keep paused" from then on. */
export function claimResume(
  r: CampaignActionRequest,
  now: number,
  /** Ids a freeze covers now: they stay paused (said in the thread). */
  frozen: readonly string[] = [],
): ScheduleStep<string | undefined> {
  const s = scheduleOf(r);
  if (!s || now < s.at) return { value: undefined };
  if (r.resume?.requestId) return { value: r.resume.requestId };
  const requestId = resumeIdOf(r.id);
  const resume = { ...r.resume, requestId, ...(frozen.length > 0 ? { frozen: [...frozen] } : {}) };
  return { next: { ...r, resume }, value: requestId };
}

/** The RESUME will not run (the policy refuses it now, or a freeze covers all of it); false once claimed or said. */
export function refuseResume(r: CampaignActionRequest, why: string): ScheduleStep<boolean> {
  if (r.resume?.requestId || r.resume?.refused) return { value: false };
  return { next: { ...r, resume: { ...r.resume, refused: why } }, value: true };
}

/** The RESUME is stored: the PAUSE has nothing due any more. */
export function markResumeCreated(r: CampaignActionRequest): ScheduleStep<boolean> {
  if (!r.resume?.requestId || r.resume.created) return { value: false };
  return { next: { ...r, resume: { ...r.resume, created: true } }, value: true };
}

export type ScheduleRefusal = 'nothing_scheduled' | 'already_resuming' | 'kept';

/**
 * "Keep paused" (`keep`: the RESUME will not happen) or "Resume now" (`now`: it becomes due at once). Refused
 * once the RESUME has been claimed (it is running or has run), or once someone chose to keep them paused.
 */
export function moveSchedule(
  r: CampaignActionRequest,
  change: 'keep' | 'now',
  by: string,
  now: number,
): ScheduleStep<true | ScheduleRefusal> {
  if (r.resume?.kept) return { value: 'kept' };
  if (r.resume?.requestId) return { value: 'already_resuming' };
  if (!scheduleOf(r)) return { value: 'nothing_scheduled' };
  const resume = change === 'keep' ? { ...r.resume, kept: { by, at: now } } : { ...r.resume, at: now, by };
  return { next: { ...r, resume }, value: true };
}

/**
 * The RESUME a PAUSE scheduled: of exactly the ids it applied, in its channel, confirmed already (approved when
 * the PAUSE was, under the same grants), its run due at once.
 */
export function resumeRequestOf(
  pause: CampaignActionRequest,
  id: string,
  now: number,
): CampaignActionRequest {
  const frozen = new Set(pause.resume?.frozen ?? []);
  const ids =
    pause.result?.outcomes
      .filter((o) => o.status === 'applied' && !frozen.has(o.campaignId))
      .map((o) => o.campaignId) ?? [];
  const how = pause.pauseFor?.text ?? '';
  return {
    id,
    action: 'RESUME',
    campaignIds: ids,
    reason: `end of the pause ${how} (request ${pause.id})${pause.reason ? `: ${pause.reason}` : ''}`,
    requestedBy: pause.requestedBy,
    ...(pause.onBehalfOf ? { onBehalfOf: pause.onBehalfOf } : {}),
    channelId: pause.channelId,
    source: 'scheduled_resume',
    grants: pause.grants,
    approvals: pause.approvals,
    createdAt: now,
    expiresAt: now,
    messageTs: undefined,
    state: 'confirmed',
    decidedBy: pause.resume?.by ?? pause.decidedBy,
    decidedAt: now,
    scheduledBy: pause.id,
  };
}
