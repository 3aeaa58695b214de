import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { type AccessPolicy, authorize, type UserGroupResolver } from '../auth/policy.ts';
import {
  cancelledMessage,
  confirmationMessage,
  expiredMessage,
  idListReplies,
  mention,
  unrecordedMessage,
} from '../slack/messages.ts';
import { slackDate } from '../slack/mrkdwn.ts';
import { SlackCallError, type SlackPort } from '../slack/port.ts';
import { type CampaignExecutor, createExecution } from './execution.ts';
import type { CampaignActionRequest, DecideResult, RequestStore } from './model.ts';
import { createReport, errorText } from './report.ts';

export type { CampaignExecutor } from './execution.ts';

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

  const describe = (r: CampaignActionRequest) => ({
    requestId: r.id,
    action: r.action,
    channel: r.channelId,
    requestedBy: r.requestedBy,
    campaignIds: r.campaignIds,
    reason: r.reason,
    source: r.source,
  });

  const report = createReport({ slack: deps.slack, store: deps.store, log });
  const { update, postThread } = report;
  const execution = createExecution({ moengage: deps.moengage, report, emit, describe, now, log });

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
    return claimAndRun(request.id, click.userId, decision.via);
  }

  /**
   * Confirms on behalf of a runbook token granted auto_execute for this action (checked by its door): the same
   * single-use claim, message update, execution and report as a click, without waiting for a person.
   */
  function autoConfirm(requestId: string, by: string): Promise<Outcome> {
    return claimAndRun(requestId, by, 'auto_execute');
  }

  /** The single-use claim, then the run: what a click and an auto_execute grant have in common. */
  async function claimAndRun(requestId: string, by: string, via: string): Promise<Outcome> {
    const result = await deps.store.decide(requestId, 'confirmed', by, now());
    if (!result.ok) return refusal(result);
    emit({ event: 'confirmed', user: by, via, ...describe(result.request) });
    await execution.run(result.request);
    return { ok: true, value: undefined };
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

  return {
    propose,
    confirm,
    cancel,
    autoConfirm,
    expireDue,
    drain: execution.drain,
    get: (id: string) => deps.store.get(id),
    inFlight: execution.inFlight,
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
