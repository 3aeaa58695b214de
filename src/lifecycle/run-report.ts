import type { CampaignOutcome } from '../core/actions.ts';
import type { CampaignActionRequest } from '../core/request.ts';
import {
  maybeSentTwice,
  type RunJournal,
  recordChunk,
  runOutcomes,
  unfinishedChunks,
} from '../core/run-journal.ts';
import type { RequestStore } from '../core/store.ts';
import { MoEngageError } from '../moengage/errors.ts';
import { failAll } from '../moengage/outcomes.ts';
import type { CampaignAction, StatusChangeReport } from '../moengage/types.ts';
import type { ExecutionDeps } from './execution-deps.ts';

/**
 * The end of a durable run: each chunk's outcomes recorded, and the one record that completes the run reports
 * it, once, whoever holds it (audit, change feed, thread and summary). Also what a run too old to resume becomes.
 */
export function createRunReport(deps: ExecutionDeps, update: RequestStore['update'] = deps.store.update) {
  const { notifier, emit, fields, now } = deps;

  /** Records a chunk's outcomes; whoever records the last one reports. */
  async function record(
    request: CampaignActionRequest,
    index: number,
    outcomes: CampaignOutcome[],
    requests: number,
  ): Promise<void> {
    const recorded = await update(request.id, (r) => recordChunk(r, index, outcomes, requests, now()));
    if (recorded?.value === 'finished') await finish(recorded.request);
  }

  /** Too old to resume: every id not yet done is reported as not sent, and the run is finished that way. */
  async function abandon(request: CampaignActionRequest, run: RunJournal): Promise<void> {
    const minutes = Math.round(deps.resumeWindowMs / 60_000);
    const message = `Not sent to MoEngage: the run was interrupted and is older than the resume window (${minutes} min); check these campaigns and run the command again if still needed`;
    let last: Awaited<ReturnType<RequestStore['update']>> | undefined;
    for (const { chunk, index } of unfinishedChunks(run)) {
      // Flagged ids were never to be sent, and answered ones were: each keeps what it had.
      const outcomes = chunk.preset ?? (chunk.state === 'answered' ? chunk.outcomes : undefined);
      const settled = outcomes ?? crashed(request.action, chunk.ids, message).outcomes;
      last = await update(request.id, (r) => recordChunk(r, index, settled, 0, now()));
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
      uncertain: outcomes.filter((o) => o.status === 'uncertain').length,
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
      uncertain: report.uncertain ?? 0,
      moengageRequests: report.requests,
      elapsedMs: report.elapsedMs,
    });
    deps.changes.publish(request.id);
    // The catalog shows what MoEngage now says of the campaigns the run touched (looked up again, soon).
    deps.catalog?.changed(outcomes.filter((o) => o.status !== 'failed').map((o) => o.campaignId));
    await notifier.update(request, { kind: 'completed', report, repeated });
  }

  return { record, abandon, finish };
}

/** Every id of a chunk failed with one message, never sent (a crash before a result, a run too old to resume). */
export function crashed(action: CampaignAction, ids: readonly string[], message: string): StatusChangeReport {
  const outcomes = failAll([...ids], new MoEngageError(message, undefined), undefined, 0);
  return { action, outcomes, applied: 0, failed: ids.length, requests: 0, sends: [], elapsedMs: 0 };
}
