import type { Actor } from '../auth/authorize.ts';
import { type CampaignAction, isCampaignAction } from '../core/actions.ts';
import { lookupOf } from '../core/campaign-info.ts';
import type { CampaignGroups } from '../core/groups.ts';
import { NotifyError } from '../core/notifier.ts';
import type { Outcome } from '../core/outcomes.ts';
import { type CheckedProposal, checkProposal, type InvalidProposal } from '../core/proposal.ts';
import {
  asResumeGrant,
  type CampaignActionRequest,
  isSatisfied,
  type PauseFor,
  type RuleGrant,
} from '../core/request.ts';
import { resolveNames } from './campaigns.ts';
import type { LifecycleContext } from './context.ts';
import type { Origin, ProposeInput, ProposeOptions } from './contract.ts';
import { errorText } from './error-text.ts';
import type { Lookup } from './lookup.ts';

/** Who asks for what, where: what every look of the policy at a proposal is given. */
interface Who {
  action: CampaignAction;
  channelId: string;
  requestedBy: string;
  onBehalfOf: string | undefined;
}
/** …and on which campaigns, once the ids are checked. */
type Facts = Who & { campaignIds: string[] };

/** A step's answer: what the next step needs, or the outcome the proposal ends with. */
type Step<T extends object = object> = ({ ok: true } & T) | { ok: false; outcome: Outcome };
const stop = (outcome: Outcome) => ({ ok: false as const, outcome });

/**
 * Propose, in its steps: check the input (the core's rules, the same for every door), authorize (the policy),
 * build the request record, store it, post the confirmation; under a rule that needs no approval, claim and
 * run at once. The check and the policy take turns: the policy's first look (who, what, where) says which
 * groups the caller may name before the ids are checked against them.
 */
export function createPropose(
  ctx: LifecycleContext,
  claimAndRun: (requestId: string, by: string, via: string) => Promise<Outcome>,
  lookup?: Lookup,
) {
  const { deps, emit, fields, log, now } = ctx;

  /** Check: the action is one the core knows, before the policy is asked anything. */
  function checkAction(input: ProposeInput): Step<{ who: Who }> {
    const action = input.action.trim().toUpperCase();
    if (!isCampaignAction(action)) return stop(invalidInput(checkProposal(rawOf(input), deps.proposalRules)));
    const requestedBy = ctx.actorId(input.actor);
    return {
      ok: true,
      who: { action, channelId: input.channelId, requestedBy, onBehalfOf: onBehalfOf(input) },
    };
  }

  /**
   * Authorize, the first look: who, what and where, before any group is read, so nobody outside the policy learns
   * which groups exist (or how large they are). Answers the groups this caller's rules name.
   */
  async function admit(input: ProposeInput, who: Who): Promise<Step<{ groups: CampaignGroups }>> {
    const first = await deps.authorize(input.actor, 'propose', { ...who, campaignIds: undefined });
    if (!first.allowed) return stop(ctx.denied('propose', input.actor, first.part, who));
    const visible = first.groups ?? [];
    const groups =
      visible === 'all' ? deps.groups : new Map([...deps.groups].filter(([g]) => visible.includes(g)));
    return { ok: true, groups };
  }

  /** Check: the proposal's own rules (core/proposal.ts), over the groups the caller may name. */
  function check(input: ProposeInput, groups: CampaignGroups): CheckedProposal | InvalidProposal {
    const usual = deps.proposalRules.maxIds;
    // A freeze names as many campaigns as are active (the API's own limit), not what a person would type; a
    // follow-up as many as the request it follows was allowed.
    const maxIds =
      input.origin.kind === 'freeze'
        ? FREEZE_MAX_IDS
        : input.origin.kind === 'follow_up'
          ? Math.max(usual, input.ids.length)
          : usual;
    return checkProposal(rawOf(input), { ...deps.proposalRules, groups, maxIds });
  }

  /** Authorize: the rules it may go ahead under, on its campaigns, and those of the RESUME it schedules. */
  async function authorize(
    input: ProposeInput,
    who: Who,
    checked: CheckedProposal,
  ): Promise<Step<{ facts: Facts; via: string; grants: RuleGrant[] }>> {
    const facts = { ...who, action: checked.action, campaignIds: checked.campaignIds };
    const verdict = await deps.authorize(input.actor, 'propose', facts);
    if (!verdict.allowed) return stop(ctx.denied('propose', input.actor, verdict.part, facts));
    if (!input.schedule) return { ok: true, facts, via: verdict.via, grants: verdict.grants };
    const later = await authorizeSchedule(input.actor, facts);
    if (!later.ok) return later;
    return { ok: true, facts, via: verdict.via, grants: [...verdict.grants, ...later.grants] };
  }

  /**
   * The schedule (`pause … for 2h`): only a PAUSE has one. The RESUME it schedules is approved when the PAUSE is:
   * the requester must be allowed to request it too, and it needs the approvals that RESUME would need, from its
   * own approvers, beside the PAUSE's.
   */
  async function authorizeSchedule(actor: Actor, facts: Facts): Promise<Step<{ grants: RuleGrant[] }>> {
    if (facts.action !== 'PAUSE') {
      const message = 'Only a pause can be for a while (`pause … for 2h`).';
      return stop({ kind: 'invalid_input', field: 'action', message });
    }
    const resume = { ...facts, action: 'RESUME' as const };
    const later = await deps.authorize(actor, 'propose', resume);
    if (!later.allowed) return stop(ctx.denied('propose', actor, later.part, resume));
    return { ok: true, grants: later.grants.map(asResumeGrant) };
  }

  /** Build: the request record, pending, with what its origin and its schedule bring. */
  function build(
    input: ProposeInput,
    facts: Facts,
    reason: string | undefined,
    grants: RuleGrant[],
  ): CampaignActionRequest {
    const createdAt = now();
    return {
      id: input.origin.kind === 'freeze' ? input.origin.id : ctx.newId(),
      ...facts,
      reason,
      source: sourceOf(input.origin),
      grants,
      approvals: [],
      createdAt,
      expiresAt: createdAt + deps.ttlMs,
      messageTs: undefined,
      state: 'pending',
      decidedBy: undefined,
      decidedAt: undefined,
      ...firstLook(input.origin, facts, createdAt, grants),
      ...addOns(input.origin, input.schedule),
    };
  }

  /**
   * What the confirmation shows of MoEngage's search at first. A freeze has just looked (the search that found its
   * campaigns): that look is shown, not asked again. A rule that runs at once (auto_execute) does not wait for a
   * look; the others show one coming before anyone confirms.
   */
  function firstLook(origin: Origin, facts: Facts, createdAt: number, grants: RuleGrant[]) {
    if (origin.kind === 'freeze') {
      const rules = deps.lookupRules ?? NO_RULES;
      return { lookup: lookupOf(facts.action, facts.campaignIds, origin.found, rules, createdAt) };
    }
    return lookup && !runsAtOnce(grants) ? { lookup: lookup.pending(facts.campaignIds.length) } : {};
  }

  /** Store: the request kept and audited before its confirmation is up (a click on it can come at once). */
  async function store(request: CampaignActionRequest, via: string, options: ProposeOptions): Promise<Step> {
    try {
      await deps.store.create(request);
    } catch (error) {
      log.error({ requestId: request.id, err: errorText(error) }, 'could not store the request');
      return stop({ kind: 'unavailable', what: 'store' });
    }
    // Audited before the confirmation is up: the trail keeps the order a click on it would come in.
    const rules = request.grants.map((g) => g.rule);
    emit({ event: 'requested', user: request.requestedBy, via, rules, ...fields(request) });
    options.onRecorded?.({ ...request });
    return { ok: true };
  }

  /** Post: the confirmation, and its message recorded on the request; a request nobody can see is retired. */
  async function post(request: CampaignActionRequest): Promise<Step> {
    let ts: string;
    try {
      ts = await deps.notifier.post(request);
    } catch (error) {
      // Without a message nobody can approve it: retire the request at once.
      await deps.store.decide(request.id, 'cancelled', 'system', now()).catch(() => {});
      emit({ event: 'cancelled', user: 'system', ...fields(request) });
      if (error instanceof NotifyError && error.code === 'not_in_channel')
        return stop({ kind: 'not_in_channel' });
      const code = error instanceof NotifyError ? error.detail : 'unknown';
      log.warn({ requestId: request.id, code }, 'could not post the confirmation');
      return stop({ kind: 'unavailable', what: 'slack', code });
    }
    request.messageTs = ts;
    try {
      await deps.store.setMessageTs(request.id, ts);
    } catch (error) {
      // The buttons are up but the request cannot be tied to them: take them down rather than leave a
      // confirmation whose later edits (running, results, expiry) could never happen.
      log.error({ requestId: request.id, err: errorText(error) }, 'could not record the message');
      await deps.notifier.update(request, { kind: 'unrecorded' });
      return stop({ kind: 'unavailable', what: 'store' });
    }
    return { ok: true };
  }

  /** Once the confirmation is up: expired meanwhile, waiting for its approvers, or claimed and run at once. */
  async function afterPosted(request: CampaignActionRequest, via: string): Promise<Outcome> {
    if (now() >= request.expiresAt) {
      // Its post waited in a backed-up channel past its time (the notifier drew it expired when its turn came):
      // nobody needs a look at its campaigns, and the requester hears that it expired.
      return { kind: 'expired', at: request.expiresAt };
    }
    if (!runsAtOnce(request.grants)) {
      // Never holds up the answer: the confirmation is up, and the look edits it within seconds.
      if (lookup && !request.freeze) void lookup.beforeConfirm(request).catch(() => {});
      return { kind: 'proposed', request };
    }
    // A rule that needs no approval (auto_execute): the same single-use claim, without waiting for a person.
    return claimAndRun(request.id, request.requestedBy, via);
  }

  return async function propose(input: ProposeInput, options: ProposeOptions = {}): Promise<Outcome> {
    const asked = checkAction(input);
    if (!asked.ok) return asked.outcome;
    const admitted = await admit(input, asked.who);
    if (!admitted.ok) return admitted.outcome;
    // Names and links are read only for someone the policy admitted: nobody else learns a campaign's name.
    const read = await resolveNames(input.ids, deps.catalog);
    if (!read.ok) return read.outcome;
    const named = read.resolved.named.length > 0;
    const ids = { ...input, ids: read.resolved.tokens };
    const checked = check(ids, admitted.groups);
    if (!checked.ok) return invalidInput(checked);
    const allowed = await authorize(ids, asked.who, checked);
    if (!allowed.ok) return allowed.outcome;
    if (named && runsAtOnce(allowed.grants)) {
      // A name reaches MoEngage only after a person has seen what it resolved to; this rule asks nobody.
      const message =
        'This rule runs without a confirmation, so it takes campaign ids (or dashboard links), not names: a name must be confirmed by someone who sees what it matched.';
      return { kind: 'invalid_input', field: 'campaign_names', message };
    }
    const request = build(ids, allowed.facts, checked.reason, allowed.grants);
    // Every check has passed: a dry run ends here, having stored, posted, looked up and sent nothing.
    if (options.dryRun) {
      const { lookup: _none, ...would } = request;
      return { kind: 'dry_run', request: would };
    }
    const stored = await store(request, allowed.via, options);
    if (!stored.ok) return stored.outcome;
    const posted = await post(request);
    if (!posted.ok) return posted.outcome;
    return afterPosted(request, allowed.via);
  };
}

const FREEZE_MAX_IDS = 10_000;
const NO_RULES = { stopBeyondScheduled: false };

/** What the core's rules read: the fields as the caller gave them. */
const rawOf = (input: ProposeInput) => ({ action: input.action, ids: input.ids, reason: input.reason });

/** A rule that needs no approval (auto_execute): nobody confirms, the proposal runs. */
const runsAtOnce = (grants: RuleGrant[]) => isSatisfied({ approvals: [], grants });

/** A Slack user a runbook or an agent says it acts for: shown, audited, never trusted as the asker. */
const onBehalfOf = (input: ProposeInput) =>
  input.origin.kind === 'runbook_api' || input.origin.kind === 'mcp' ? input.origin.onBehalfOf : undefined;

/** The audit trail's `source`, as records have always had it. */
function sourceOf(origin: Origin): string {
  if (origin.kind === 'hook') return `hook:${origin.source}`;
  if (origin.kind === 'follow_up') return origin.source;
  return origin.kind;
}

/**
 * The request's add-ons, from the grouped input to the stored record's own fields: the record keeps the flat
 * shape it has always had, so the records already in Redis and SQLite read as before.
 */
function addOns(
  origin: Origin,
  schedule: PauseFor | undefined,
): Pick<CampaignActionRequest, 'freeze' | 'workflow' | 'pauseFor' | 'incident' | 'callback'> {
  return {
    ...(origin.kind === 'freeze' ? { freeze: { scope: origin.scope } } : {}),
    ...(origin.kind === 'workflow_step' && origin.step ? { workflow: origin.step } : {}),
    ...(schedule ? { pauseFor: schedule } : {}),
    ...((origin.kind === 'runbook_api' || origin.kind === 'mcp') && origin.incident
      ? { incident: origin.incident }
      : {}),
    ...(origin.kind === 'runbook_api' && origin.callback ? { callback: origin.callback } : {}),
  };
}

function invalidInput(checked: CheckedProposal | InvalidProposal): Outcome {
  if (checked.ok) throw new Error('invalidInput called with a valid proposal');
  return { kind: 'invalid_input', field: checked.field, message: checked.message };
}
