import type { Logger } from 'pino';
import type { CampaignActionRequest, RequestResult } from '../core/request.ts';
import type { StatusChangeOptions } from '../moengage/client.ts';
import type { CampaignAction, StatusChangeReport } from '../moengage/types.ts';
import type { AuditSink, RequestFields } from './audit.ts';
import type { Notifier } from './notifier.ts';

export interface CampaignExecutor {
  changeCampaignStatus(
    action: CampaignAction,
    campaignIds: readonly string[],
    options?: StatusChangeOptions,
  ): Promise<StatusChangeReport>;
}

export interface ExecutionDeps {
  moengage: CampaignExecutor;
  notifier: Notifier;
  /** Stores the result (any replica's API or Workflow step reads it) and announces the change. */
  saveResult: (request: CampaignActionRequest, result: RequestResult) => Promise<void>;
  emit: AuditSink;
  fields: (r: CampaignActionRequest) => RequestFields;
  now: () => number;
  log: Logger;
}

/**
 * Runs confirmed requests: MoEngage through the throttled client, then a result in the store, the outcome to
 * people and one audit event per MoEngage request. Keeps track of what is running so shutdown can let it
 * finish, or cut it short with every id still reported.
 */
export function createExecution(deps: ExecutionDeps) {
  const { notifier, emit, fields, now } = deps;
  const running = new Set<Promise<void>>();
  const shutdown = new AbortController();

  /** Starts a confirmed request; the promise settles once it is fully reported. */
  function start(request: CampaignActionRequest): Promise<void> {
    // MoEngage is called at once; the notifier keeps its own order (the "running" edit lands first).
    void notifier.update(request, { kind: 'running' });
    const execution = execute(request).finally(() => running.delete(execution));
    running.add(execution);
    return execution;
  }

  async function execute(request: CampaignActionRequest): Promise<void> {
    let outcome: StatusChangeReport;
    try {
      outcome = await deps.moengage.changeCampaignStatus(request.action, request.campaignIds, {
        signal: shutdown.signal,
      });
    } catch (error) {
      // The client reports every failure per id; reaching here is a bug. Say so where people look, and give
      // the runbook API and the Workflow step a result too, so nobody waits for one that never comes.
      const text = errorText(error);
      deps.log.error({ requestId: request.id, err: text }, 'execution crashed');
      const message = `The run failed before a result: ${text}. Check MoEngage before retrying.`;
      emit({
        event: 'completed',
        ...fields(request),
        user: request.decidedBy,
        outcome: 'crashed',
        applied: 0,
        failed: request.campaignIds.length,
        moengageRequests: 0,
        elapsedMs: 0,
      });
      await deps.saveResult(request, {
        applied: 0,
        failed: request.campaignIds.length,
        completedAt: now(),
        outcomes: request.campaignIds.map((campaignId) => ({ campaignId, status: 'failed', error: message })),
      });
      await notifier.update(request, { kind: 'crashed', error: text });
      return;
    }
    for (const send of outcome.sends) {
      const { requestId: moengageRequestId, campaignIds, attempt, status, errorKind, ms } = send;
      // The send's own ids replace the request's: one event per MoEngage request.
      emit({
        event: 'executed',
        ...fields(request),
        campaignIds,
        user: request.decidedBy,
        moengageRequestId,
        attempt,
        status,
        errorKind,
        ms,
      });
    }
    // Audited and stored before people are told, so the trail never depends on Slack answering.
    emit({
      event: 'completed',
      ...fields(request),
      user: request.decidedBy,
      outcome: 'done',
      applied: outcome.applied,
      failed: outcome.failed,
      moengageRequests: outcome.requests,
      elapsedMs: outcome.elapsedMs,
    });
    await deps.saveResult(request, toResult(outcome, now()));
    await notifier.update(request, { kind: 'completed', report: outcome });
  }

  /**
   * For shutdown: waits up to `graceMs` for running executions; past that, ids not yet sent are cut short and
   * reported as not sent, and it waits (up to `reportMs`) for every thread reply and summary to be posted.
   */
  async function drain(graceMs: number, reportMs = 15_000): Promise<{ running: number; cutShort: boolean }> {
    const count = running.size;
    const settled = () => Promise.allSettled([...running]).then(() => true);
    const done = await Promise.race([settled(), sleep(graceMs).then(() => false)]);
    if (!done) {
      shutdown.abort('the bot was shutting down');
      await Promise.race([settled(), sleep(reportMs)]);
    }
    return { running: count, cutShort: !done };
  }

  return { start, drain, inFlight: () => running.size };
}

function toResult(outcome: StatusChangeReport, completedAt: number): RequestResult {
  return {
    applied: outcome.applied,
    failed: outcome.failed,
    completedAt,
    outcomes: outcome.outcomes.map((o) =>
      o.status === 'applied'
        ? { campaignId: o.campaignId, status: 'applied' }
        : { campaignId: o.campaignId, status: 'failed', error: o.error.message },
    ),
  };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
