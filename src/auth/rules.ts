import { CAMPAIGN_ACTIONS, type CampaignAction } from '../core/actions.ts';

/**
 * The access policy as the rest of the bot sees it: rules that grant who may *request* which actions on which
 * campaigns in which channels, and who may *approve* them, how many distinct approvers are needed, and whether
 * the requester may be one of them. Built from ACCESS_POLICY_FILE (./policy-file.ts) or from the short form
 * (./short-form.ts); decided by `authorize` (./authorize.ts). Plain data: no I/O here.
 */
export interface Principals {
  /** Slack user ids (U…, W…). */
  users: ReadonlySet<string>;
  /** Slack user-group ids (S…): their members, looked up through Slack. */
  groups: ReadonlySet<string>;
  /** Runbook token names (`token:<name>` in the file). */
  tokens: ReadonlySet<string>;
  /** Incident tools' webhooks (`hook:<source>` in the file), e.g. `pagerduty`. */
  hooks?: ReadonlySet<string>;
  /** AI agents by the names of their MCP tokens (`agent:<name>` in the file). */
  agents?: ReadonlySet<string>;
}

export interface Rule {
  name: string;
  actions: ReadonlySet<CampaignAction>;
  requesters: Principals;
  approvers: Principals;
  channels: ReadonlySet<string>;
  /** `any`, or the campaign ids of the named groups (a request is covered when every id is among them). */
  campaigns: 'any' | { groups: readonly string[]; ids: ReadonlySet<string> };
  /** Distinct approvers needed; 0 runs the request as soon as it is proposed. */
  approvals: number;
  /** Undefined: the default, false for STOP and true for the other actions. */
  requesterMayApprove: boolean | undefined;
  /** Runs without waiting for a person (only with approvals 0, said explicitly for STOP). */
  autoExecute: boolean;
}

export interface AccessPolicy {
  rules: readonly Rule[];
  /** Where the rules came from, for the start-up log and refusal words. */
  source: 'file' | 'short_form';
}

export function requesterMayApprove(rule: Rule, action: CampaignAction): boolean {
  return rule.requesterMayApprove ?? action !== 'STOP';
}

export function emptyPrincipals(): Principals {
  return { users: new Set(), groups: new Set(), tokens: new Set() };
}

export const PRINCIPAL_PATTERN =
  /^(?:[UWS][A-Z0-9]{2,}|token:[a-z0-9][a-z0-9_-]{0,39}|hook:[a-z0-9]{1,40}|agent:[a-z0-9][a-z0-9_-]{0,39})$/;

/** Principals that are not people: they may ask, never approve (nobody presses a button for them). */
export function isMachine(principal: string): boolean {
  return principal.startsWith('token:') || principal.startsWith('hook:') || principal.startsWith('agent:');
}

/** Sorts `U…`/`W…`, `S…`, `token:…`, `hook:…` and `agent:…` entries into their kinds (PRINCIPAL_PATTERN's). */
export function principals(entries: readonly string[]): Principals {
  const p = {
    users: new Set<string>(),
    groups: new Set<string>(),
    tokens: new Set<string>(),
    hooks: new Set<string>(),
    agents: new Set<string>(),
  };
  for (const e of entries) {
    if (e.startsWith('token:')) p.tokens.add(e.slice('token:'.length));
    else if (e.startsWith('hook:')) p.hooks.add(e.slice('hook:'.length));
    else if (e.startsWith('agent:')) p.agents.add(e.slice('agent:'.length));
    else if (e.startsWith('S')) p.groups.add(e);
    else p.users.add(e);
  }
  return p;
}

export const ALL_ACTIONS: ReadonlySet<CampaignAction> = new Set(CAMPAIGN_ACTIONS);
