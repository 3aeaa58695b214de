import type { Logger } from 'pino';
import type { StatusChangeOptions } from '../moengage/client.ts';
import type { CampaignAction, StatusChangeReport } from '../moengage/types.ts';
import {
  completedMessage,
  crashedMessage,
  crashReply,
  resultReplies,
  runningMessage,
} from '../slack/messages.ts';
import type { CampaignActionRequest, RequestResult } from './model.ts';
import { errorText, type Report } from './report.ts';

export interface CampaignExecutor {
  changeCampaignStatus(
    action: CampaignAction,
    campaignIds: readonly string[],
    options?: StatusChangeOptions,
  ): Promise<StatusChangeReport>;
}

export interface ExecutionDeps {
  moengage: CampaignExecutor;
  report: Report;
  emit: (event: Record<string, unknown>) => void;
  describe: (r: CampaignActionRequest) => Record<string, unknown>;
  now: () => number;
  log: Logger;
}

/**
 * Runs confirmed requests: MoEngage through the throttled client, then the results in the thread, the summary on
 * the message, a result in the store and one audit event per MoEngage request. Keeps track of what is running
 * so shutdown can let it finish, or cut it short with every id still reported.
 */
export function createExecution(deps: ExecutionDeps) {
  const { report, emit, describe, now } = deps;
  const running = new Set<Promise<void>>();
  const shutdown = new AbortController();

  /** Starts a confirmed request and resolves once it is fully reported. */
  async function run(request: CampaignActionRequest): Promise<void> {
    // MoEngage is called at once; the "running" edit goes alongside and lands before the summary edit.
    const execution = execute(request, report.update(request, runningMessage(request)));
    running.add(execution);
    try {
      await execution;
    } finally {
      running.delete(execution);
    }
  }

  async function execute(request: CampaignActionRequest, runningEdit: Promise<void>): Promise<void> {
    let outcome: StatusChangeReport;
    try {
      outcome = await deps.moengage.changeCampaignStatus(request.action, request.campaignIds, {
        signal: shutdown.signal,
      });
    } catch (error) {
      // The client reports every failure per id; reaching here is a bug. Say so where people look, and give
      // the runbook API and the Workflow step a result too, so nobody waits for one that never comes.
      deps.log.error({ requestId: request.id, err: errorText(error) }, 'execution crashed');
      emit({ event: 'completed', outcome: 'crashed', ...describe(request) });
      const message = `The run failed before a result: ${errorText(error)}. Check MoEngage before retrying.`;
      await report.saveResult(request, {
        applied: 0,
        failed: request.campaignIds.length,
        completedAt: now(),
        outcomes: request.campaignIds.map((campaignId) => ({ campaignId, status: 'failed', error: message })),
      });
      await runningEdit;
      await report.postThread(request, crashReply(error));
      await report.update(request, crashedMessage(request));
      return;
    }
    for (const send of outcome.sends) {
      const { requestId: moengageRequestId, ...rest } = send;
      // The send's own ids replace the request's: one event per MoEngage request.
      emit({ event: 'executed', ...describe(request), user: request.decidedBy, moengageRequestId, ...rest });
    }
    await report.saveResult(request, toResult(outcome, now()));
    await runningEdit;
    for (const reply of resultReplies(outcome)) await report.postThread(request, reply);
    // Audited before the summary edit, so the trail never depends on Slack answering.
    emit({
      event: 'completed',
      ...describe(request),
      user: request.decidedBy,
      applied: outcome.applied,
      failed: outcome.failed,
      moengageRequests: outcome.requests,
      elapsedMs: outcome.elapsedMs,
    });
    await report.update(request, completedMessage(request, outcome));
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

  return { run, drain, inFlight: () => running.size };
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
