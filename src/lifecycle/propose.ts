import type { Actor } from '../auth/authorize.ts';
import { isCampaignAction } from '../core/actions.ts';
import { type CampaignInfo, lookupOf } from '../core/campaign-info.ts';
import type { FreezeScope } from '../core/freeze.ts';
import type { Outcome } from '../core/outcomes.ts';
import type { PauseFor } from '../core/pause-for.ts';
import { type CheckedProposal, checkProposal, type InvalidProposal } from '../core/proposal.ts';
import {
  asResumeGrant,
  type CampaignActionRequest,
  type IncidentRef,
  isSatisfied,
  type WorkflowStep,
} from '../core/request.ts';
import type { LifecycleContext } from './context.ts';
import { errorText } from './error-text.ts';
import type { Lookup } from './lookup.ts';
import { NotifyError } from './notifier.ts';

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
  /** The Workflow step that asks (its confirmation is posted with the step's token, so its clicks carry it). */
  workflow?: WorkflowStep;
  /** `pause … for 2h`: the RESUME of what the PAUSE applies is scheduled (see core/pause-for.ts). */
  pauseFor?: PauseFor;
  /** A runbook's or webhook's incident, shown on the confirmation and audited. */
  incident?: IncidentRef;
  /** The API caller's `callback_url`, called once when the request settles. */
  callback?: { url: string; token: string };
  /**
   * Called once the request is stored and audited, before its confirmation waits for Slack (a webhook answers its
   * sender then: senders give up within 5 s, and a paced channel can hold a post longer).
   */
  onRecorded?: (request: CampaignActionRequest) => void;
  /** Check everything and say what would be proposed: nothing is stored, posted, looked up or sent. */
  dryRun?: boolean;
  /** More ids than MAX_CAMPAIGNS_PER_COMMAND: a follow-up of a request that had them (a freeze's unfreeze). */
  maxIds?: number;
  /** `/campaign freeze`: the scope it freezes, the request's id (already holding the scope), and what the search found. */
  freeze?: { scope: FreezeScope; id: string; found: ReadonlyMap<string, CampaignInfo> };
}

/**
 * Propose: check the input (the core's rules, the same for every door), authorize, store, post the
 * confirmation; under a rule that needs no approval, claim and run at once.
 */
export function createPropose(
  ctx: LifecycleContext,
  claimAndRun: (requestId: string, by: string, via: string) => Promise<Outcome>,
  lookup?: Lookup,
) {
  const { deps, emit, fields, log, now } = ctx;
  return async function propose(input: ProposeInput): Promise<Outcome> {
    const raw = { action: input.action, ids: input.ids, reason: input.reason };
    const action = input.action.trim().toUpperCase();
    if (!isCampaignAction(action)) return invalidInput(checkProposal(raw, deps.proposalRules));
    const requestedBy = ctx.actorId(input.actor);
    const who = { action, channelId: input.channelId, requestedBy, onBehalfOf: input.onBehalfOf };
    // First look: who, what and where, before any group is read, so nobody outside the policy learns which
    // groups exist (or how large they are), and a caller sees only the groups their rules name.
    const first = await deps.authorize(input.actor, 'propose', { ...who, campaignIds: undefined });
    if (!first.allowed) return ctx.denied('propose', input.actor, first.part, who);
    const visible = first.groups ?? [];
    const groups =
      visible === 'all' ? deps.groups : new Map([...deps.groups].filter(([g]) => visible.includes(g)));
    // A freeze names as many campaigns as are active (the API's own limit), not what a person would type.
    const maxIds = input.freeze ? FREEZE_MAX_IDS : Math.max(deps.proposalRules.maxIds, input.maxIds ?? 0);
    const rules = { ...deps.proposalRules, groups, maxIds };
    const checked = checkProposal(raw, rules);
    if (!checked.ok) return invalidInput(checked);
    const facts = { ...who, action: checked.action, campaignIds: checked.campaignIds };
    const verdict = await deps.authorize(input.actor, 'propose', facts);
    if (!verdict.allowed) return ctx.denied('propose', input.actor, verdict.part, facts);
    let grants = verdict.grants;
    if (input.pauseFor) {
      if (facts.action !== 'PAUSE') {
        return {
          kind: 'invalid_input',
          field: 'action',
          message: 'Only a pause can be for a while (`pause … for 2h`).',
        };
      }
      // The RESUME it schedules is approved when the PAUSE is: the requester must be allowed to request it too,
      // and it needs the approvals that RESUME would need, from its own approvers, beside the PAUSE's.
      const resume = { ...facts, action: 'RESUME' as const };
      const later = await deps.authorize(input.actor, 'propose', resume);
      if (!later.allowed) return ctx.denied('propose', input.actor, later.part, resume);
      grants = [...grants, ...later.grants.map(asResumeGrant)];
    }
    const createdAt = now();
    // A rule that runs at once (auto_execute) does not wait for a look; the others show one before anyone confirms.
    const immediate = isSatisfied({ approvals: [], grants });
    const known = input.freeze?.found;
    const request: CampaignActionRequest = {
      id: input.freeze?.id ?? ctx.newId(),
      ...facts,
      reason: checked.reason,
      source: input.source,
      grants,
      approvals: [],
      createdAt,
      expiresAt: createdAt + deps.ttlMs,
      messageTs: undefined,
      state: 'pending',
      decidedBy: undefined,
      decidedAt: undefined,
      // A freeze has just looked (the search that found its campaigns): that look is shown, not asked again.
      ...(known
        ? {
            lookup: lookupOf(
              facts.action,
              checked.campaignIds,
              known,
              deps.lookupRules ?? NO_RULES,
              createdAt,
            ),
          }
        : lookup && !immediate
          ? { lookup: lookup.pending(checked.campaignIds.length) }
          : {}),
      ...(input.freeze ? { freeze: { scope: input.freeze.scope } } : {}),
      ...(input.workflow ? { workflow: input.workflow } : {}),
      ...(input.pauseFor ? { pauseFor: input.pauseFor } : {}),
      ...(input.incident ? { incident: input.incident } : {}),
      ...(input.callback ? { callback: input.callback } : {}),
    };
    // Every check has passed: a dry run ends here, having stored, posted, looked up and sent nothing.
    if (input.dryRun) {
      const { lookup: _none, ...would } = request;
      return { kind: 'dry_run', request: would };
    }
    try {
      await deps.store.create(request);
    } catch (error) {
      log.error({ requestId: request.id, err: errorText(error) }, 'could not store the request');
      return { kind: 'unavailable', what: 'store' };
    }
    // Audited before the confirmation is up: a click on it can come at once, and the trail keeps the order.
    emit({
      event: 'requested',
      user: requestedBy,
      via: verdict.via,
      rules: grants.map((g) => g.rule),
      ...fields(request),
    });
    input.onRecorded?.({ ...request });
    let ts: string;
    try {
      ts = await deps.notifier.post(request);
    } catch (error) {
      // Without a message nobody can approve it: retire the request at once.
      await deps.store.decide(request.id, 'cancelled', 'system', now()).catch(() => {});
      emit({ event: 'cancelled', user: 'system', ...fields(request) });
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
    if (now() >= request.expiresAt) {
      // Its post waited in a backed-up channel past its time (the notifier drew it expired when its turn came):
      // nobody needs a look at its campaigns, and the requester hears that it expired.
      return { kind: 'expired', at: request.expiresAt };
    }
    if (!immediate) {
      // Never holds up the answer: the confirmation is up, and the look edits it within seconds.
      if (lookup && !known) void lookup.beforeConfirm(request).catch(() => {});
      return { kind: 'proposed', request };
    }
    // A rule that needs no approval (auto_execute): the same single-use claim, without waiting for a person.
    return claimAndRun(request.id, requestedBy, verdict.via);
  };
}

const FREEZE_MAX_IDS = 10_000;
const NO_RULES = { stopBeyondScheduled: false };

function invalidInput(checked: CheckedProposal | InvalidProposal): Outcome {
  if (checked.ok) throw new Error('invalidInput called with a valid proposal');
  return { kind: 'invalid_input', field: checked.field, message: checked.message };
}
