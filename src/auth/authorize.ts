import type { Actor, DenialPart, Step } from '../core/access.ts';
import type { CampaignAction } from '../core/actions.ts';
import type { RuleGrant } from '../core/request.ts';
import { type AccessPolicy, type Principals, type Rule, requesterMayApprove } from './rules.ts';

export type { Actor, DenialPart, Step } from '../core/access.ts';
/**
 * The one policy function: may this actor take this step on this request? Every door reaches it through the
 * lifecycle only. Deny by default: no rule, no grant. A refusal names the part of the closest rule that failed
 * (never what the caller may not see). A request may match several rules; it proceeds under any of them (the
 * grants are recorded with the request, and approvals are counted per rule).
 */
export type { RuleGrant } from '../core/request.ts';

/** What the policy needs to know of a request (proposed or about to be). */
export interface RequestFacts {
  action: CampaignAction;
  channelId: string;
  /** Undefined on the first look at a proposal, before its ids are known (see `propose`). */
  campaignIds: readonly string[] | undefined;
  /** A Slack user id, `runbook:<token name>`, `hook:<source>` or `agent:<name>`. */
  requestedBy: string;
  /** A Slack user a runbook or an agent named, unverified: counted as a requester for the approver rules. */
  onBehalfOf?: string | undefined;
  /** Recorded at propose. */
  grants?: readonly RuleGrant[];
}

export type Verdict =
  | {
      allowed: true;
      /** How the actor qualified, for the audit trail: `rule:NAME` plus `user`, `group:S…` or `token`. */
      via: string;
      /** propose: the rules it may go ahead under; approve: the rules this approval counts for. */
      grants: RuleGrant[];
      /** list_groups: the groups this actor may use here (`all` when a rule covers any campaign). */
      groups?: 'all' | string[];
    }
  | { allowed: false; part: DenialPart };

export interface UserGroupResolver {
  /** Members of a Slack user group. Throws when it cannot tell: the policy then refuses. */
  membersOf(groupId: string): Promise<ReadonlySet<string>>;
}

const RUNBOOK = 'runbook:';
const AGENT = 'agent:';

export function tokenRequester(name: string): string {
  return `${RUNBOOK}${name}`;
}

/** The actor a recorded requester stands for (the inverse of `actorId`). */
export function actorOf(requestedBy: string): Actor {
  if (requestedBy.startsWith(RUNBOOK)) return { kind: 'token', name: requestedBy.slice(RUNBOOK.length) };
  if (requestedBy.startsWith('hook:')) return { kind: 'hook', source: requestedBy.slice('hook:'.length) };
  if (requestedBy.startsWith(AGENT)) return { kind: 'agent', name: requestedBy.slice(AGENT.length) };
  return { kind: 'user', id: requestedBy };
}

/** Who asked, as requests record it: a Slack user id, `runbook:<token>`, `hook:<source>` or `agent:<name>`. */
export function actorId(actor: Actor): string {
  switch (actor.kind) {
    case 'user':
      return actor.id;
    case 'token':
      return tokenRequester(actor.name);
    case 'hook':
      return `hook:${actor.source}`;
    case 'agent':
      return `${AGENT}${actor.name}`;
  }
}

export function createAuthorizer(policy: AccessPolicy, groups: UserGroupResolver) {
  const ruleByName = new Map(policy.rules.map((r) => [r.name, r]));

  return async function authorize(actor: Actor, step: Step, request: RequestFacts): Promise<Verdict> {
    const member = membership(actor, groups);
    if (step === 'propose') return propose(actor, request, member);
    if (step === 'approve') return approve(actor, request, member);
    if (step === 'cancel') return cancel(actor, request, member);
    if (step === 'read') return read(actor, request, member);
    if (step === 'home') return home(member);
    return listGroups(request.channelId, member);
  };

  /** Someone some rule names, as a requester or an approver, anywhere: the only facts are who they are. */
  async function home(member: Membership): Promise<Verdict> {
    for (const rule of policy.rules) {
      if ((await member.in(rule.requesters)) || (await member.in(rule.approvers))) {
        return { allowed: true, via: `rule:${rule.name}`, grants: [] };
      }
    }
    return { allowed: false, part: member.lookupFailed ? 'lookup' : 'user' };
  }

  /**
   * Without campaign ids (`campaignIds` undefined) this is the first look, before the caller's ids and groups
   * are read: it grants on who, what and where, and says which groups the caller may name (so an unknown group
   * and a group the caller may not use are told apart by no one).
   */
  async function propose(actor: Actor, request: RequestFacts, member: Membership): Promise<Verdict> {
    const grants: RuleGrant[] = [];
    let via = '';
    const visible = new Set<string>();
    let all = false;
    const closest = new Closest(['user', 'action', 'channel', 'campaign_group']);
    for (const rule of policy.rules) {
      const who = await member.in(rule.requesters);
      if (!who) {
        closest.failed(0, member.lookupFailed ? 'lookup' : 'user');
        continue;
      }
      if (!rule.actions.has(request.action)) closest.failed(1, 'action');
      else if (!rule.channels.has(request.channelId)) closest.failed(2, 'channel');
      else if (request.campaignIds !== undefined && !covers(rule, request.campaignIds)) {
        closest.failed(3, 'campaign_group');
      } else {
        if (rule.campaigns === 'any') all = true;
        else for (const g of rule.campaigns.groups) visible.add(g);
        // A token's (or an agent's) human is unknown, and whoever it names is unverified: where the requester may
        // not approve, one more approver than the rule says, so no single person can approve its request alone.
        const extra = actor.kind !== 'user' && !requesterMayApprove(rule, request.action) ? 1 : 0;
        grants.push({
          rule: rule.name,
          needed: rule.autoExecute ? 0 : rule.approvals + extra,
          requesterMayApprove: requesterMayApprove(rule, request.action),
          approvers: [...rule.approvers.users, ...rule.approvers.groups],
        });
        via ||= `rule:${rule.name} ${who}`;
      }
    }
    if (grants.length === 0) return { allowed: false, part: closest.part() };
    return { allowed: true, via, grants, groups: all ? 'all' : [...visible] };
  }

  async function approve(actor: Actor, request: RequestFacts, member: Membership): Promise<Verdict> {
    if (actor.kind !== 'user') return { allowed: false, part: 'approver' };
    const counted: RuleGrant[] = [];
    let via = '';
    const closest = new Closest(['approver', 'channel', 'same_person']);
    for (const grant of request.grants ?? []) {
      const rule = ruleByName.get(grant.rule);
      // A rule changed since the request was made (a deploy) no longer counts if it would not grant it now.
      if (!rule?.actions.has(request.action) || !covers(rule, request.campaignIds ?? [])) continue;
      const who = await member.in(rule.approvers);
      if (!who) closest.failed(0, member.lookupFailed ? 'lookup' : 'approver');
      else if (!rule.channels.has(request.channelId)) closest.failed(1, 'channel');
      else if (!requesterMayApprove(rule, request.action) && isRequester(actor.id, request)) {
        closest.failed(2, 'same_person');
      } else if (namedByAgent(actor.id, request)) {
        closest.failed(2, 'same_person');
      } else {
        counted.push(grant);
        via ||= `rule:${rule.name} ${who}`;
      }
    }
    return counted.length > 0
      ? { allowed: true, via, grants: counted }
      : { allowed: false, part: closest.part() };
  }

  /** The requester, an approver of the request, or anyone who could have proposed it may take it back. */
  async function cancel(actor: Actor, request: RequestFacts, member: Membership): Promise<Verdict> {
    // Only the verified requester: whoever a runbook named counts for the approver rules, not as a canceller.
    if (actor.kind === 'user' && request.requestedBy === actor.id) {
      return { allowed: true, via: 'requester', grants: [] };
    }
    for (const grant of request.grants ?? []) {
      const rule = ruleByName.get(grant.rule);
      if (rule?.channels.has(request.channelId) && (await member.in(rule.approvers))) {
        return { allowed: true, via: `rule:${rule.name} approver`, grants: [] };
      }
    }
    const proposer = await propose(actor, request, member);
    if (proposer.allowed) return { allowed: true, via: proposer.via, grants: [] };
    return { allowed: false, part: member.lookupFailed ? 'lookup' : 'user' };
  }

  /** A token or an agent reads what it asked for, and what is asked in the channels where a rule lets it ask. */
  async function read(actor: Actor, request: RequestFacts, member: Membership): Promise<Verdict> {
    if ((actor.kind === 'token' || actor.kind === 'agent') && request.requestedBy === actorId(actor)) {
      return { allowed: true, via: 'requester', grants: [] };
    }
    for (const rule of policy.rules) {
      if (!rule.channels.has(request.channelId)) continue;
      if ((await member.in(rule.requesters)) || (await member.in(rule.approvers))) {
        return { allowed: true, via: `rule:${rule.name}`, grants: [] };
      }
    }
    return { allowed: false, part: 'channel' };
  }

  async function listGroups(channelId: string, member: Membership): Promise<Verdict> {
    const names = new Set<string>();
    let all = false;
    let via = '';
    const closest = new Closest(['user', 'channel']);
    for (const rule of policy.rules) {
      const who = await member.in(rule.requesters);
      if (!who) closest.failed(0, member.lookupFailed ? 'lookup' : 'user');
      else if (!rule.channels.has(channelId)) closest.failed(1, 'channel');
      else {
        via ||= `rule:${rule.name} ${who}`;
        if (rule.campaigns === 'any') all = true;
        else for (const g of rule.campaigns.groups) names.add(g);
      }
    }
    if (!via) return { allowed: false, part: closest.part() };
    return { allowed: true, via, grants: [], groups: all ? 'all' : [...names] };
  }
}

export type Authorize = ReturnType<typeof createAuthorizer>;

function covers(rule: Rule, campaignIds: readonly string[]): boolean {
  if (rule.campaigns === 'any') return true;
  const allowed = rule.campaigns.ids;
  return campaignIds.every((id) => allowed.has(id));
}

function isRequester(userId: string, request: RequestFacts): boolean {
  return request.requestedBy === userId || request.onBehalfOf === userId;
}

/**
 * The person an agent says it acts for, under any rule: unverified, and quite possibly the one driving the agent,
 * so never an approver of the agent's request. Someone else always decides what an agent asked for.
 */
function namedByAgent(userId: string, request: RequestFacts): boolean {
  return request.requestedBy.startsWith(AGENT) && request.onBehalfOf === userId;
}

interface Membership {
  /** How the actor is among these principals (`user`, `group:S…`, `token`), or undefined. */
  in(p: Principals): Promise<string | undefined>;
  readonly lookupFailed: boolean;
}

/** Group look-ups for one decision: each group asked once; a failed look-up counts as "not a member". */
function membership(actor: Actor, groups: UserGroupResolver): Membership {
  const asked = new Map<string, Promise<boolean>>();
  const state = { lookupFailed: false };
  return {
    get lookupFailed() {
      return state.lookupFailed;
    },
    async in(p) {
      if (actor.kind === 'token') return p.tokens.has(actor.name) ? 'token' : undefined;
      if (actor.kind === 'hook') return p.hooks?.has(actor.source) ? 'hook' : undefined;
      if (actor.kind === 'agent') return p.agents?.has(actor.name) ? 'agent' : undefined;
      if (p.users.has(actor.id)) return 'user';
      for (const groupId of p.groups) {
        let hit = asked.get(groupId);
        if (!hit) {
          hit = groups.membersOf(groupId).then(
            (members) => members.has(actor.id),
            () => {
              state.lookupFailed = true;
              return false;
            },
          );
          asked.set(groupId, hit);
        }
        if (await hit) return `group:${groupId}`;
      }
      return undefined;
    },
  };
}

/** Keeps the refusal of the rule that got furthest, so the caller hears the part that matters. */
class Closest {
  #stage = -1;
  #part: DenialPart;
  constructor(order: readonly DenialPart[]) {
    this.#part = order[0] ?? 'user';
  }
  failed(stage: number, part: DenialPart): void {
    if (stage > this.#stage || (stage === this.#stage && part === 'lookup')) {
      this.#stage = stage;
      this.#part = part;
    }
  }
  part(): DenialPart {
    return this.#part;
  }
}
