import type { RecordedRequest } from '../src/sandbox/moengage-sim.ts';
import type { MessageVersion, SlackBlock } from '../src/sandbox/slack-sim.ts';
import { maxInWindow } from '../src/sandbox/windows.ts';

/**
 * What one faulted run did, counted from what the simulators saw (pure: plain data in, numbers out). The truth is
 * MoEngage's side (which campaigns ended PAUSED, which request_ids arrived how often); what people were told is
 * Slack's side (the summary on the confirmation, the per-campaign lines in the thread). A fault is survived when
 * the two agree for every id, each id went out once (bar what was in flight), and the run was reported once.
 */

/** The summary that closes a run carries this; a run without it was never reported. */
export const DONE = 'details in the thread';

/** What the thread said of one id (the icon of its line in src/slack/views/results.ts, or the words after the id). */
export type Reported = 'applied' | 'already' | 'not_sent' | 'failed' | 'uncertain' | 'other';

const ICONS: Record<string, Reported> = {
  ':white_check_mark:': 'applied',
  ':ballot_box_with_check:': 'already',
  ':heavy_minus_sign:': 'not_sent',
  ':x:': 'failed',
};
const LINE = /^(:[a-z0-9_+-]+:) `([^`]+)`(.*)$/;

type Message = { text: string; blocks?: SlackBlock[] | undefined };

/** Part 1 (or the only part) of a run's results in the thread: one per report. */
function isFirstResultsPart(m: Message): boolean {
  if (!m.text.startsWith('Results:')) return false;
  const part = /— part (\d+) of \d+$/.exec(m.text);
  return part === null || part[1] === '1';
}

/**
 * Every id's outcome as the thread's "Results:" replies state it (the last report wins when there are several),
 * and how many reports (first parts) there were.
 */
export function reportedOutcomes(thread: readonly Message[]): {
  byId: Map<string, Reported>;
  reports: number;
} {
  const byId = new Map<string, Reported>();
  let reports = 0;
  for (const m of thread) {
    if (!m.text.startsWith('Results:')) continue;
    if (isFirstResultsPart(m)) reports += 1;
    for (const block of m.blocks ?? []) {
      const text = (block.text as { text?: unknown } | undefined)?.text;
      if (block.type !== 'section' || typeof text !== 'string') continue;
      for (const line of text.split('\n')) {
        const hit = LINE.exec(line);
        if (!hit) continue;
        const [, icon = '', id = '', rest = ''] = hit;
        // Words beat icons: an outcome the bot cannot know is said in words, whatever icon it gets.
        byId.set(
          id,
          /may have been applied|outcome unknown/i.test(rest) ? 'uncertain' : (ICONS[icon] ?? 'other'),
        );
      }
    }
  }
  return { byId, reports };
}

export interface FaultRunInput {
  ids: readonly string[];
  /** The simulator's status requests, every arrival (429s included). */
  arrivals: readonly Pick<RecordedRequest, 'at' | 'requestId' | 'campaignIds' | 'status' | 'outcome'>[];
  /** Ids PAUSED at the simulator at the end (all were ACTIVE at the start). */
  paused: ReadonlySet<string>;
  /** The confirmation's versions, oldest first (the simulator's `versions`). */
  parentVersions: readonly MessageVersion[];
  /** Its thread replies. */
  thread: readonly Message[];
  /** Epoch ms (the simulators' clock): the Confirm click, the fault injected, the fault over. */
  clickedAt: number;
  faultAt: number;
  faultEndAt: number;
}

export interface FaultTally {
  /** Not PAUSED at the simulator, or with no line in the thread's results (either is lost to someone). */
  idsLost: number;
  notPaused: number;
  missingFromResults: number;
  /** request_ids that got past the gateway (not 429) more than once, the ids they carried, those applied twice. */
  requestIdsSentTwice: number;
  idsSentTwice: number;
  idsAppliedTwice: number;
  /** The thread says failed / not sent of an id MoEngage applied, or applied of one it did not. */
  idsReportedWrongly: number;
  wrongly: { failedButApplied: string[]; notSentButApplied: string[]; appliedButNot: string[] };
  /** Said "already paused" though every id was ACTIVE before the run (this run paused it): imprecise, not wrong. */
  saidAlready: number;
  /** Said "may have been applied" (honest when the bot cannot know). */
  saidUncertain: number;
  /** From the fault's end to the next status request arriving (undefined: none arrived after it). */
  recoverMs: number | undefined;
  /** The longest gap between status requests from the fault on (from the one before it to the last one). */
  longestSilenceMs: number;
  /** Click to the first version of the confirmation carrying the summary (undefined: never reported). */
  totalMs: number | undefined;
  /** Versions of the confirmation that turned it into a summary, and "Results:" reports in the thread. */
  summaries: number;
  resultReports: number;
  reportedOnce: boolean;
  summaryText: string;
  /** The summary's "N paused", and the ids its "Retry failed (N)" button offers (0 without one). */
  summaryApplied: number | undefined;
  retryOffered: number;
  /** The summary counts what MoEngage applied, and Retry offers exactly the ids it did not. */
  summaryTrue: boolean;
  arrivals: number;
  rateLimited: number;
  maxPer1s: number;
  maxPer60s: number;
}

export function tallyFaultRun(input: FaultRunInput): FaultTally {
  const { ids, arrivals, paused } = input;
  const { byId, reports } = reportedOutcomes(input.thread);
  const notPaused = ids.filter((id) => !paused.has(id));
  const missing = ids.filter((id) => !byId.has(id));

  // Past the gateway: a 429 is refused before anything happens, so its repeat is a retry, not a second send.
  const passed = arrivals.filter((r) => r.status !== 429);
  const byRequest = new Map<string, typeof passed>();
  for (const r of passed) {
    const key = r.requestId ?? `(none)#${r.at}`;
    byRequest.set(key, [...(byRequest.get(key) ?? []), r]);
  }
  const twice = [...byRequest.values()].filter((list) => list.length > 1);
  const sentTwice = new Set(twice.flatMap((list) => list[0]?.campaignIds ?? []));
  const appliedCount = new Map<string, number>();
  for (const r of passed) {
    if (r.outcome !== 'applied' && r.outcome !== 'dropped') continue;
    for (const id of r.campaignIds ?? []) appliedCount.set(id, (appliedCount.get(id) ?? 0) + 1);
  }
  const appliedTwice = [...appliedCount.values()].filter((n) => n > 1).length;

  const said = (what: Reported) => ids.filter((id) => byId.get(id) === what);
  const wrongly = {
    failedButApplied: said('failed').filter((id) => paused.has(id)),
    notSentButApplied: said('not_sent').filter((id) => paused.has(id)),
    appliedButNot: said('applied').filter((id) => !paused.has(id)),
  };

  const times = arrivals.map((r) => r.at).sort((a, b) => a - b);
  const next = times.find((t) => t >= input.faultEndAt);
  const fromFault = [
    ...times.filter((t) => t < input.faultAt).slice(-1),
    ...times.filter((t) => t >= input.faultAt),
  ];
  let longestSilenceMs = 0;
  for (let i = 1; i < fromFault.length; i++) {
    longestSilenceMs = Math.max(longestSilenceMs, (fromFault[i] as number) - (fromFault[i - 1] as number));
  }

  const carries = (v: { blocks?: SlackBlock[] | undefined }) => JSON.stringify(v.blocks ?? []).includes(DONE);
  const versions = input.parentVersions;
  const summaries = versions.filter(
    (v, i) => carries(v) && !(i > 0 && carries(versions[i - 1] as MessageVersion)),
  );
  const firstDone = versions.find(carries);
  const last = versions.at(-1);

  const summaryText = last && carries(last) ? last.text : '(no summary)';
  const appliedWord = /(\d+) paused/.exec(summaryText);
  const summaryApplied = appliedWord ? Number(appliedWord[1]) : undefined;
  const retry =
    last && carries(last) ? /Retry failed \((\d+)\)/.exec(JSON.stringify(last.blocks ?? [])) : null;
  const retryOffered = retry ? Number(retry[1]) : 0;

  const wrong = new Set([
    ...wrongly.failedButApplied,
    ...wrongly.notSentButApplied,
    ...wrongly.appliedButNot,
  ]);
  return {
    idsLost: new Set([...notPaused, ...missing]).size,
    notPaused: notPaused.length,
    missingFromResults: missing.length,
    requestIdsSentTwice: twice.length,
    idsSentTwice: sentTwice.size,
    idsAppliedTwice: appliedTwice,
    idsReportedWrongly: wrong.size,
    wrongly,
    saidAlready: said('already').length,
    saidUncertain: said('uncertain').length,
    recoverMs: next === undefined ? undefined : next - input.faultEndAt,
    longestSilenceMs,
    totalMs: firstDone ? firstDone.at - input.clickedAt : undefined,
    summaries: summaries.length,
    resultReports: reports,
    reportedOnce: summaries.length === 1 && reports === 1,
    summaryText,
    summaryApplied,
    retryOffered,
    summaryTrue: summaryApplied === paused.size && retryOffered === notPaused.length,
    arrivals: times.length,
    rateLimited: arrivals.length - passed.length,
    maxPer1s: maxInWindow(times, 1_000),
    maxPer60s: maxInWindow(times, 60_000),
  };
}
