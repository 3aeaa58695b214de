import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CampaignOutcome } from '../core/actions.ts';
import type { AuditSink, RequestFields } from '../core/audit.ts';
import {
  type CampaignInfo,
  checkedOutcome,
  flaggedOutcomes,
  needsCheck,
  sendableIds,
} from '../core/campaign-info.ts';
import type { CampaignActionRequest } from '../core/request.ts';
import {
  estimateRun,
  markSent,
  maybeSentTwice,
  type RunJournal,
  recordChunk,
  releaseRun,
  renewRun,
  runOutcomes,
  takeRun,
  unfinishedChunks,
  unmarkSent,
} from '../core/run-journal.ts';
import type { StatusChangeOptions } from '../moengage/client.ts';
import { MoEngageError } from '../moengage/errors.ts';
import { failAll } from '../moengage/outcomes.ts';
import { planChunks } from '../moengage/plan.ts';
import type { CampaignAction, StatusChangeReport } from '../moengage/types.ts';
import type { RequestStore } from '../requests/model.ts';
import type { ChangeFeed } from './changes.ts';
import type { Notifier } from './notifier.ts';

export interface CampaignExecutor {
  /** Ids per MoEngage request (10 for V1, 1 for V5); a run is planned in chunks this size. */
  readonly chunkSize?: number;
  /** About how long `requests` more take, from the limiter's schedule (for the progress line). */
  estimateMs?(requests: number): number;
  changeCampaignStatus(
    action: CampaignAction,
    campaignIds: readonly string[],
    options?: StatusChangeOptions,
  ): Promise<StatusChangeReport>;
}

export interface ExecutionDeps {
  moengage: CampaignExecutor;
  notifier: Notifier;
  store: RequestStore;
  changes: ChangeFeed;
  emit: AuditSink;
  fields: (r: CampaignActionRequest) => RequestFields;
  now: () => number;
  log: Logger;
  /**
   * Whether what this runner gives back can be continued by another (a replica on Redis, or this bot after a
   * restart on a SQLite file). When not (memory, `:memory:`), a run cut short reports its unsent ids instead.
   */
  handBack: boolean;
  /** A run confirmed longer ago than this is not resumed: its unsent ids are reported as not sent. */
  resumeWindowMs: number;
  /** How long a runner's claim lasts without renewal: how soon another takes over after a crash. */
  leaseMs?: number;
  /** Counts ids whose chunk two runners sent (a crash mid-send), for the metrics. */
  onRepeated?: (ids: number) => void;
  /** How often a running request's message shows its progress (default 5 s). */
  progressMs?: number;
  /** MoEngage's campaign search, to check the ids whose outcome was uncertain or a refusal (see needsCheck). */
  check?: (
    ids: readonly string[],
  ) => Promise<{ ok: true; found: Map<string, CampaignInfo> } | { ok: false; message: string }>;
}

/**
 * Runs confirmed requests as durable work (core/run-journal.ts): the run is planned in chunks, each chunk's
 * outcome is recorded as it comes back, and a lease renewed every third of its length says who is running it.
 * A replica that dies stops renewing and another takes the unfinished chunks over (`resumeDue`, called by the
 * sweep), reusing their request_ids; on shutdown a runner finishes what MoEngage is answering, hands the rest
 * back, and another continues. The runner that records the last chunk reports, once.
 */
export function createExecution(deps: ExecutionDeps) {
  const { notifier, emit, fields, now, store } = deps;
  const owner = randomUUID();
  const leaseMs = deps.leaseMs ?? 10_000;
  const running = new Map<string, Promise<void>>();
  const shutdown = new AbortController();

  /** Starts a request just confirmed here; resolves once this runner is done with it. */
  function start(request: CampaignActionRequest): Promise<void> {
    void notifier.update(request, { kind: 'running' });
    return claim(request.id);
  }

  /**
   * Takes over every run whose runner has gone (lease lapsed), or reports it when it is too old to resume.
   * `orphans`: at start, with a store only this process uses (a SQLite file), every unfinished run is its own
   * from before the restart: taken at once, without waiting out a lease nobody will renew.
   */
  async function resumeDue(orphans = false): Promise<number> {
    if (shutdown.signal.aborted) return 0;
    let taken = 0;
    for (const id of await store.runsDue(orphans ? Number.POSITIVE_INFINITY : now())) {
      if (running.has(id)) continue;
      taken += 1;
      void claim(id, orphans);
    }
    return taken;
  }

  function claim(id: string, force = false): Promise<void> {
    const existing = running.get(id);
    if (existing) return existing;
    const work = (async () => {
      const taken = await store.update(id, (r) =>
        takeRun(r, owner, now(), leaseMs, () => planRun(r, deps.moengage.chunkSize), force),
      );
      if (taken?.value !== 'taken' || !taken.request.run) return;
      const r = taken.request;
      const confirmedAt = r.decidedAt ?? r.createdAt;
      if (now() - confirmedAt > deps.resumeWindowMs) return abandon(r, r.run as RunJournal);
      await runChunks(r, r.run as RunJournal);
    })()
      .catch((error: unknown) => deps.log.error({ requestId: id, err: errorText(error) }, 'run failed'))
      .finally(() => running.delete(id));
    running.set(id, work);
    return work;
  }

  async function runChunks(request: CampaignActionRequest, run: RunJournal): Promise<void> {
    const local = new AbortController();
    const stop = () => local.abort(shutdown.signal.reason ?? 'the bot was shutting down');
    shutdown.signal.addEventListener('abort', stop, { once: true });
    // Renew the lease; once another runner holds it (this one was taken for dead), stop sending.
    const renew = setInterval(
      () => {
        store
          .update(request.id, (r) => renewRun(r, owner, now(), leaseMs))
          .then(
            (renewed) => {
              if (renewed && !renewed.value) local.abort('another replica took this run over');
            },
            (error: unknown) =>
              deps.log.warn({ requestId: request.id, err: errorText(error) }, 'lease renewal failed'),
          );
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    renew.unref();
    // Progress for people watching a long run: the counts so far and the time left, every few seconds.
    let showing = false;
    const ticker = setInterval(() => {
      if (showing) return;
      showing = true;
      void showProgress(request.id)
        .catch((error: unknown) =>
          deps.log.warn({ requestId: request.id, err: errorText(error) }, 'progress not shown'),
        )
        .finally(() => {
          showing = false;
        });
    }, deps.progressMs ?? 5_000);
    ticker.unref();
    try {
      await Promise.all(
        unfinishedChunks(run).map(({ chunk, index }) =>
          chunk.preset
            ? record(request, index, chunk.preset, 0)
            : runChunk(request, index, chunk.ids, chunk.requestId, local.signal),
        ),
      );
    } finally {
      clearInterval(renew);
      clearInterval(ticker);
      shutdown.signal.removeEventListener('abort', stop);
      if (local.signal.aborted && deps.handBack) {
        // Handed back at once: another replica (or this bot after its restart) continues without waiting out the lease.
        const released = await store.update(request.id, (r) => releaseRun(r, owner)).catch(() => undefined);
        if (released?.value)
          deps.log.info({ requestId: request.id }, 'run handed back for another runner to continue');
      }
    }
  }

  async function runChunk(
    request: CampaignActionRequest,
    index: number,
    ids: string[],
    requestId: string,
    signal: AbortSignal,
  ): Promise<void> {
    // Marked before it is handed over, so a crash while it is sent counts it as maybe sent twice (not never).
    const marked = await store.update(request.id, (r) => markSent(r, index));
    const sentTwice = (marked?.request.run?.chunks[index]?.sends ?? 0) > 1;
    let report: StatusChangeReport;
    try {
      report = await deps.moengage.changeCampaignStatus(request.action, ids, {
        signal,
        requestId,
        requester: request.requestedBy,
      });
    } catch (error) {
      // The client reports every failure per id; reaching here is a bug. Give these ids a result all the same.
      const message = `The run failed before a result: ${errorText(error)}. Check MoEngage before retrying.`;
      deps.log.error({ requestId: request.id, err: errorText(error) }, 'chunk crashed');
      report = crashed(request.action, ids, message);
    }
    for (const send of report.sends) {
      emit({
        event: 'executed',
        ...fields(request),
        campaignIds: send.campaignIds,
        user: request.decidedBy,
        moengageRequestId: send.requestId,
        attempt: send.attempt,
        status: send.status,
        errorKind: send.errorKind,
        ms: send.ms,
      });
    }
    if (signal.aborted && report.requests === 0 && deps.handBack) {
      // Withdrawn before it was sent: it stays planned for whoever continues.
      await store.update(request.id, (r) => unmarkSent(r, index));
      return;
    }
    await record(request, index, await checked(request, report.outcomes, sentTwice), report.requests);
  }

  /** Failures a lookup can settle (a refusal, an answer that never came) are checked against MoEngage now. */
  async function checked(
    request: CampaignActionRequest,
    outcomes: CampaignOutcome[],
    sentTwice: boolean,
  ): Promise<CampaignOutcome[]> {
    const ids = outcomes.filter(needsCheck).map((o) => o.campaignId);
    if (ids.length === 0 || !deps.check) return outcomes;
    const seen = await deps
      .check(ids)
      .catch((error: unknown) => ({ ok: false as const, message: errorText(error) }));
    if (!seen.ok)
      deps.log.warn({ requestId: request.id, ids: ids.length, err: seen.message }, 'outcomes not checked');
    return outcomes.map((o) =>
      checkedOutcome(
        request.action,
        o,
        seen.ok ? { ok: true, info: seen.found.get(o.campaignId) } : { ok: false, why: seen.message },
        sentTwice,
      ),
    );
  }

  /** Records the time left as this runner sees it, and shows the progress. */
  async function showProgress(id: string): Promise<void> {
    const current = await store.get(id);
    if (!current?.run || current.result || current.run.owner !== owner) return;
    const left = unfinishedChunks(current.run).filter(({ chunk }) => !chunk.preset).length;
    const ms = deps.moengage.estimateMs?.(left);
    const updated =
      ms === undefined ? undefined : await store.update(id, (r) => estimateRun(r, owner, { at: now(), ms }));
    const shown = updated?.request ?? current;
    if (!shown.result) await notifier.update(shown, { kind: 'progress' });
  }

  /** Records a chunk's outcomes; whoever records the last one reports. */
  async function record(
    request: CampaignActionRequest,
    index: number,
    outcomes: CampaignOutcome[],
    requests: number,
  ): Promise<void> {
    const recorded = await store.update(request.id, (r) => recordChunk(r, index, outcomes, requests, now()));
    if (recorded?.value === 'finished') await finish(recorded.request);
  }

  /** Too old to resume: every id not yet done is reported as not sent, and the run is finished that way. */
  async function abandon(request: CampaignActionRequest, run: RunJournal): Promise<void> {
    const minutes = Math.round(deps.resumeWindowMs / 60_000);
    const message = `Not sent to MoEngage: the run was interrupted and is older than the resume window (${minutes} min); check these campaigns and run the command again if still needed`;
    let last: Awaited<ReturnType<RequestStore['update']>> | undefined;
    for (const { chunk, index } of unfinishedChunks(run)) {
      const report = crashed(request.action, chunk.ids, message);
      last = await store.update(request.id, (r) => recordChunk(r, index, report.outcomes, 0, now()));
    }
    if (last?.value === 'finished') await finish(last.request);
  }

  async function finish(request: CampaignActionRequest): Promise<void> {
    const run = request.run as RunJournal;
    const outcomes = runOutcomes(run);
    const report: StatusChangeReport = {
      action: request.action,
      outcomes,
      applied: outcomes.filter((o) => o.status === 'applied').length,
      failed: outcomes.filter((o) => o.status === 'failed').length,
      requests: run.requests,
      sends: [],
      elapsedMs: Math.max(0, (request.result?.completedAt ?? now()) - run.startedAt),
    };
    const repeated = maybeSentTwice(run);
    if (repeated.length > 0) deps.onRepeated?.(repeated.length);
    // Audited and stored before people are told, so the trail never depends on Slack answering.
    emit({
      event: 'completed',
      ...fields(request),
      user: request.decidedBy,
      outcome: 'done',
      applied: report.applied,
      failed: report.failed,
      moengageRequests: report.requests,
      elapsedMs: report.elapsedMs,
    });
    deps.changes.publish(request.id);
    await notifier.update(request, { kind: 'completed', report, repeated });
  }

  /**
   * For shutdown: waits up to `graceMs` for running executions; past that, ids not yet sent are withdrawn (and
   * handed back, or reported as not sent where nobody could continue), and it waits up to `reportMs` for that.
   */
  async function drain(graceMs: number, reportMs = 15_000): Promise<{ running: number; cutShort: boolean }> {
    const count = running.size;
    const settled = () => Promise.allSettled([...running.values()]).then(() => true);
    const done = await Promise.race([settled(), sleep(graceMs).then(() => false)]);
    shutdown.abort('the bot was shutting down');
    if (!done) await Promise.race([settled(), sleep(reportMs)]);
    return { running: count, cutShort: !done };
  }

  return { start, resumeDue, drain, inFlight: () => running.size };
}

/**
 * A run's chunks: the ids to send, in MoEngage requests (10 for V1, 1 for V5), each with a request_id that is a
 * UUID v4 (in V5 also its Idempotency-Key, kept here for every retry and takeover); and, when the lookup before
 * confirming flagged some ids, one chunk of those, known in advance and never sent.
 */
function planRun(r: CampaignActionRequest, chunkSize: number | undefined) {
  const chunks: { ids: string[]; requestId: string; preset?: CampaignOutcome[] }[] = planChunks(
    sendableIds(r.campaignIds, r.lookup),
    chunkSize,
  ).map((ids) => ({ ids, requestId: randomUUID() }));
  const preset = flaggedOutcomes(r.campaignIds, r.lookup);
  if (preset.length > 0) chunks.push({ ids: preset.map((o) => o.campaignId), requestId: '', preset });
  return chunks;
}

function crashed(action: CampaignAction, ids: readonly string[], message: string): StatusChangeReport {
  const outcomes = failAll([...ids], new MoEngageError(message, undefined), undefined, 0);
  return { action, outcomes, applied: 0, failed: ids.length, requests: 0, sends: [], elapsedMs: 0 };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
