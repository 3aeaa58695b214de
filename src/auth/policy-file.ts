import { z } from 'zod';
import { CAMPAIGN_ACTIONS } from '../core/actions.ts';
import type { CampaignGroups } from '../core/groups.ts';
import { CHANNEL_ID_PATTERN } from '../core/ids.ts';
import { parseStartFile, readStartFile } from '../core/yaml-file.ts';
import { type AccessPolicy, isMachine, PRINCIPAL_PATTERN, principals, type Rule } from './rules.ts';

/**
 * ACCESS_POLICY_FILE (YAML or JSON): the rules, checked once at start with every problem named by its path.
 *
 *   rules:
 *     - name: oncall-pause
 *       actions: [PAUSE, RESUME]
 *       requesters: [S0ONCALL]          # user ids U…/W…, user groups S…, token:<name>, hook:<source>, agent:<name>
 *       approvers: [S0ONCALL]           # default: the requesters
 *       channels: [C0INCIDENT]
 *       campaigns: any                  # or a list of group:NAME
 *       approvals: 1                    # distinct approvers needed, default 1
 *       requester_may_approve: true     # default false for STOP, true otherwise
 *       auto_execute: false             # run without a person (approvals 0; STOP only with approvals: 0 said)
 */
const principal = z
  .string()
  .regex(
    PRINCIPAL_PATTERN,
    'must be a user id (U…, W…), a user-group id (S…), token:<name>, hook:<source> or agent:<name>',
  );

const ruleSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, '1–64 letters, digits, _ . : or -'),
  actions: z.array(z.enum(CAMPAIGN_ACTIONS, `each must be one of ${CAMPAIGN_ACTIONS.join(', ')}`)).min(1),
  requesters: z.array(principal).min(1, 'name at least one requester'),
  approvers: z
    .array(principal.refine((p) => !isMachine(p), 'a runbook token, a webhook or an agent cannot approve'))
    .min(1)
    .optional(),
  channels: z.array(z.string().regex(CHANNEL_ID_PATTERN, 'must be a Slack channel id (C…, G…)')).min(1),
  campaigns: z
    .union([z.literal('any'), z.array(z.string().regex(/^group:.+$/, 'must be group:NAME')).min(1)])
    .default('any'),
  approvals: z.number().int().min(0).max(10).optional(),
  requester_may_approve: z.boolean().optional(),
  auto_execute: z.boolean().default(false),
});

const fileSchema = z.strictObject({ rules: z.array(ruleSchema).min(1, 'give at least one rule') });

export class PolicyFileError extends Error {
  readonly code = 'policy_file_invalid';
}

export interface PolicyContext {
  groups: CampaignGroups;
  /** Names of the runbook tokens in RUNBOOK_TOKENS, so a misspelt `token:<name>` is caught at start. */
  tokenNames: ReadonlySet<string>;
  /** The webhooks with a secret in HOOK_SECRETS, so a `hook:<source>` without one is caught at start. */
  hookSources?: ReadonlySet<string>;
  /** Names of the agents' tokens in MCP_TOKENS, so a misspelt `agent:<name>` is caught at start. */
  agentNames?: ReadonlySet<string>;
}

const fail = (message: string) => new PolicyFileError(message);

export async function loadAccessPolicy(path: string, context: PolicyContext): Promise<AccessPolicy> {
  return parseAccessPolicy(await readStartFile(path, 'ACCESS_POLICY_FILE', fail), context, path);
}

export function parseAccessPolicy(
  text: string,
  context: PolicyContext,
  source = 'policy file',
): AccessPolicy {
  const data = parseStartFile(text, fileSchema, source, fail, (d) => crossRuleProblems(d.rules, context));
  return {
    source: 'file',
    rules: data.rules.map((r) => compileRule(r, context.groups)),
  };
}

type ParsedRule = z.output<typeof ruleSchema>;

/** What no single field can say: names unique, groups and tokens known, STOP never skips a person silently. */
function crossRuleProblems(rules: readonly ParsedRule[], context: PolicyContext): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    const at = `rules.${i}`;
    if (seen.has(r.name)) problems.push(`${at}.name: "${r.name}" is used by an earlier rule`);
    seen.add(r.name);
    if (r.campaigns !== 'any') {
      r.campaigns.forEach((g, j) => {
        const name = g.slice('group:'.length);
        if (!context.groups.has(name)) {
          problems.push(`${at}.campaigns.${j}: no campaign group "${name}" in CAMPAIGN_GROUPS_FILE`);
        }
      });
    }
    for (const [field, list] of [
      ['requesters', r.requesters],
      ['approvers', r.approvers ?? []],
    ] as const) {
      list.forEach((p, j) => {
        const token = p.startsWith('token:') ? p.slice('token:'.length) : undefined;
        if (token && !context.tokenNames.has(token)) {
          problems.push(`${at}.${field}.${j}: no runbook token named "${token}" in RUNBOOK_TOKENS`);
        }
        const hook = p.startsWith('hook:') ? p.slice('hook:'.length) : undefined;
        if (hook && context.hookSources && !context.hookSources.has(hook)) {
          problems.push(`${at}.${field}.${j}: no webhook "${hook}" has a secret in HOOK_SECRETS`);
        }
        const agent = p.startsWith('agent:') ? p.slice('agent:'.length) : undefined;
        if (agent && context.agentNames && !context.agentNames.has(agent)) {
          problems.push(`${at}.${field}.${j}: no agent named "${agent}" in MCP_TOKENS`);
        }
      });
    }
    if (r.auto_execute && r.actions.includes('STOP') && r.approvals !== 0) {
      problems.push(
        `${at}.auto_execute: a STOP would run with nobody approving it; say approvals: 0 in this rule if that is meant`,
      );
    }
    // An agent proposes and people decide: no rule runs what an agent asks without a person (issue 23).
    if ((r.auto_execute || r.approvals === 0) && r.requesters.some((p) => p.startsWith('agent:'))) {
      problems.push(
        `${at}.requesters: an agent's requests always wait for a person; take agent:… out of a rule that runs without approval`,
      );
    }
    if (r.auto_execute && r.approvals !== undefined && r.approvals > 0) {
      problems.push(`${at}.auto_execute: runs without approvals, so approvals must be 0 or left out`);
    }
    const problem = neverApprovable(r);
    if (problem) problems.push(`${at}.approvals: ${problem}`);
  });
  return problems;
}

/**
 * A rule no set of people could ever approve (it would fail closed, silently): more distinct approvers needed
 * than it names, counting that the requester may be one of them and may not approve, and that a token's request
 * needs one more. Only plain user ids can be counted; a user group might hold anyone.
 */
function neverApprovable(r: ParsedRule): string | undefined {
  if (r.auto_execute || r.approvals === 0) return undefined;
  const people = new Set((r.approvers ?? r.requesters).filter((p) => !isMachine(p)));
  if ([...people].some((p) => p.startsWith('S'))) return undefined;
  const userRequesters = r.requesters.filter((p) => /^[UW]/.test(p));
  const tokenAsks = r.requesters.some(isMachine);
  for (const action of r.actions) {
    const mayApprove = r.requester_may_approve ?? action !== 'STOP';
    const needed = (r.approvals ?? 1) + (tokenAsks && !mayApprove ? 1 : 0);
    // Where the requester may not approve, one of the people named may be the one who asked.
    const excluded = !mayApprove && userRequesters.some((u) => people.has(u)) ? 1 : 0;
    const available = people.size - excluded;
    if (needed > available) {
      return `a ${action} needs ${needed} distinct approvers but at most ${Math.max(0, available)} of the people named can approve it`;
    }
  }
  return undefined;
}

function compileRule(r: ParsedRule, groups: CampaignGroups): Rule {
  const approvals = r.auto_execute ? 0 : (r.approvals ?? 1);
  const campaigns =
    r.campaigns === 'any'
      ? ('any' as const)
      : (() => {
          const names = r.campaigns.map((g) => g.slice('group:'.length));
          return { groups: names, ids: new Set(names.flatMap((n) => groups.get(n) ?? [])) };
        })();
  return {
    name: r.name,
    actions: new Set(r.actions),
    requesters: principals(r.requesters),
    // Tokens cannot press buttons, so a rule whose requesters are only tokens has no default approvers.
    approvers: principals(r.approvers ?? r.requesters.filter((p) => !isMachine(p))),
    channels: new Set(r.channels),
    campaigns,
    approvals,
    requesterMayApprove: r.requester_may_approve,
    autoExecute: r.auto_execute || approvals === 0,
  };
}
