import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { type AccessPolicy, authorize, type UserGroupResolver } from '../auth/policy.ts';
import type { StatusChangeOptions } from '../moengage/client.ts';
import type { CampaignAction, StatusChangeReport } from '../moengage/types.ts';
import {
  cancelledMessage,
  completedMessage,
  confirmationMessage,
  crashedMessage,
  crashReply,
  expiredMessage,
  idListReplies,
  mention,
  resultReplies,
  runningMessage,
  type SlackMessage,
  unrecordedMessage,
} from '../slack/messages.ts';
import { slackDate } from '../slack/mrkdwn.ts';
import { SlackCallError, type SlackPort } from '../slack/port.ts';
import type { CampaignActionRequest, DecideResult, RequestResult, RequestStore } from './model.ts';

export interface CampaignExecutor {
  changeCampaignStatus(
    action: CampaignAction,
    campaignIds: readonly string[],
    options?: StatusChangeOptions,
  ): Promise<StatusChangeReport>;
}

export interface LifecycleDeps {
  store: RequestStore;
  moengage: CampaignExecutor;
  slack: SlackPort;
  policy: AccessPolicy;
  groups: UserGroupResolver;
  secondApproverActions: readonly string[];
  ttlMs: number;
  /** One structured event per step, under module "audit". */
  logger: Logger;
  /** Receives every audit event too (metrics). */
  observe?: (event: Record<string, unknown>) => void;
  now?: () => number;
  newId?: () => string;
}

/** What a door asks for: the request's own fields, before the lifecycle gives it an id, times and a state. */
export type ProposeInput = Pick<
  CampaignActionRequest,
  'action' | 'campaignIds' | 'reason' | 'requestedBy' | 'channelId' | 'source'
> & {
  /** A runbook token's name whose grant was checked by the door (see Actor.grantedBy). */
  grantedBy?: string;
};

/** What a door tells whoever acted; a refusal carries the words, and a code for doors that are not Slack. */
export type Outcome<T = undefined> =
  | { ok: true; value: T }
  | {
      ok: false;
      message: string;
      code?: 'denied' | 'not_in_channel' | 'slack_error' | 'store_error' | 'not_found' | 'decided';
    };

export interface Click {
  requestId: string;
  userId: string;
}

/**
 * The one lifecycle every door uses: authorize → propose (post the confirmation) → decide once (confirm,
 * cancel or expire) → execute through the throttled MoEngage client → report in the thread and the summary.
 */
export function createLifecycle(deps: LifecycleDeps) {
  const now = deps.now ?? Date.now;
  const newId = deps.newId ?? randomUUID;
  const audit = deps.logger.child({ module: 'audit' });
  const log = deps.logger.child({ module: 'lifecycle' });
  const emit = (event: Record<string, unknown>) => {
    audit.info(event);
    deps.observe?.(event);
  };
  // Executions in flight, so shutdown can let them finish, and the signal that cuts them short if it must.
  const running = new Set<Promise<void>>();
  const shutdown = new AbortController();

  const describe = (r: CampaignActionRequest) => ({
    requestId: r.id,
    action: r.action,
    channel: r.channelId,
    requestedBy: r.requestedBy,
    campaignIds: r.campaignIds,
    reason: r.reason,
    source: r.source,
  });

  /** Message edits are best-effort: a failed edit is logged, never allowed to stop the action. */
  const update = async (r: CampaignActionRequest, message: SlackMessage) => {
    if (!r.messageTs) return;
    try {
      await deps.slack.updateMessage(r.channelId, r.messageTs, message);
    } catch (error) {
      log.warn({ requestId: r.id, err: errorText(error) }, 'could not update the confirmation message');
    }
  };

  const check = async (
    userId: string,
    channelId: string,
    step: string,
    extra: Record<string, unknown>,
    grantedBy?: string,
  ) => {
    const actor = grantedBy ? { userId, channelId, grantedBy } : { userId, channelId };
    const decision = await authorize(actor, deps.policy, deps.groups);
    if (!decision.allowed) {
      emit({
        event: 'denied',
        step,
        user: userId,
        channel: channelId,
        failed: decision.failed,
        ...extra,
      });
    }
    return decision;
  };

  async function propose(input: ProposeInput): Promise<Outcome<CampaignActionRequest>> {
    const base = {
      action: input.action,
      campaignIds: input.campaignIds,
      reason: input.reason,
      source: input.source,
    };
    const decision = await check(input.requestedBy, input.channelId, 'request', base, input.grantedBy);
    if (!decision.allowed) return { ok: false, message: decision.message, code: 'denied' };

    const createdAt = now();
    const request: CampaignActionRequest = {
      id: newId(),
      action: input.action,
      campaignIds: input.campaignIds,
      reason: input.reason,
      requestedBy: input.requestedBy,
      channelId: input.channelId,
      source: input.source,
      createdAt,
      expiresAt: createdAt + deps.ttlMs,
      messageTs: undefined,
      state: 'pending',
      decidedBy: undefined,
      decidedAt: undefined,
    };
    await deps.store.create(request);
    const needsSecond = deps.secondApproverActions.includes(request.action);
    let ts: string;
    try {
      ts = await deps.slack.postMessage(request.channelId, confirmationMessage(request, needsSecond));
    } catch (error) {
      // Without a message nobody can confirm it: retire the request at once.
      await deps.store.decide(request.id, 'cancelled', 'system', now());
      const code = error instanceof SlackCallError ? error.code : 'unknown';
      log.warn({ requestId: request.id, code }, 'could not post the confirmation');
      const failure =
        code === 'not_in_channel' || code === 'channel_not_found' ? 'not_in_channel' : 'slack_error';
      return { ok: false, message: postFailureMessage(code), code: failure };
    }
    request.messageTs = ts;
    try {
      await deps.store.setMessageTs(request.id, ts);
    } catch (error) {
      // The buttons are up but the request cannot be tied to them: take them down rather than leave a
      // confirmation whose later edits (running, results, expiry) could never happen.
      log.error(
        { requestId: request.id, err: errorText(error) },
        'could not record the confirmation message',
      );
      await update(request, unrecordedMessage(request));
      return { ok: false, message: STORE_DOWN, code: 'store_error' };
    }
    // A list too long for the message goes in its thread, so whoever confirms can see every id.
    for (const reply of idListReplies(request)) await postThread(request, reply);
    emit({ event: 'requested', user: input.requestedBy, via: decision.via, ...describe(request) });
    return { ok: true, value: request };
  }

  async function confirm(click: Click): Promise<Outcome> {
    const request = await deps.store.get(click.requestId);
    if (!request) return { ok: false, message: NOT_FOUND };
    const decision = await check(click.userId, request.channelId, 'confirm', describe(request));
    if (!decision.allowed) return { ok: false, message: decision.message };
    if (deps.secondApproverActions.includes(request.action) && click.userId === request.requestedBy) {
      emit({
        event: 'denied',
        step: 'confirm',
        failed: 'second_approver',
        user: click.userId,
        ...describe(request),
      });
      return {
        ok: false,
        message: `A ${request.action} needs a second person: someone other than you (the requester) must confirm it.`,
      };
    }
    const result = await deps.store.decide(request.id, 'confirmed', click.userId, now());
    if (!result.ok) return refusal(result);
    const confirmed = result.request;
    emit({ event: 'confirmed', user: click.userId, via: decision.via, ...describe(confirmed) });
    // MoEngage is called at once; the "running" edit goes alongside and lands before the summary edit.
    await track(execute(confirmed, update(confirmed, runningMessage(confirmed))));
    return { ok: true, value: undefined };
  }

  /**
   * Confirms on behalf of a runbook token granted auto_execute for this action (checked by its door): the same
   * single-use claim, message update, execution and report as a click, without waiting for a person.
   */
  async function autoConfirm(requestId: string, by: string): Promise<Outcome> {
    const result = await deps.store.decide(requestId, 'confirmed', by, now());
    if (!result.ok) return refusal(result);
    const confirmed = result.request;
    emit({ event: 'confirmed', user: by, via: 'auto_execute', ...describe(confirmed) });
    // MoEngage is called at once; the "running" edit goes alongside and lands before the summary edit.
    await track(execute(confirmed, update(confirmed, runningMessage(confirmed))));
    return { ok: true, value: undefined };
  }

  async function track(execution: Promise<void>): Promise<void> {
    running.add(execution);
    try {
      await execution;
    } finally {
      running.delete(execution);
    }
  }

  async function execute(request: CampaignActionRequest, runningEdit: Promise<void>): Promise<void> {
    let report: StatusChangeReport;
    try {
      report = await deps.moengage.changeCampaignStatus(request.action, request.campaignIds, {
        signal: shutdown.signal,
      });
    } catch (error) {
      // The client reports every failure per id; reaching here is a bug. Say so where people look, and give
      // the runbook API and the Workflow step a result too, so nobody waits for one that never comes.
      log.error({ requestId: request.id, err: errorText(error) }, 'execution crashed');
      emit({ event: 'completed', outcome: 'crashed', ...describe(request) });
      const message = `The run failed before a result: ${errorText(error)}. Check MoEngage before retrying.`;
      await saveResult(request, {
        applied: 0,
        failed: request.campaignIds.length,
        completedAt: now(),
        outcomes: request.campaignIds.map((campaignId) => ({ campaignId, status: 'failed', error: message })),
      });
      await runningEdit;
      await postThread(request, crashReply(error));
      await update(request, crashedMessage(request));
      return;
    }
    for (const send of report.sends) {
      const { requestId: moengageRequestId, ...rest } = send;
      // The send's own ids replace the request's: one event per MoEngage request.
      emit({ event: 'executed', ...describe(request), user: request.decidedBy, moengageRequestId, ...rest });
    }
    await saveResult(request, {
      applied: report.applied,
      failed: report.failed,
      completedAt: now(),
      outcomes: report.outcomes.map((o) =>
        o.status === 'applied'
          ? { campaignId: o.campaignId, status: 'applied' }
          : { campaignId: o.campaignId, status: 'failed', error: o.error.message },
      ),
    });
    await runningEdit;
    for (const reply of resultReplies(report)) await postThread(request, reply);
    // Audited before the summary edit, so the trail never depends on Slack answering.
    emit({
      event: 'completed',
      ...describe(request),
      user: request.decidedBy,
      applied: report.applied,
      failed: report.failed,
      moengageRequests: report.requests,
      elapsedMs: report.elapsedMs,
    });
    await update(request, completedMessage(request, report));
  }

  async function saveResult(request: CampaignActionRequest, result: RequestResult) {
    await deps.store
      .setResult(request.id, result)
      .catch((error: unknown) =>
        log.error({ requestId: request.id, err: errorText(error) }, 'could not store the result'),
      );
  }

  async function postThread(request: CampaignActionRequest, message: SlackMessage) {
    try {
      await deps.slack.postMessage(request.channelId, message, request.messageTs);
    } catch (error) {
      // The outcome is still in the audit log and the parent message's summary.
      log.error({ requestId: request.id, err: errorText(error) }, 'could not post results in the thread');
    }
  }

  async function cancel(click: Click): Promise<Outcome> {
    const request = await deps.store.get(click.requestId);
    if (!request) return { ok: false, message: NOT_FOUND };
    const decision = await check(click.userId, request.channelId, 'cancel', describe(request));
    if (!decision.allowed) return { ok: false, message: decision.message };
    const result = await deps.store.decide(request.id, 'cancelled', click.userId, now());
    if (!result.ok) return refusal(result);
    emit({ event: 'cancelled', user: click.userId, ...describe(result.request) });
    await update(result.request, cancelledMessage(result.request));
    return { ok: true, value: undefined };
  }

  /** Expires every pending request whose time is up; each is expired, and its message edited, exactly once. */
  async function expireDue(): Promise<number> {
    let expired = 0;
    for (const due of await deps.store.dueForExpiry(now())) {
      const result = await deps.store.decide(due.id, 'expired', 'system', now());
      if (!result.ok) continue;
      expired += 1;
      emit({ event: 'expired', ...describe(result.request) });
      await update(result.request, expiredMessage(result.request));
    }
    return expired;
  }

  function refusal(result: Exclude<DecideResult, { ok: true }>): Outcome {
    if (result.reason === 'not_found') return { ok: false, message: NOT_FOUND };
    const r = result.request;
    if (result.reason === 'expired' || result.reason === 'not_due' || r.state === 'expired') {
      // Edit the message now rather than wait for the sweep.
      void expireDue();
      return {
        ok: false,
        message: `This request expired at ${slackDate(r.expiresAt, '{time}')}; nothing was changed. Run the command again if it is still needed.`,
      };
    }
    const by = mention(r.decidedBy ?? '');
    const when = r.decidedAt ? ` at ${slackDate(r.decidedAt, '{time}')}` : '';
    return { ok: false, message: `This request was already ${r.state} by ${by}${when}.` };
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

  return {
    propose,
    confirm,
    cancel,
    autoConfirm,
    expireDue,
    drain,
    get: (id: string) => deps.store.get(id),
    inFlight: () => running.size,
  };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;

const STORE_DOWN =
  "I could not record the request (the bot's storage did not answer), so nothing was requested. Try again in a minute.";

const NOT_FOUND =
  'I have no record of this request (it may predate a restart). Run the command again if it is still needed.';

function postFailureMessage(code: string): string {
  if (code === 'not_in_channel' || code === 'channel_not_found') {
    return 'I am not in this channel, so I cannot post the confirmation. Invite me with `/invite @campaign-bot` and run the command again.';
  }
  return `Slack refused the confirmation message (${code}), so nothing was requested. Try again in a moment.`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
