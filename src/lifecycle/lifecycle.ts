import type { Actor } from '../auth/authorize.ts';
import type { Outcome } from '../core/outcomes.ts';
import {
  approvalProgress,
  asResumeGrant,
  type CampaignActionRequest,
  resumeRuleName,
} from '../core/request.ts';
import { createCampaignReads } from './campaigns.ts';
import { waitSettled } from './changes.ts';
import { type LifecycleDeps, lifecycleContext, refusalOf } from './context.ts';
import type { Lifecycle, StepToken } from './contract.ts';
import { errorText } from './error-text.ts';
import { afterRecorded } from './errors.ts';
import { createExecution } from './execution.ts';
import { createFollowUp } from './follow-up.ts';
import { createFreeze } from './freeze.ts';
import { createHistory } from './history.ts';
import { createHome } from './home.ts';
import { inFlight } from './in-flight.ts';
import { type CampaignLookup, createLookup } from './lookup.ts';
import { createPropose } from './propose.ts';
import { createReminders } from './reminders.ts';
import { createSchedule } from './schedule.ts';
import { createStatus } from './status.ts';
import { type Sweeps, startSweeps, sweepEvery } from './sweeps.ts';

export type { LifecycleDeps } from './context.ts';
export type { Lifecycle, ProposeInput, StepToken } from './contract.ts';
export type { CampaignExecutor } from './execution-deps.ts';

/**
 * The one lifecycle every door uses: authorize → propose (post the confirmation) → approve (N distinct
 * approvers; the last one is the single-use claim) or cancel or expire → execute through the throttled MoEngage
 * client → report. It answers in codes (core/outcomes.ts) and tells people through the notifier port. What each
 * method does and answers is written in the interface it implements (contract.ts).
 */
export function createLifecycle(deps: LifecycleDeps): Lifecycle {
  const ctx = lifecycleContext(deps);
  const { emit, fields, log, now, changes } = ctx;
  // A finished PAUSE "for a while" is handed to the schedule when the index says its reminder or RESUME is due.
  let schedule: ReturnType<typeof createSchedule> | undefined;
  const execution = createExecution({
    onDue: (r) => schedule?.due(r) ?? Promise.resolve(),
    moengage: deps.moengage,
    notifier: deps.notifier,
    store: deps.store,
    changes,
    emit,
    fields,
    now,
    log,
    handBack: deps.handBack ?? false,
    resumeWindowMs: deps.resumeWindowMs ?? 60 * 60_000,
    ...(deps.leaseMs ? { leaseMs: deps.leaseMs } : {}),
    ...(deps.onRepeated ? { onRepeated: deps.onRepeated } : {}),
    ...(deps.catalog ? { catalog: deps.catalog } : {}),
    ...(deps.lookup ? { check: checkWith(deps.lookup) } : {}),
    ...(deps.lookupRules ? { lookupRules: deps.lookupRules } : {}),
    ...(deps.staleLookupMs !== undefined ? { staleLookupMs: deps.staleLookupMs } : {}),
    ...(deps.progressMs ? { progressMs: deps.progressMs } : {}),
  });

  /** A refused decision; an expired one has its message edited now rather than at the next sweep. */
  const refusal = (result: Parameters<typeof refusalOf>[0]): Outcome => {
    const outcome = refusalOf(result);
    if (outcome.kind === 'expired') void expireDue().catch(() => {});
    return outcome;
  };

  /** The single-use claim, then the run, for a request whose rule needs no approval. */
  async function claimAndRun(requestId: string, by: string, via: string): Promise<Outcome> {
    const result = await deps.store.decide(requestId, 'confirmed', by, now());
    if (!result.ok) return refusal(result);
    return started(result.request, by, via);
  }

  function started(request: CampaignActionRequest, by: string, via: string): Outcome {
    changes.publish(request.id);
    emit({ event: 'confirmed', user: by, via, ...fields(request) });
    void execution.start(request);
    return { kind: 'running', request };
  }

  /**
   * The request a click (Confirm, Cancel) is about, with what the click brings recorded in one write: the
   * message it was on, when the store never learnt it (the bot died between posting the confirmation and
   * recording it), so edits and the thread still find it; and, on a Workflow step's confirmation, the step's
   * fresh token, for whoever finishes the step.
   */
  async function clicked(requestId: string, seenTs: string | undefined, step: StepToken | undefined) {
    const stored = await deps.store.get(requestId);
    if (!stored) return undefined;
    const learnTs = !stored.messageTs && seenTs !== undefined;
    const learnToken = step !== undefined && stored.workflow?.executionId === step.executionId;
    if (!learnTs && !learnToken) return stored;
    const updated = await deps.store.update(requestId, (r) => ({
      next: {
        ...r,
        ...(learnTs && !r.messageTs ? { messageTs: seenTs } : {}),
        ...(learnToken && r.workflow && step
          ? { workflow: { ...r.workflow, token: step.token, tokenUntil: step.tokenUntil } }
          : {}),
      },
      value: true,
    }));
    return updated?.request ?? stored;
  }

  /**
   * May this person approve it, and for which rules? A PAUSE "for a while" also asks for its RESUME's approvals
   * (grants of part `resume`, named `resume:<rule>`): a person counts for the PAUSE's rules as its approvers, and for
   * the RESUME's as theirs (each with its own same-person rule), for either or both.
   */
  async function approverVerdict(actor: Actor, request: CampaignActionRequest) {
    const own = request.grants.filter((g) => g.part === undefined);
    const later = request.grants.filter((g) => g.part === 'resume');
    const pause = await deps.authorize(actor, 'approve', { ...request, grants: own });
    if (later.length === 0) return pause;
    const resume = await deps.authorize(actor, 'approve', {
      ...request,
      action: 'RESUME',
      grants: later.map((g) => ({ ...g, rule: resumeRuleName(g.rule) })),
    });
    if (!pause.allowed && !resume.allowed) return pause;
    const grants = [
      ...(pause.allowed ? pause.grants : []),
      ...(resume.allowed ? resume.grants.map(asResumeGrant) : []),
    ];
    const via = pause.allowed ? pause.via : resume.allowed ? resume.via : '';
    return { allowed: true as const, via, grants };
  }

  /** An approval (a Confirm click): counted per rule; the one that completes a rule's count runs it. */
  async function approve(
    requestId: string,
    actor: Actor,
    seenTs?: string,
    step?: StepToken,
  ): Promise<Outcome> {
    const request = await clicked(requestId, seenTs, step);
    if (!request) return { kind: 'not_found' };
    const verdict = await approverVerdict(actor, request);
    if (!verdict.allowed) return ctx.denied('approve', actor, verdict.part, { ...request, requestId });
    const by = ctx.actorId(actor);
    const result = await deps.store.approve(requestId, {
      by,
      at: now(),
      rules: verdict.grants.map((g) => g.rule),
    });
    if (!result.ok) {
      if (result.reason === 'already_approved')
        return { kind: 'already_approved', ...approvalProgress(result.request) };
      return refusal(result);
    }
    const progress = approvalProgress(result.request);
    emit({
      event: 'approved',
      user: by,
      via: verdict.via,
      approvals: progress.n,
      of: progress.of,
      ...fields(result.request),
    });
    if (result.confirmed) return started(result.request, by, verdict.via);
    changes.publish(requestId);
    // Counted already: a failure to show it must not be told as "nothing changed".
    await afterRecorded('approval', () =>
      deps.notifier.update(result.request, { kind: 'approval_recorded', by, ...progress }),
    );
    return { kind: 'approval_recorded', request: result.request, ...progress };
  }

  async function cancel(
    requestId: string,
    actor: Actor,
    seenTs?: string,
    step?: StepToken,
  ): Promise<Outcome> {
    const request = await clicked(requestId, seenTs, step);
    if (!request) return { kind: 'not_found' };
    const verdict = await deps.authorize(actor, 'cancel', request);
    if (!verdict.allowed) return ctx.denied('cancel', actor, verdict.part, { ...request, requestId });
    const by = ctx.actorId(actor);
    const result = await deps.store.decide(request.id, 'cancelled', by, now());
    if (!result.ok) return refusal(result);
    changes.publish(requestId);
    emit({ event: 'cancelled', user: by, ...fields(result.request) });
    await afterRecorded('cancel', () => deps.notifier.update(result.request, { kind: 'cancelled' }));
    return { kind: 'cancelled', request: result.request };
  }

  /** A request as the actor may see it (the runbook API's status call). */
  async function read(
    requestId: string,
    actor: Actor,
  ): Promise<{ kind: 'request'; request: CampaignActionRequest } | Outcome> {
    const request = await deps.store.get(requestId);
    if (!request) return { kind: 'not_found' };
    // Not allowed to read it is told as "no such request": whether it exists is not the caller's to know.
    const verdict = await deps.authorize(actor, 'read', request);
    return verdict.allowed ? { kind: 'request', request } : { kind: 'not_found' };
  }

  /** The campaign groups this actor may use in this channel. */
  async function listGroups(
    channelId: string,
    actor: Actor,
  ): Promise<{ kind: 'groups'; groups: [string, readonly string[]][] } | Outcome> {
    const facts = { action: 'PAUSE' as const, channelId, campaignIds: [], requestedBy: ctx.actorId(actor) };
    const verdict = await deps.authorize(actor, 'list_groups', facts);
    if (!verdict.allowed) return ctx.denied('list_groups', actor, verdict.part, { channelId });
    const visible = verdict.groups ?? [];
    return {
      kind: 'groups',
      groups: [...deps.groups].filter(([name]) => visible === 'all' || visible.includes(name)),
    };
  }

  // Expiry edits handed on and not yet queued or taken: bounded, so a backed-up channel (or an outbox that is away,
  // when the notifier sends to Slack directly) cannot grow the process.
  const showing = inFlight(EXPIRY_EDITS_IN_FLIGHT);

  /**
   * Expires the pending requests whose time is up, a page at a time, each exactly once (the store's decide) and
   * audited; its message's edit is started, not awaited (the outbox queues it, Slack paces it), with a bounded
   * number in flight: when that many are still under way, the rest wait for the next round (a click on them is
   * refused as expired meanwhile).
   */
  async function expireBatches(): Promise<number> {
    let expired = 0;
    for (;;) {
      if (showing.full()) break;
      const batch = await deps.store.dueForExpiry(now(), { limit: EXPIRY_BATCH });
      let left = 0;
      for (const due of batch) {
        if (showing.full()) break;
        try {
          const result = await deps.store.decide(due.id, 'expired', 'system', now());
          left += 1;
          if (!result.ok) continue;
          expired += 1;
          changes.publish(due.id);
          emit({ event: 'expired', ...fields(result.request) });
          showing.start(() =>
            deps.notifier
              .update(result.request, { kind: 'expired' })
              .catch((error: unknown) =>
                log.warn({ requestId: due.id, err: errorText(error) }, 'expiry not shown'),
              ),
          );
        } catch (error) {
          // One request the store cannot decide must not hold up the expiry of the others.
          log.error({ requestId: due.id, err: errorText(error) }, 'could not expire a request');
        }
      }
      // A short page is the end; a page where nothing left the index (the store refusing) is retried next round.
      if (batch.length < EXPIRY_BATCH || left === 0) break;
    }
    return expired;
  }
  // One expiry round at a time on this replica, whoever asks (the sweep, a click on an expired request).
  let expiring: Promise<number> | undefined;
  const expireDue = (): Promise<number> =>
    (expiring ??= expireBatches().finally(() => {
      expiring = undefined;
    }));

  // The freezes are created further down (they propose); the schedule asks for them only when a RESUME is due.
  let freezesActive: () => Promise<CampaignActionRequest[]> = async () => [];
  schedule = createSchedule(
    ctx,
    () => execution.resumeDue(),
    () => freezesActive(),
  );

  const lookup = deps.lookup
    ? createLookup({
        search: deps.lookup,
        store: deps.store,
        notifier: deps.notifier,
        now,
        log,
        rules: deps.lookupRules ?? { stopBeyondScheduled: false },
      })
    : undefined;

  const propose = createPropose(ctx, claimAndRun, lookup);
  const followUp = createFollowUp(ctx, propose);
  const freezes = createFreeze(ctx, propose, followUp, deps.lookup);
  freezesActive = freezes.active;
  const home = createHome(ctx, freezes.active, deps.quota);
  const remindDue = createReminders(ctx);

  let sweeps: Sweeps | undefined;
  /**
   * Starts the sweeps: pending requests past their time expire, runs whose runner has gone are taken over,
   * reminders are sent; each one round at a time (the next waits for the last), so a backlog cannot pile rounds
   * up. And takes over now, not at the first sweep, the runs this bot (or a replica) left unfinished before it
   * started.
   */
  function start(): void {
    if (sweeps) return;
    sweeps = startSweeps(
      { expiry: expireDue, resume: () => execution.resumeDue(), reminders: remindDue },
      {
        everyMs: deps.sweepMs ?? sweepEvery(deps.ttlMs),
        log: deps.logger.child({ module: 'sweeps' }),
        onRound: deps.onSweep,
      },
    );
    void execution
      .resumeDue(deps.exclusiveStore ?? false)
      .catch((error: unknown) => log.error({ err: errorText(error) }, 'resume failed'));
  }

  const campaigns = createCampaignReads(ctx, deps.catalog);

  return {
    start,
    /** Stops the sweeps; resolves once the rounds under way have finished (runs go on: `drain` is for them). */
    stop: async () => {
      await sweeps?.stop();
    },
    findCampaigns: campaigns.find,
    campaignsIn: campaigns.inText,
    propose,
    followUp,
    /** `/campaign freeze` and `unfreeze`. */
    freeze: freezes.freeze,
    unfreeze: freezes.unfreeze,
    freezes: freezes.list,
    /** What a person's App Home shows. */
    home,
    /** Every request change, on any replica (the App Home redraws on it). */
    onChange: (fn: (requestId: string) => void) => changes.subscribe(fn),
    history: createHistory(ctx),
    /** Reminds the approvers of confirmations nobody approved, and escalates waiting STOPs (the sweep runs it). */
    remindDue,
    status: createStatus(ctx, lookup),
    /** "Keep paused" / "Resume now" on a PAUSE "for a while". */
    changeSchedule: schedule.change,
    approve,
    cancel,
    read,
    listGroups,
    expireDue,
    /** Takes over the runs whose runner has gone (a crash, a deploy), or reports those too old to resume. */
    resumeDue: execution.resumeDue,
    /** Waits for a request to be settled (decided and, if confirmed, run) on any replica, without polling. */
    settled: (id: string, timeoutMs: number, signal?: AbortSignal) =>
      waitSettled(id, { get: (x) => deps.store.get(x), feed: changes }, timeoutMs, undefined, signal),
    drain: execution.drain,
  };
}

/** Requests read per page by the expiry sweep. */
const EXPIRY_BATCH = 100;
/** Expiry edits waiting on Slack at once (Slack takes about 50 edits a minute for the workspace). */
const EXPIRY_EDITS_IN_FLIGHT = 50;

/** The search as the runner's check after a run: a lookup at the front of the queue (priority 1). */
function checkWith(search: CampaignLookup) {
  return async (ids: readonly string[]) => {
    const result = await search.lookup(ids, 1);
    return result.ok ? result : { ok: false as const, message: result.message };
  };
}
