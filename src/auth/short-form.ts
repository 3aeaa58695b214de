import type { CampaignAction } from '../core/actions.ts';
import { type AccessPolicy, ALL_ACTIONS, emptyPrincipals, principals, type Rule } from './rules.ts';

/** RUNBOOK_TOKENS' grants, as far as the policy needs them (the token itself stays with the runbook door). */
export interface TokenGrant {
  name: string;
  actions: readonly CampaignAction[];
  channels: readonly string[];
  autoExecute: readonly CampaignAction[];
}

export interface ShortForm {
  allowedUserIds: readonly string[];
  allowedChannelIds: readonly string[];
  secondApproverActions: readonly CampaignAction[];
  tokens: readonly TokenGrant[];
  /** The webhooks with a secret in HOOK_SECRETS: each may propose any action where people are allowed. */
  hooks?: readonly string[];
  /** MCP_TOKENS' grants: an AI agent's actions and channels (it never runs anything without a person). */
  agents?: readonly AgentGrant[];
}

/** An MCP_TOKENS entry's grant, as far as the policy needs it. */
export type AgentGrant = Omit<TokenGrant, 'autoExecute'>;

/**
 * The variables of the first version, read as rules, so a configuration without ACCESS_POLICY_FILE keeps its
 * meaning: ALLOWED_USER_IDS may request and approve any action in ALLOWED_CHANNEL_IDS, one approval, and the
 * requester may not be the approver of a SECOND_APPROVER_ACTIONS action. A runbook token may request its
 * granted actions in its channels (that are also allowed channels); people in ALLOWED_USER_IDS approve, and
 * its auto_execute actions run without them. A STOP in auto_execute is refused by the config check. An agent's
 * token (MCP_TOKENS) is read as a runbook token's without auto_execute: it asks, people approve.
 * (Two rules where one would need a per-action requester_may_approve; their names say where they come from.)
 */
export function shortFormPolicy(form: ShortForm): AccessPolicy {
  const people = principals(form.allowedUserIds.filter((id) => /^[UWS]/.test(id)));
  const channels = new Set(form.allowedChannelIds);
  const second = new Set(form.secondApproverActions);
  const rules: Rule[] = [];
  const base = (name: string, actions: Iterable<CampaignAction>, mayApprove: boolean) => ({
    name,
    actions: new Set(actions),
    requesters: people,
    approvers: people,
    channels,
    campaigns: 'any' as const,
    approvals: 1,
    requesterMayApprove: mayApprove,
    autoExecute: false,
  });
  const split = (actions: Iterable<CampaignAction>) => {
    const all = [...actions];
    return { single: all.filter((a) => !second.has(a)), double: all.filter((a) => second.has(a)) };
  };
  const users = split(ALL_ACTIONS);
  if (users.single.length > 0) rules.push(base('ALLOWED_USER_IDS', users.single, true));
  if (users.double.length > 0) rules.push(base('ALLOWED_USER_IDS:second-approver', users.double, false));

  for (const t of form.tokens) {
    const requesters = { ...emptyPrincipals(), tokens: new Set([t.name]) };
    const tokenChannels = new Set(t.channels.filter((c) => channels.has(c)));
    const auto = new Set(t.autoExecute);
    const approved = split(t.actions.filter((a) => !auto.has(a)));
    const name = `RUNBOOK_TOKENS:${t.name}`;
    const tokenRule = (suffix: string, actions: CampaignAction[], mayApprove: boolean): Rule => ({
      ...base(`${name}${suffix}`, actions, mayApprove),
      requesters,
      channels: tokenChannels,
    });
    if (approved.single.length > 0) rules.push(tokenRule('', approved.single, true));
    if (approved.double.length > 0) rules.push(tokenRule(':second-approver', approved.double, false));
    const autoActions = t.actions.filter((a) => auto.has(a));
    if (autoActions.length > 0) {
      rules.push({
        ...tokenRule(':auto_execute', autoActions, true),
        approvers: emptyPrincipals(),
        approvals: 0,
        autoExecute: true,
      });
    }
  }
  for (const a of form.agents ?? []) {
    const requesters = { ...emptyPrincipals(), agents: new Set([a.name]) };
    const agentChannels = new Set(a.channels.filter((c) => channels.has(c)));
    const asked = split(a.actions);
    const name = `MCP_TOKENS:${a.name}`;
    const agentRule = (suffix: string, actions: CampaignAction[], mayApprove: boolean): Rule => ({
      ...base(`${name}${suffix}`, actions, mayApprove),
      requesters,
      channels: agentChannels,
    });
    if (asked.single.length > 0) rules.push(agentRule('', asked.single, true));
    if (asked.double.length > 0) rules.push(agentRule(':second-approver', asked.double, false));
  }
  // A webhook proposes into the allowed channels; a person allowed there approves (two for STOP, as for people).
  for (const hook of form.hooks ?? []) {
    const requesters = { ...emptyPrincipals(), hooks: new Set([hook]) };
    const name = `HOOK_SECRETS:${hook}`;
    if (users.single.length > 0) rules.push({ ...base(name, users.single, true), requesters });
    if (users.double.length > 0) {
      rules.push({ ...base(`${name}:second-approver`, users.double, false), requesters });
    }
  }
  return { source: 'short_form', rules };
}
