import { describe, expect, it } from 'vitest';
import { DONE, type FaultRunInput, reportedOutcomes, tallyFaultRun } from '../../../bench/fault-tally.ts';

const ids = ['c1', 'c2', 'c3', 'c4'];
const section = (lines: string[]) => ({ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } });
const results = (lines: string[], text = 'Results: 4 paused (2 MoEngage requests, 1.0 s)') => ({
  text,
  blocks: [{ type: 'context', elements: [] }, section(lines)],
});
const summary = (at: number) => ({ text: '4 paused', blocks: [section([`*4 paused* · ${DONE}`])], at });
const arrival = (at: number, requestId: string, campaignIds: string[], status = 200) => ({
  at,
  requestId,
  campaignIds,
  status,
  outcome:
    status === 200
      ? ('applied' as const)
      : status === 429
        ? ('rate_limited' as const)
        : ('rejected' as const),
});

/** A clean run: two chunks, one each side of a fault from t=100 to t=200, reported once. */
function cleanRun(): FaultRunInput {
  return {
    ids,
    arrivals: [arrival(50, 'r1', ['c1', 'c2']), arrival(260, 'r2', ['c3', 'c4'])],
    paused: new Set(ids),
    parentVersions: [{ text: 'confirm?', blocks: [], at: 0 }, summary(300)],
    thread: [results(ids.map((id) => `:white_check_mark: \`${id}\` paused`))],
    clickedAt: 10,
    faultAt: 100,
    faultEndAt: 200,
  };
}

describe('tallying a faulted run', () => {
  it('finds nothing wrong with a run where every id was applied once and reported once', () => {
    const t = tallyFaultRun(cleanRun());
    expect(t).toMatchObject({
      idsLost: 0,
      idsSentTwice: 0,
      idsAppliedTwice: 0,
      idsReportedWrongly: 0,
      recoverMs: 60,
      longestSilenceMs: 210,
      totalMs: 290,
      summaries: 1,
      resultReports: 1,
      reportedOnce: true,
      summaryApplied: 4,
      retryOffered: 0,
      summaryTrue: true,
    });
  });

  it('calls a summary untrue that counts other than MoEngage applied, or offers to retry applied ids', () => {
    const run = cleanRun();
    run.paused = new Set(['c1', 'c2', 'c3']);
    run.parentVersions = [
      {
        text: 'Pause 4 MoEngage campaigns: 2 paused, 2 failed',
        blocks: [
          section([`*2 paused, 2 failed* · ${DONE}`]),
          { type: 'actions', elements: [{ text: 'Retry failed (2)' }] },
        ],
        at: 300,
      },
    ];
    expect(tallyFaultRun(run)).toMatchObject({ summaryApplied: 2, retryOffered: 2, summaryTrue: false });
    run.parentVersions = [{ ...summary(300), text: 'Pause 4 MoEngage campaigns: 3 paused, 1 failed' }];
    (run.parentVersions[0] as { blocks: unknown[] }).blocks.push({
      type: 'actions',
      elements: [{ text: 'Retry failed (1)' }],
    });
    expect(tallyFaultRun(run)).toMatchObject({ summaryApplied: 3, retryOffered: 1, summaryTrue: true });
  });

  it('counts an id never paused and an id missing from the thread as lost, once each', () => {
    const run = cleanRun();
    run.paused = new Set(['c1', 'c2', 'c3']);
    run.thread = [results(['c1', 'c2', 'c4'].map((id) => `:white_check_mark: \`${id}\` paused`))];
    const t = tallyFaultRun(run);
    expect(t).toMatchObject({ idsLost: 2, notPaused: 1, missingFromResults: 1 });
    expect(t.wrongly.appliedButNot).toEqual(['c4']);
  });

  it('counts a request_id that got through twice, and not one that was only refused with 429', () => {
    const run = cleanRun();
    run.arrivals = [
      arrival(50, 'r1', ['c1', 'c2'], 429),
      arrival(60, 'r1', ['c1', 'c2']),
      arrival(250, 'r2', ['c3', 'c4']),
      arrival(270, 'r2', ['c3', 'c4'], 400),
    ];
    const t = tallyFaultRun(run);
    expect(t).toMatchObject({ requestIdsSentTwice: 1, idsSentTwice: 2, idsAppliedTwice: 0, rateLimited: 1 });
  });

  it('calls an applied id reported failed or not sent wrong, and an uncertain one honest', () => {
    const run = cleanRun();
    run.thread = [
      results([
        ':x: `c1` failed: MoEngage did not answer',
        ':heavy_minus_sign: `c2` not sent: Not sent to MoEngage',
        ':grey_question: `c3` may have been applied: check in MoEngage',
        ':ballot_box_with_check: `c4` already paused',
      ]),
    ];
    const t = tallyFaultRun(run);
    expect(t.wrongly).toEqual({ failedButApplied: ['c1'], notSentButApplied: ['c2'], appliedButNot: [] });
    expect(t).toMatchObject({ idsReportedWrongly: 2, saidUncertain: 1, saidAlready: 1, idsLost: 0 });
  });

  it('says a run was not reported once when its results went to the thread twice or never', () => {
    const twice = cleanRun();
    twice.thread = [...twice.thread, ...twice.thread];
    expect(tallyFaultRun(twice).reportedOnce).toBe(false);
    const never = cleanRun();
    never.parentVersions = [{ text: 'running…', blocks: [], at: 0 }];
    never.thread = [];
    const t = tallyFaultRun(never);
    expect(t).toMatchObject({
      reportedOnce: false,
      totalMs: undefined,
      idsLost: 4,
      summaryText: '(no summary)',
    });
  });

  it('reads a report split over several replies as one report', () => {
    const split = reportedOutcomes([
      results(
        [':white_check_mark: `c1` paused'],
        'Results: 2 paused (1 MoEngage request, 1.0 s) — part 1 of 2',
      ),
      results(
        [':white_check_mark: `c2` paused'],
        'Results: 2 paused (1 MoEngage request, 1.0 s) — part 2 of 2',
      ),
    ]);
    expect(split.reports).toBe(1);
    expect([...split.byId.keys()]).toEqual(['c1', 'c2']);
  });

  it('has no recovery time when nothing reached MoEngage after the fault ended', () => {
    const run = cleanRun();
    run.arrivals = [arrival(50, 'r1', ['c1', 'c2', 'c3', 'c4'])];
    expect(tallyFaultRun(run).recoverMs).toBeUndefined();
  });
});
