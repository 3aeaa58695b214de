import { randomUUID } from 'node:crypto';
import type { CampaignOutcome } from '../core/actions.ts';
import { flaggedOutcomes, lookupOf, needsCheck, sendableIds } from '../core/campaign-info.ts';
import type { CampaignActionRequest } from '../core/request.ts';
import {
  answerChunk,
  estimateRun,
  type Lease,
  leaseOf,
  markSent,
  type RunJournal,
  releaseRun,
  renewRun,
  replanFlagged,
  takeRun,
  unfinishedChunks,
} from '../core/run-journal.ts';
import { planChunks } from '../moengage/plan.ts';
import type { StatusChangeReport } from '../moengage/types.ts';
import { errorText } from './error-text.ts';
import type { ExecutionDeps } from './execution-deps.ts';
import { checkOutcomes } from './run-check.ts';
import { crashed, createRunReport } from './run-report.ts';
import { createRunWrites } from './run-writes.ts';

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
  let storeLost = false;
  let graceUntil = 0;
  // Every write of a run waits out a store that is away, and writes a vanished record back (run-writes.ts).
  const writes = createRunWrites({
    store,
    log: deps.log,
    signal: shutdown.signal,
    ...(deps.storeRetryMs ? { baseDelayMs: deps.storeRetryMs, maxDelayMs: deps.storeRetryMs * 20 } : {}),
  });
  const { record, abandon } = createRunReport(deps, writes.update);

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
    let due: string[];
    try {
      due = await store.runsDue(orphans ? Number.POSITIVE_INFINITY : now());
    } catch (error) {
      storeLost = true;
      throw error;
    }
    if (storeLost) {
      // The store was away for this replica, so probably for the runners too: a lease that lapsed meanwhile is no
      // sign that its runner died. Each gets one lease length to renew (and write back what it learnt) before a
      // takeover would send its in-flight chunks a second time.
      storeLost = false;
      graceUntil = now() + leaseMs;
    }
    if (!orphans && now() < graceUntil) return 0;
    let taken = 0;
    for (const id of due) {
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
      // The take is one atomic step of the store: the lease is checked and taken together, with a new fence.
      const taken = await store.update(id, (r) =>
        takeRun(r, owner, now(), leaseMs, () => planRun(r, deps.moengage.chunkSize), force),
      );
      if (taken?.value === 'finished' && taken.request.result) return deps.onDue?.(taken.request);
      if (taken?.value !== 'taken' || !taken.request.run) return;
      let r = taken.request;
      const lease = leaseOf(r.run as RunJournal) as Lease;
      writes.track(r);
      try {
        const confirmedAt = r.decidedAt ?? r.createdAt;
        if (now() - confirmedAt > deps.resumeWindowMs) return await abandon(r, r.run as RunJournal);
        // Confirmed without a message (a RESUME a PAUSE scheduled): its message is posted before it runs, so its
        // progress and results have somewhere to go.
        if (!r.messageTs) r = await announce(r);
        await runChunks(r, r.run as RunJournal, lease);
      } finally {
        writes.forget(id);
      }
    })()
      .catch((error: unknown) => deps.log.error({ requestId: id, err: errorText(error) }, 'run failed'))
      .finally(() => running.delete(id));
    running.set(id, work);
    return work;
  }

  async function announce(r: CampaignActionRequest): Promise<CampaignActionRequest> {
    try {
      const ts = await notifier.post(r);
      const updated = await writes.update(r.id, (x) => ({ next: { ...x, messageTs: ts }, value: true }));
      return updated?.request ?? { ...r, messageTs: ts };
    } catch (error) {
      // It runs all the same: its outcomes are in the store, the audit trail and the API.
      deps.log.warn(
        { requestId: r.id, err: errorText(error) },
        'could not post the message of a scheduled run',
      );
      return r;
    }
  }

  async function runChunks(request: CampaignActionRequest, run: RunJournal, lease: Lease): Promise<void> {
    const local = new AbortController();
    const stop = () => local.abort(shutdown.signal.reason ?? 'the bot was shutting down');
    shutdown.signal.addEventListener('abort', stop, { once: true });
    // Renew the lease; once another runner holds it (this one was taken for dead), stop sending.
    const renew = setInterval(
      () => {
        store
          .update(request.id, (r) => renewRun(r, lease, now(), leaseMs))
          .then(
            (renewed) => {
              if (renewed && !renewed.value && !local.signal.aborted) {
                deps.log.warn(
                  { requestId: request.id },
                  'lease lost: another runner took this run over; this one sends nothing more',
                );
                local.abort('another replica took this run over');
              }
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
      void showProgress(request.id, lease)
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
            ? settleFlagged(request, index, chunk.ids, chunk.preset, lease, local)
            : chunk.state === 'answered'
              ? checkOutcomes(deps, request, chunk.outcomes ?? [], chunk.sends > 1).then((o) =>
                  record(request, index, o, 0),
                )
              : runChunk(request, index, chunk.ids, chunk.requestId, lease, local),
        ),
      );
    } finally {
      clearInterval(renew);
      clearInterval(ticker);
      shutdown.signal.removeEventListener('abort', stop);
      if (local.signal.aborted && deps.handBack) {
        // Handed back at once: another replica (or this bot after its restart) continues without waiting out the lease.
        const released = await store.update(request.id, (r) => releaseRun(r, lease)).catch(() => undefined);
        if (released?.value)
          deps.log.info({ requestId: request.id }, 'run handed back for another runner to continue');
      }
    }
  }

  /**
   * The chunk of ids the lookup flagged before confirming. When that lookup is older than STALE_LOOKUP_MS (a
   * confirmation can come many minutes later), they are looked up again first: one now eligible (a campaign
   * resumed meanwhile, before a PAUSE) is sent after all, in chunks of its own, recorded in the journal before
   * the flagged rest is; the rest keep their flags.
   */
  async function settleFlagged(
    request: CampaignActionRequest,
    index: number,
    ids: string[],
    preset: CampaignOutcome[],
    lease: Lease,
    local: AbortController,
  ): Promise<void> {
    const lookup = request.lookup;
    const stale = lookup?.state === 'done' && now() - lookup.at > (deps.staleLookupMs ?? STALE_LOOKUP_MS);
    if (stale && deps.check && deps.lookupRules && ids.length > 0) {
      const seen = await deps.check(ids).catch(() => undefined);
      if (seen?.ok) {
        const fresh = lookupOf(request.action, ids, seen.found, deps.lookupRules, now());
        const sendNow = ids.filter((id) => fresh.state === 'done' && !fresh.flagged[id]);
        if (sendNow.length > 0) {
          const planned = planChunks(sendNow, deps.moengage.chunkSize).map((c) => ({
            ids: c,
            requestId: randomUUID(),
          }));
          const replanned = await writes.update(request.id, (r) => replanFlagged(r, index, sendNow, planned));
          const run = replanned?.value ? replanned.request.run : undefined;
          if (replanned && run) {
            deps.log.info(
              { requestId: request.id, ids: sendNow.length },
              'flagged ids eligible now: sending them',
            );
            const kept = run.chunks[index]?.preset ?? [];
            const fresh = unfinishedChunks(run).filter(({ chunk }) =>
              planned.some((p) => p.requestId === chunk.requestId),
            );
            await Promise.all([
              record(replanned.request, index, kept, 0),
              ...fresh.map(({ chunk, index: i }) =>
                runChunk(replanned.request, i, chunk.ids, chunk.requestId, lease, local),
              ),
            ]);
            return;
          }
        }
      }
    }
    await record(request, index, preset, 0);
  }

  async function runChunk(
    request: CampaignActionRequest,
    index: number,
    ids: string[],
    requestId: string,
    lease: Lease,
    local: AbortController,
  ): Promise<void> {
    const signal = local.signal;
    for (let attempt = 0; ; attempt++) {
      // The send is recorded (with this runner's fence) in its limiter slot, just before it goes out: a crash while
      // it is sent counts it as maybe sent twice (not never); a runner whose lease was taken sends nothing more;
      // and ids still waiting in the queue were never marked, so a takeover sends them once.
      let gate: 'sent' | 'fenced' | 'done' | undefined;
      let sends = 0;
      const beforeSend = async () => {
        const marked = await writes.update(request.id, (r) => markSent(r, index, lease));
        const go = marked?.value ?? { go: 'done' as const };
        gate = go.go;
        if (go.go === 'sent') sends = go.sends;
        return go.go === 'sent';
      };
      let report: StatusChangeReport;
      try {
        report = await deps.moengage.changeCampaignStatus(request.action, ids, {
          signal,
          requestId,
          requester: request.requestedBy,
          beforeSend,
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
      if (gate === 'fenced') {
        // Taken over (this runner stalled, or its store was away past the lease): the new owner continues.
        if (!signal.aborted) local.abort('another replica took this run over');
        deps.log.warn(
          { requestId: request.id },
          'run taken over by another runner: this one sends nothing more',
        );
        return;
      }
      if (gate === 'done') return; // recorded meanwhile (by a runner that was taken over): nothing to send
      if (report.requests === 0 && (signal.aborted || notSent(report))) {
        // Nothing went out. Withdrawn (shutdown, a takeover): it stays planned for whoever continues. Or our own
        // side failed first (the shared limiter's Redis away): the campaigns are untouched, so it is no
        // failure of theirs; sent once the bot can, within the resume window.
        if (signal.aborted && deps.handBack) return;
        const confirmedAt = request.decidedAt ?? request.createdAt;
        if (!signal.aborted && now() - confirmedAt <= deps.resumeWindowMs) {
          if (attempt === 0)
            deps.log.warn(
              { requestId: request.id, ids: ids.length, err: report.outcomes[0] && outcomeError(report) },
              'chunk not sent: the bot cannot reach its own limiter or store; sending it once it can',
            );
          await pauseFor(Math.min(5_000, (deps.storeRetryMs ?? 200) * 2 ** Math.min(attempt, 5)), signal);
          continue;
        }
      }
      if (!deps.check || !report.outcomes.some(needsCheck)) {
        await record(request, index, report.outcomes, report.requests);
        return;
      }
      // The answers are kept before the check (a search that may wait): a crash meanwhile never sends them again.
      await writes.update(request.id, (r) => answerChunk(r, index, report.outcomes, report.requests));
      await record(request, index, await checkOutcomes(deps, request, report.outcomes, sends > 1), 0);
      return;
    }
  }

  /** Records the time left as this runner sees it, and shows the progress. */
  async function showProgress(id: string, lease: Lease): Promise<void> {
    const current = await store.get(id);
    if (!current?.run || current.result || current.run.owner !== owner) return;
    const left = unfinishedChunks(current.run).filter(({ chunk }) => !chunk.preset).length;
    const ms = deps.moengage.estimateMs?.(left);
    const updated =
      ms === undefined ? undefined : await store.update(id, (r) => estimateRun(r, lease, { at: now(), ms }));
    const shown = updated?.request ?? current;
    if (!shown.result) await notifier.update(shown, { kind: 'progress' });
    await endStepIfOutlasted(shown, ms);
  }

  /**
   * A run that will not be done before the Workflow step's token stops working (the next progress tick may be
   * too late) ends the step now, with the reason, rather than leave it "In progress" with no token to finish it.
   */
  async function endStepIfOutlasted(r: CampaignActionRequest, etaMs: number | undefined): Promise<void> {
    const step = r.workflow;
    if (!step || step.ended || r.result) return;
    const left = step.tokenUntil - now();
    const tick = deps.progressMs ?? 5_000;
    if (left > 2 * tick && (etaMs === undefined || etaMs < left - 2 * tick)) return;
    const ended = await store.update(r.id, (x) =>
      x.workflow && !x.workflow.ended && !x.result
        ? { next: { ...x, workflow: { ...x.workflow, ended: true } }, value: true }
        : { value: false },
    );
    if (ended?.value) await notifier.update(ended.request, { kind: 'step_outlasted', etaMs });
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

/** A lookup older than this when the run starts is looked at again for the ids it flagged. */
const STALE_LOOKUP_MS = 30_000;

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

/** Every id came back `not_sent`: our own side failed before anything reached MoEngage. */
function notSent(report: StatusChangeReport): boolean {
  return report.outcomes.every((o) => o.status === 'failed' && o.error.kind === 'not_sent');
}

function outcomeError(report: StatusChangeReport): string | undefined {
  const first = report.outcomes[0];
  return first?.status === 'failed' ? first.error.message : undefined;
}

/** Waits `ms`, or less when `signal` aborts. */
function pauseFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
