import { type CampaignOutcome, MAY_HAVE_APPLIED } from './actions.ts';
import { scheduleDueOf } from './pause-for.ts';
import type { CampaignActionRequest, RequestResult, ResultOutcome, RunChunk, RunJournal } from './request.ts';

export type { RunChunk, RunJournal } from './request.ts';

/**
 * A confirmed request's run as durable work: its ids planned in chunks (one MoEngage request each, with the
 * request_id every retry and every takeover reuses), each chunk planned → sent → done, and a lease held by the
 * replica running it. A replica that dies stops renewing; once the lease lapses another takes the unfinished
 * chunks over. Whoever records the last chunk writes the result, once. Pure: the stores apply these inside their
 * atomic update.
 */
type Req = CampaignActionRequest;

export type RunStep<T> = { next?: Req; value: T };

/**
 * The stores' one index of due work: when a confirmed run without a result may be taken over, or, once it has
 * one, when a PAUSE "for a while" next has something due (its reminder, its RESUME; see pause-for.ts).
 */
export function runDueOf(r: Req): number | undefined {
  if (r.state !== 'confirmed') return undefined;
  if (r.result) return scheduleDueOf(r);
  return r.run?.leaseUntil ?? 0;
}

/** How long a freeze that paused something is kept: its unfreeze has no time limit (within reason). */
export const FREEZE_KEEP_MS = 365 * 86_400_000;

/**
 * Until when a request must be kept: while work is due on it (its run, a scheduled RESUME), and a freeze that
 * paused something for a year (it holds its scope until unfrozen). The stores keep it that long plus their retention.
 */
export function keepUntilOf(r: Req): number | undefined {
  const due = runDueOf(r);
  const freeze =
    r.freeze && r.state === 'confirmed' && (!r.result || r.result.applied > 0)
      ? (r.result?.completedAt ?? r.decidedAt ?? r.createdAt) + FREEZE_KEEP_MS
      : undefined;
  if (due === undefined) return freeze;
  return freeze === undefined ? due : Math.max(due, freeze);
}

/** Who holds a run: the runner's id and the fencing token its take was given. */
export interface Lease {
  owner: string;
  fence: number;
}

/** Whether `lease` still holds the run: nobody has taken it since (same owner, same token) and it is unfinished. */
export function holds(r: Req, lease: Lease): boolean {
  return !!r.run && !r.result && r.run.owner === lease.owner && (r.run.fence ?? 0) === lease.fence;
}

/** The lease a journal names (after a take, the taker's). */
export function leaseOf(run: RunJournal): Lease | undefined {
  return run.owner === undefined ? undefined : { owner: run.owner, fence: run.fence ?? 0 };
}

/**
 * Takes the run: plans it the first time, takes it over once the lease has lapsed, refuses while held. Each take
 * is given the next fencing token, so the runner it replaces is refused at its next step. Applied inside the
 * store's atomic update, so the lease is checked and taken in one step.
 */
export function takeRun(
  r: Req,
  owner: string,
  now: number,
  leaseMs: number,
  plan: () => { ids: string[]; requestId: string; preset?: CampaignOutcome[] }[],
  /** Take it even while another runner's lease lasts: that runner is known to be gone (this process restarted). */
  force = false,
): RunStep<'taken' | 'held' | 'finished'> {
  if (r.state !== 'confirmed' || r.result) return { value: 'finished' };
  if (!force && r.run && r.run.owner !== owner && r.run.owner !== undefined && r.run.leaseUntil > now)
    return { value: 'held' };
  const fence = (r.run?.fence ?? 0) + 1;
  const run: RunJournal = r.run
    ? { ...r.run, owner, leaseUntil: now + leaseMs, fence }
    : {
        chunks: plan().map((c) => ({ ...c, state: 'planned', sends: 0 })),
        owner,
        leaseUntil: now + leaseMs,
        startedAt: now,
        requests: 0,
        fence,
      };
  return { next: { ...r, run }, value: 'taken' };
}

/** Extends the lease; false when another runner holds it now (this one must stop). */
export function renewRun(r: Req, lease: Lease, now: number, leaseMs: number): RunStep<boolean> {
  if (!holds(r, lease)) return { value: false };
  return { next: { ...r, run: { ...(r.run as RunJournal), leaseUntil: now + leaseMs } }, value: true };
}

/**
 * A chunk about to be handed to MoEngage: recorded first, so a crash while it is sent counts it as maybe sent
 * twice (never as never sent). `sent`: go ahead, with how many runners have now sent it; `fenced`: another
 * runner took the run (this one must send nothing more); `done`: its outcome is known already, nothing to send.
 */
export function markSent(
  r: Req,
  index: number,
  lease: Lease,
): RunStep<{ go: 'sent'; sends: number } | { go: 'fenced' | 'done' }> {
  const chunk = r.run?.chunks[index];
  if (!holds(r, lease)) return { value: { go: 'fenced' } };
  if (!r.run || !chunk || chunk.state === 'done' || chunk.state === 'answered')
    return { value: { go: 'done' } };
  const sends = chunk.sends + 1;
  const chunks = r.run.chunks.map((c, i) => (i === index ? { ...c, state: 'sent' as const, sends } : c));
  return { next: { ...r, run: { ...r.run, chunks } }, value: { go: 'sent', sends } };
}

/**
 * Records a chunk's outcomes (once: a chunk already done keeps its first). The record that completes the last
 * chunk sets the result and is told `finished`: that runner reports, and nobody else does.
 */
export function recordChunk(
  r: Req,
  index: number,
  outcomes: CampaignOutcome[],
  requests: number,
  now: number,
): RunStep<'recorded' | 'finished' | 'ignored'> {
  const chunk = r.run?.chunks[index];
  if (!r.run || !chunk || chunk.state === 'done' || r.result) return { value: 'ignored' };
  // Sent again after a runner died mid-send: a refusal may only mean the first send already applied it.
  const said = chunk.sends > 1 ? outcomes.map((o) => maybeAppliedBefore(o, chunk.requestId)) : outcomes;
  const chunks = r.run.chunks.map((c, i) =>
    i === index ? { ...c, state: 'done' as const, outcomes: said } : c,
  );
  const run = { ...r.run, chunks, requests: r.run.requests + requests };
  if (chunks.some((c) => c.state !== 'done')) return { next: { ...r, run }, value: 'recorded' };
  return {
    next: {
      ...r,
      run: { ...run, owner: undefined },
      result: resultOf(
        chunks.flatMap((c) => c.outcomes ?? []),
        now,
      ),
    },
    value: 'finished',
  };
}

/** Gives the run back (shutdown): another runner may take it at once. Chunks never sent stay planned. */
export function releaseRun(r: Req, lease: Lease): RunStep<boolean> {
  if (!r.run || !holds(r, lease)) return { value: false };
  return { next: { ...r, run: { ...r.run, owner: undefined, leaseUntil: 0 } }, value: true };
}

const REPEATED_NOTE =
  ' (sent again after a replica stopped while MoEngage was answering: the first send may have applied it — check before retrying)';

/**
 * A chunk two runners sent (the first died or was cut off while MoEngage answered): a refusal or a give-up of the
 * second send says nothing of the first, which may have applied it. Unless a lookup saw the campaign not in the
 * target state, the id may have been applied: never reported failed (and never offered by Retry failed).
 */
function maybeAppliedBefore(o: CampaignOutcome, chunkRequestId: string): CampaignOutcome {
  if (o.status !== 'failed') return o;
  const error = { ...o.error, message: `${o.error.message}${REPEATED_NOTE}` };
  if (o.checked) return { ...o, error };
  return {
    campaignId: o.campaignId,
    status: 'uncertain',
    requestId: o.requestId ?? chunkRequestId,
    attempts: o.attempts,
    error,
  };
}

export function unfinishedChunks(run: RunJournal): { chunk: RunChunk; index: number }[] {
  return run.chunks.flatMap((chunk, index) => (chunk.state === 'done' ? [] : [{ chunk, index }]));
}

/** The ids whose chunk more than one runner sent: MoEngage may have received them twice. */
export function maybeSentTwice(run: RunJournal): string[] {
  return run.chunks.filter((c) => c.sends > 1).flatMap((c) => c.ids);
}

export function runOutcomes(run: RunJournal): CampaignOutcome[] {
  return run.chunks.flatMap((c) => c.outcomes ?? []);
}

export function resultOf(outcomes: readonly CampaignOutcome[], completedAt: number): RequestResult {
  const count = (status: CampaignOutcome['status']) => outcomes.filter((o) => o.status === status).length;
  return {
    applied: count('applied'),
    failed: count('failed'),
    already: count('already'),
    skipped: count('skipped'),
    uncertain: count('uncertain'),
    completedAt,
    outcomes: outcomes.map(resultOutcome),
  };
}

function resultOutcome(o: CampaignOutcome): ResultOutcome {
  const { campaignId } = o;
  switch (o.status) {
    case 'applied':
      return o.confirmed
        ? { campaignId, status: 'applied', note: 'confirmed by lookup' }
        : { campaignId, status: 'applied' };
    case 'already':
      return {
        campaignId,
        status: 'already',
        note:
          o.seen === 'before'
            ? 'already in that state before confirming; not sent'
            : 'already in that state (checked by lookup)',
      };
    case 'skipped':
      return { campaignId, status: 'skipped', note: `not sent: ${o.reason}` };
    case 'failed':
      return { campaignId, status: 'failed', error: o.error.message };
    case 'uncertain':
      return { campaignId, status: 'uncertain', note: `${MAY_HAVE_APPLIED} (${o.error.message})` };
  }
}

export interface RunProgress {
  total: number;
  /** Ids with an outcome so far. */
  done: number;
  applied: number;
  already: number;
  skipped: number;
  failed: number;
  uncertain: number;
  /** Time left as the runner last estimated it, counted down from then; undefined before its first estimate. */
  etaMs: number | undefined;
}

/** How far a run has got, from its journal: what a progress line and the API's resource show. */
export function runProgress(run: RunJournal, now: number): RunProgress {
  const outcomes = runOutcomes(run);
  const count = (status: CampaignOutcome['status']) => outcomes.filter((o) => o.status === status).length;
  return {
    total: run.chunks.reduce((n, c) => n + c.ids.length, 0),
    done: outcomes.length,
    applied: count('applied'),
    already: count('already'),
    skipped: count('skipped'),
    failed: count('failed'),
    uncertain: count('uncertain'),
    etaMs: run.eta ? Math.max(0, run.eta.ms - (now - run.eta.at)) : undefined,
  };
}

/** The runner's estimate of the time left, kept for whoever shows progress (another replica, the API). */
export function estimateRun(r: Req, lease: Lease, eta: { at: number; ms: number }): RunStep<boolean> {
  if (!r.run || !holds(r, lease)) return { value: false };
  return { next: { ...r, run: { ...r.run, eta } }, value: true };
}

/**
 * Moves ids out of the run's chunk of flagged ids (known in advance, never sent) into new chunks to send: the
 * lookup before confirming was old, and MoEngage now shows them eligible. False when that chunk is done already.
 */
export function replanFlagged(
  r: Req,
  index: number,
  sendNow: readonly string[],
  planned: readonly { ids: string[]; requestId: string }[],
): RunStep<boolean> {
  const chunk = r.run?.chunks[index];
  if (!r.run || !chunk?.preset || chunk.state === 'done' || r.result) return { value: false };
  const moved = new Set(sendNow);
  const kept = {
    ...chunk,
    ids: chunk.ids.filter((id) => !moved.has(id)),
    preset: chunk.preset.filter((o) => !moved.has(o.campaignId)),
  };
  const chunks = r.run.chunks.map((c, i) => (i === index ? kept : c));
  for (const p of planned) chunks.push({ ...p, state: 'planned', sends: 0 });
  return { next: { ...r, run: { ...r.run, chunks } }, value: true };
}

/**
 * MoEngage answered a chunk whose outcomes are still to be checked by lookup: the answers are kept, and the chunk
 * is never sent again, whoever continues (a takeover only redoes the check).
 */
export function answerChunk(
  r: Req,
  index: number,
  outcomes: CampaignOutcome[],
  requests: number,
): RunStep<boolean> {
  const chunk = r.run?.chunks[index];
  if (!r.run || !chunk || chunk.state === 'done' || chunk.state === 'answered' || r.result)
    return { value: false };
  const chunks = r.run.chunks.map((c, i) =>
    i === index ? { ...c, state: 'answered' as const, outcomes } : c,
  );
  return { next: { ...r, run: { ...r.run, chunks, requests: r.run.requests + requests } }, value: true };
}
