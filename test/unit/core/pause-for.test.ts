import { describe, expect, it } from 'vitest';
import {
  claimResume,
  markReminded,
  markResumeCreated,
  moveSchedule,
  parsePauseFor,
  resumeIdOf,
  resumeRequestOf,
  scheduleDueOf,
  scheduleOf,
} from '../../../src/core/pause-for.ts';
import type { CampaignActionRequest } from '../../../src/core/request.ts';
import { runDueOf } from '../../../src/core/run-journal.ts';

const T = Date.UTC(2026, 11, 1, 13, 0);
const H = 3_600_000;
const MIN = 60_000;

function pause(over: Partial<CampaignActionRequest> = {}): CampaignActionRequest {
  return {
    id: '11111111-2222-4333-8444-555555555555',
    action: 'PAUSE',
    campaignIds: ['a', 'b', 'c'],
    reason: 'INC-1',
    requestedBy: 'UALICE',
    channelId: 'C1',
    source: 'slash_command',
    grants: [{ rule: 'r', needed: 1, requesterMayApprove: false }],
    approvals: [{ by: 'UBOB', at: T, rules: ['r'] }],
    createdAt: T - MIN,
    expiresAt: T + 14 * MIN,
    messageTs: '1.1',
    state: 'confirmed',
    decidedBy: 'UBOB',
    decidedAt: T,
    pauseFor: { ms: 2 * H, text: 'for 2h' },
    result: {
      applied: 2,
      failed: 0,
      already: 1,
      completedAt: T,
      outcomes: [
        { campaignId: 'a', status: 'applied' },
        { campaignId: 'b', status: 'already' },
        { campaignId: 'c', status: 'applied' },
      ],
    },
    ...over,
  };
}

describe('parsePauseFor', () => {
  it.each([
    ['2h', 2 * H],
    ['30m', 30 * MIN],
    ['1d', 24 * H],
    ['1h30m', 90 * MIN],
    ['90min', 90 * MIN],
    ['7d', 7 * 24 * H],
  ])('reads for %s', (value, ms) => {
    expect(parsePauseFor('for', value, T)).toEqual({ ok: true, pauseFor: { ms, text: `for ${value}` } });
  });

  it.each(['2 hours', '', 'h', '30s', '0m', '8d', '-1h', '2h 30m'])('refuses for "%s"', (value) => {
    expect(parsePauseFor('for', value, T).ok).toBe(false);
  });

  it('reads until HH:MM as the next such time in the zone, today or tomorrow', () => {
    const later = parsePauseFor('until', '18:00', T);
    expect(later.ok && 'until' in later.pauseFor && later.pauseFor.until).toBe(Date.UTC(2026, 11, 1, 18, 0));
    const tomorrow = parsePauseFor('until', '09:30', T);
    expect(tomorrow.ok && 'until' in tomorrow.pauseFor && tomorrow.pauseFor.until).toBe(
      Date.UTC(2026, 11, 2, 9, 30),
    );
    // 18:00 in Berlin in December is 17:00 UTC; in Kolkata 12:30 UTC (past at 13:00: tomorrow's).
    const berlin = parsePauseFor('until', '18:00', T, 'Europe/Berlin');
    expect(berlin.ok && 'until' in berlin.pauseFor && berlin.pauseFor.until).toBe(
      Date.UTC(2026, 11, 1, 17, 0),
    );
    const kolkata = parsePauseFor('until', '18:00', T, 'Asia/Kolkata');
    expect(kolkata.ok && 'until' in kolkata.pauseFor && kolkata.pauseFor.until).toBe(
      Date.UTC(2026, 11, 2, 12, 30),
    );
  });

  it('reads until HH:MM across a change of the clocks as Temporal does: skipped times forward, repeated ones both', () => {
    const at = (now: string, v: string) => {
      const r = parsePauseFor('until', v, Date.parse(now), 'Europe/Berlin');
      return r.ok && 'until' in r.pauseFor ? new Date(r.pauseFor.until).toISOString() : r.ok;
    };
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST. At 01:45 CET, 02:30 does not exist: 03:30 CEST.
    expect(at('2026-03-29T00:45:00Z', '02:30')).toBe('2026-03-29T01:30:00.000Z');
    expect(at('2026-03-29T00:50:00Z', '02:55')).toBe('2026-03-29T01:55:00.000Z');
    expect(at('2026-03-29T00:45:00Z', '04:00')).toBe('2026-03-29T02:00:00.000Z');
    // 2026-10-25: 03:00 CEST goes back to 02:00 CET; at the first 02:30, the next 02:30 is the second one.
    expect(at('2026-10-25T00:30:00Z', '02:30')).toBe('2026-10-25T01:30:00.000Z');
    expect(at('2026-10-25T00:10:00Z', '02:30')).toBe('2026-10-25T00:30:00.000Z');
  });

  it('reads until an ISO time with a zone, and refuses one without, one past, or one too far', () => {
    const iso = parsePauseFor('until', '2026-12-02T06:00Z', T);
    expect(iso.ok && 'until' in iso.pauseFor && iso.pauseFor.until).toBe(Date.UTC(2026, 11, 2, 6, 0));
    expect(parsePauseFor('until', '2026-12-02T06:00', T).ok).toBe(false);
    expect(parsePauseFor('until', '2026-11-30T06:00Z', T).ok).toBe(false);
    expect(parsePauseFor('until', '2027-01-30T06:00Z', T).ok).toBe(false);
    expect(parsePauseFor('until', '25:00', T).ok).toBe(false);
    expect(parsePauseFor('until', '18:00', T, 'Mars/Olympus').ok).toBe(false);
  });
});

describe('the schedule of a PAUSE for a while', () => {
  it('is due at its reminder, then at its RESUME, of exactly the ids it applied', () => {
    const r = pause();
    expect(scheduleOf(r)).toEqual({ at: T + 2 * H, remindAt: T + 2 * H - 10 * MIN, ids: ['a', 'c'] });
    expect(runDueOf(r)).toBe(T + 2 * H - 10 * MIN);
    const reminded = markReminded(r, T + 2 * H - 9 * MIN).next as CampaignActionRequest;
    expect(markReminded(reminded, T + 2 * H - 8 * MIN).value).toBe(false);
    expect(runDueOf(reminded)).toBe(T + 2 * H);
    expect(markReminded(r, T).value).toBe(false);
  });

  it('has no reminder when it lasts ten minutes or less, and nothing due when nothing was applied', () => {
    expect(scheduleOf(pause({ pauseFor: { ms: 10 * MIN, text: 'for 10m' } }))?.remindAt).toBeUndefined();
    const none = pause({
      result: { applied: 0, failed: 1, completedAt: T, outcomes: [{ campaignId: 'a', status: 'failed' }] },
    });
    expect(scheduleOf(none)).toBeUndefined();
    expect(runDueOf(none)).toBeUndefined();
    // Before it has run, the run is what is due.
    expect(runDueOf(pause({ result: undefined }))).toBe(0);
    // Not for a while, or not a PAUSE: nothing.
    const { pauseFor: _p, ...plain } = pause();
    expect(scheduleDueOf(plain)).toBeUndefined();
    expect(scheduleDueOf(pause({ action: 'RESUME' }))).toBeUndefined();
  });

  it('claims the RESUME once it is due, under an id every replica derives alike; then nothing is due', () => {
    const r = pause();
    expect(claimResume(r, T + H).value).toBeUndefined();
    const claimed = claimResume(r, T + 2 * H);
    expect(claimed.value).toBe(resumeIdOf(r.id));
    expect(resumeIdOf(r.id)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    const next = claimed.next as CampaignActionRequest;
    // Claimed but not yet stored: still due, so a crash here is repeated by whoever comes next.
    expect(runDueOf(next)).toBe(T + 2 * H);
    expect(claimResume(next, T + 3 * H)).toEqual({ value: resumeIdOf(r.id) });
    const created = markResumeCreated(next).next as CampaignActionRequest;
    expect(runDueOf(created)).toBeUndefined();
    expect(markResumeCreated(created).value).toBe(false);
  });

  it('Keep paused calls it off, and is refused once the RESUME has been claimed', () => {
    const kept = moveSchedule(pause(), 'keep', 'UBOB', T + H);
    expect(kept.value).toBe(true);
    expect(runDueOf(kept.next as CampaignActionRequest)).toBeUndefined();
    expect(moveSchedule(kept.next as CampaignActionRequest, 'keep', 'UCAROL', T + H).value).toBe('kept');
    expect(moveSchedule(kept.next as CampaignActionRequest, 'now', 'UCAROL', T + H).value).toBe('kept');
    const claimed = claimResume(pause(), T + 2 * H).next as CampaignActionRequest;
    expect(moveSchedule(claimed, 'keep', 'UBOB', T + 2 * H).value).toBe('already_resuming');
  });

  it('Resume now makes it due at once, and the RESUME says who brought it forward', () => {
    const moved = moveSchedule(pause(), 'now', 'UCAROL', T + H).next as CampaignActionRequest;
    expect(scheduleOf(moved)?.at).toBe(T + H);
    expect(runDueOf(moved)).toBeLessThanOrEqual(T + H);
    const resume = resumeRequestOf(moved, resumeIdOf(moved.id), T + H);
    expect(resume).toMatchObject({
      action: 'RESUME',
      campaignIds: ['a', 'c'],
      state: 'confirmed',
      decidedBy: 'UCAROL',
      source: 'scheduled_resume',
      scheduledBy: moved.id,
      channelId: 'C1',
    });
    expect(resume.reason).toContain('end of the pause for 2h');
    expect(runDueOf(resume)).toBe(0);
  });

  it('until a time already passed when the PAUSE finished resumes at once', () => {
    const r = pause({ pauseFor: { until: T - MIN, text: 'until 12:59' } });
    expect(scheduleOf(r)?.at).toBe(T);
    expect(scheduleOf(r)?.remindAt).toBeUndefined();
  });
});
