import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Actor, Authorize, Step } from '../auth/authorize.ts';
import { tokenRequester } from '../auth/authorize.ts';
import type { CampaignGroups } from '../core/groups.ts';
import type { Outcome } from '../core/outcomes.ts';
import { checkProposal, type ProposalRules } from '../core/proposal.ts';
import { approvalProgress, type CampaignActionRequest, type DecideResult } from '../core/request.ts';
import type { RequestStore } from '../requests/model.ts';
import type { AuditEvent, RequestFields } from './audit.ts';
import { type ChangeFeed, createMemoryChangeFeed, waitSettled } from './changes.ts';
import { type CampaignExecutor, createExecution, errorText } from './execution.ts';
import { type Notifier, NotifyError } from './notifier.ts';

export type { CampaignExecutor } from './execution.ts';

export interface LifecycleDeps {
  store: RequestStore;
  moengage: CampaignExecutor;
  notifier: Notifier;
  authorize: Authorize;
  groups: CampaignGroups;
  proposalRules: Omit<ProposalRules, 'groups'>;
  ttlMs: number;
  /** One structured event per step, under module "audit". */
  logger: Logger;
  /** Receives every audit event too (metrics). */
  observe?: (event: AuditEvent) => void;
  /** Where changes are announced for `settled` (Redis pub/sub with replicas). */
  changes?: ChangeFeed;
  now?: () => number;
  newId?: () => string;
}

/** What a door asks to propose, as the caller gave it: the lifecycle checks every field. */
export interface ProposeInput {
  actor: Actor;
  action: string;
  /** Campaign ids and `group:NAME` tokens. */
  ids: readonly string[];
  reason: string | undefined;
  channelId: string;
  source: string;
  /** A Slack user a runbook caller says it acts for (unverified). */
  onBehalfOf?: string | undefined;
}

/**
 * The one lifecycle every door uses: authorize → propose (post the confirmation) → approve (N distinct
 * approvers; the last one is the single-use claim) or cancel or expire → execute through the throttled MoEngage
 * client → report. It answers in codes (core/outcomes.ts) and tells people through the notifier port.
 */
export function createLifecycle(deps: LifecycleDeps) {
  const now = deps.now ?? Date.now;
  const newId = deps.newId ?? randomUUID;
  const audit = deps.logger.child({ module: 'audit' });
  const log = deps.logger.child({ module: 'lifecycle' });
  const changes = deps.changes ?? createMemoryChangeFeed();
  const emit = (event: AuditEvent) => {
    audit.info(event);
    deps.observe?.(event);
  };
  const fields = (r: CampaignActionRequest): RequestFields => ({
    requestId: r.id,
    action: r.action,
    channel: r.channelId,
    requestedBy: r.requestedBy,
    onBehalfOf: r.onBehalfOf,
    campaignIds: r.campaignIds,
    reason: r.reason,
    source: r.source,
  });
  const execution = createExecution({
    moengage: deps.moengage,
    notifier: deps.notifier,
    async saveResult(request, result) {
      await deps.store.setResult(request.id, result).then(
        () => changes.publish(request.id),
        (error: unknown) =>
          log.error({ requestId: request.id, err: errorText(error) }, 'could not store the result'),
      );
    },
    emit,
    fields,
    now,
    log,
  });

  const actorId = (a: Actor) => (a.kind === 'user' ? a.id : tokenRequester(a.name));
  const denied = (
    step: Step,
    actor: Actor,
    part: Outcome & { kind: 'denied' },
    r?: CampaignActionRequest,
  ) => {
    emit({
      event: 'denied',
      step,
      failed: part.part,
      user: actorId(actor),
      channel: r?.channelId ?? '',
      ...(part.action ? { action: part.action as CampaignActionRequest['action'] } : {}),
      ...(r ? { requestId: r.id } : {}),
    });
    return part;
  };

  async function propose(input: ProposeInput): Promise<Outcome> {
    const checked = checkProposal(
      { action: input.action, ids: input.ids, reason: input.reason },
      { ...deps.proposalRules, groups: deps.groups },
    );
    if (!checked.ok) return { kind: 'invalid_input', field: checked.field, message: checked.message };
    const requestedBy = actorId(input.actor);
    const facts = {
      action: checked.action,
      channelId: input.channelId,
      campaignIds: checked.campaignIds,
      requestedBy,
      onBehalfOf: input.onBehalfOf,
    };
    const verdict = await deps.authorize(input.actor, 'propose', facts);
    if (!verdict.allowed) {
      const refusal = {
        kind: 'denied',
        step: 'propose',
        part: verdict.part,
        action: checked.action,
      } as const;
      emit({
        event: 'denied',
        step: 'propose',
        failed: verdict.part,
        user: requestedBy,
        channel: input.channelId,
        action: checked.action,
      });
      return refusal;
    }
    const createdAt = now();
    const request: CampaignActionRequest = {
      id: newId(),
      ...facts,
      reason: checked.reason,
      source: input.source,
      grants: verdict.grants,
      approvals: [],
      createdAt,
      expiresAt: createdAt + deps.ttlMs,
      messageTs: undefined,
      state: 'pending',
      decidedBy: undefined,
      decidedAt: undefined,
    };
    try {
      await deps.store.create(request);
    } catch (error) {
      log.error({ requestId: request.id, err: errorText(error) }, 'could not store the request');
      return { kind: 'unavailable', what: 'store' };
    }
    let ts: string;
    try {
      ts = await deps.notifier.post(request);
    } catch (error) {
      // Without a message nobody can approve it: retire the request at once.
      await deps.store.decide(request.id, 'cancelled', 'system', now()).catch(() => {});
      if (error instanceof NotifyError && error.code === 'not_in_channel') return { kind: 'not_in_channel' };
      const code = error instanceof NotifyError ? error.detail : 'unknown';
      log.warn({ requestId: request.id, code }, 'could not post the confirmation');
      return { kind: 'unavailable', what: 'slack', code };
    }
    request.messageTs = ts;
    try {
      await deps.store.setMessageTs(request.id, ts);
    } catch (error) {
      // The buttons are up but the request cannot be tied to them: take them down rather than leave a
      // confirmation whose later edits (running, results, expiry) could never happen.
      log.error({ requestId: request.id, err: errorText(error) }, 'could not record the message');
      await deps.notifier.update(request, { kind: 'unrecorded' });
      return { kind: 'unavailable', what: 'store' };
    }
    emit({
      event: 'requested',
      user: requestedBy,
      via: verdict.via,
      rules: verdict.grants.map((g) => g.rule),
      ...fields(request),
    });
    if (!verdict.grants.some((g) => g.needed === 0)) return { kind: 'proposed', request };
    // A rule that needs no approval (auto_execute): the same single-use claim, without waiting for a person.
    return claimAndRun(request.id, requestedBy, verdict.via);
  }

  /** An approval (a Confirm click): counted per rule; the one that completes a rule's count runs it. */
  async function approve(requestId: string, actor: Actor): Promise<Outcome> {
    const request = await deps.store.get(requestId);
    if (!request) return { kind: 'not_found' };
    const verdict = await deps.authorize(actor, 'approve', request);
    if (!verdict.allowed) {
      return denied(
        'approve',
        actor,
        { kind: 'denied', step: 'approve', part: verdict.part, action: request.action },
        request,
      );
    }
    const by = actorId(actor);
    const result = await deps.store.approve(requestId, {
      by,
      at: now(),
      rules: verdict.grants.map((g) => g.rule),
    });
    if (!result.ok) {
      if (result.reason === 'already_approved') {
        return { kind: 'already_approved', ...approvalProgress(result.request) };
      }
      return refusal(result);
    }
    changes.publish(requestId);
    const progress = approvalProgress(result.request);
    emit({
      event: 'approved',
      user: by,
      via: verdict.via,
      approvals: progress.n,
      of: progress.of,
      ...fields(result.request),
    });
    if (!result.confirmed) {
      await deps.notifier.update(result.request, { kind: 'approval_recorded', by, ...progress });
      return { kind: 'approval_recorded', request: result.request, ...progress };
    }
    emit({ event: 'confirmed', user: by, via: verdict.via, ...fields(result.request) });
    void execution.start(result.request);
    return { kind: 'running', request: result.request };
  }

  /** The single-use claim, then the run, for a request whose rule needs no approval. */
  async function claimAndRun(requestId: string, by: string, via: string): Promise<Outcome> {
    const result = await deps.store.decide(requestId, 'confirmed', by, now());
    if (!result.ok) return refusal(result);
    changes.publish(requestId);
    emit({ event: 'confirmed', user: by, via, ...fields(result.request) });
    void execution.start(result.request);
    return { kind: 'running', request: result.request };
  }

  async function cancel(requestId: string, actor: Actor): Promise<Outcome> {
    const request = await deps.store.get(requestId);
    if (!request) return { kind: 'not_found' };
    const verdict = await deps.authorize(actor, 'cancel', request);
    if (!verdict.allowed) {
      return denied('cancel', actor, { kind: 'denied', step: 'cancel', part: verdict.part }, request);
    }
    const by = actorId(actor);
    const result = await deps.store.decide(request.id, 'cancelled', by, now());
    if (!result.ok) return refusal(result);
    changes.publish(requestId);
    emit({ event: 'cancelled', user: by, ...fields(result.request) });
    await deps.notifier.update(result.request, { kind: 'cancelled' });
    return { kind: 'cancelled', request: result.request };
  }

  /** A request as the actor may see it (the runbook API's status call). */
  async function read(
    requestId: string,
    actor: Actor,
  ): Promise<{ kind: 'request'; request: CampaignActionRequest } | Outcome> {
    const request = await deps.store.get(requestId);
    if (!request) return { kind: 'not_found' };
    const verdict = await deps.authorize(actor, 'read', request);
    // Not allowed to read it is told as "no such request": whether it exists is not the caller's to know.
    if (!verdict.allowed) return { kind: 'not_found' };
    return { kind: 'request', request };
  }

  /** The campaign groups this actor may use in this channel. */
  async function listGroups(
    channelId: string,
    actor: Actor,
  ): Promise<{ kind: 'groups'; groups: [string, readonly string[]][] } | Outcome> {
    const facts = { action: 'PAUSE' as const, channelId, campaignIds: [], requestedBy: actorId(actor) };
    const verdict = await deps.authorize(actor, 'list_groups', facts);
    if (!verdict.allowed) {
      emit({
        event: 'denied',
        step: 'list_groups',
        failed: verdict.part,
        user: actorId(actor),
        channel: channelId,
      });
      return { kind: 'denied', step: 'list_groups', part: verdict.part };
    }
    const visible = verdict.groups ?? [];
    const groups = [...deps.groups].filter(([name]) => visible === 'all' || visible.includes(name));
    return { kind: 'groups', groups };
  }

  /** Expires every pending request whose time is up; each is expired, and its message edited, exactly once. */
  async function expireDue(): Promise<number> {
    let expired = 0;
    for (const due of await deps.store.dueForExpiry(now())) {
      const result = await deps.store.decide(due.id, 'expired', 'system', now());
      if (!result.ok) continue;
      expired += 1;
      changes.publish(due.id);
      emit({ event: 'expired', ...fields(result.request) });
      await deps.notifier.update(result.request, { kind: 'expired' });
    }
    return expired;
  }

  function refusal(
    result:
      | Exclude<DecideResult, { ok: true }>
      | {
          ok: false;
          reason: 'already_approved' | 'not_found' | 'expired' | 'already_decided';
          request?: CampaignActionRequest;
        },
  ): Outcome {
    if (result.reason === 'not_found' || !('request' in result) || !result.request)
      return { kind: 'not_found' };
    const r = result.request;
    if (result.reason === 'expired' || result.reason === 'not_due' || r.state === 'expired') {
      // Edit the message now rather than wait for the sweep.
      void expireDue().catch(() => {});
      return { kind: 'expired', at: r.expiresAt };
    }
    return { kind: 'already_decided', state: r.state, by: r.decidedBy, at: r.decidedAt };
  }

  return {
    propose,
    approve,
    cancel,
    read,
    listGroups,
    expireDue,
    /** Waits for a request to be settled (decided and, if confirmed, run) on any replica, without polling. */
    settled: (id: string, timeoutMs: number) =>
      waitSettled(id, { get: (x) => deps.store.get(x), feed: changes }, timeoutMs),
    drain: execution.drain,
    inFlight: execution.inFlight,
  };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
