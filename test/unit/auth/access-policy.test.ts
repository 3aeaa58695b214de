import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Actor,
  createAuthorizer,
  type RequestFacts,
  type UserGroupResolver,
} from '../../../src/auth/authorize.ts';
import { PolicyFileError, parseAccessPolicy } from '../../../src/auth/policy-file.ts';
import { shortFormPolicy } from '../../../src/auth/short-form.ts';
import { parseCampaignGroups } from '../../../src/core/groups.ts';

/** A resolver that knows exactly these groups and fails loudly on any other. */
function groups(members: Record<string, string[]>): UserGroupResolver {
  return {
    async membersOf(id) {
      const m = members[id];
      if (!m) throw new Error(`unexpected group lookup ${id}`);
      return new Set(m);
    },
  };
}

const GROUPS = parseCampaignGroups('black-friday: [bf_1, bf_2]\nnewsletter: [nl_1]');
const CONTEXT = { groups: GROUPS, tokenNames: new Set(['pagerduty']), hookSources: new Set(['pagerduty']) };
const FILE = `
rules:
  - name: oncall-pause
    actions: [PAUSE, RESUME]
    requesters: [S0ONCALL]
    channels: [C0INCIDENT]
  - name: leads-stop
    actions: [STOP]
    requesters: [S0ONCALL]
    approvers: [S0LEADS]
    channels: [C0INCIDENT]
  - name: marketing-newsletter
    actions: [PAUSE]
    requesters: [UMARKET]
    channels: [C0MARKETING]
    campaigns: [group:newsletter]
    approvals: 2
    approvers: [UMARKET, ULEAD1, ULEAD2]
  - name: pagerduty-stop
    actions: [PAUSE, STOP]
    requesters: [token:pagerduty]
    approvers: [S0LEADS]
    channels: [C0INCIDENT]
  - name: pagerduty-hook
    actions: [PAUSE, STOP]
    requesters: [hook:pagerduty]
    approvers: [S0LEADS]
    channels: [C0INCIDENT]
`;
const MEMBERS = { S0ONCALL: ['UONCALL1', 'UONCALL2', 'ULEAD1'], S0LEADS: ['ULEAD1', 'ULEAD2'] };
const authorize = createAuthorizer(parseAccessPolicy(FILE, CONTEXT), groups(MEMBERS));

const user = (id: string): Actor => ({ kind: 'user', id });
const request = (over: Partial<RequestFacts> = {}): RequestFacts => ({
  action: 'PAUSE',
  channelId: 'C0INCIDENT',
  campaignIds: ['c1'],
  requestedBy: 'UONCALL1',
  ...over,
});

describe('the access policy file', () => {
  it('names every problem at once, with its place in the file', () => {
    const bad = `
rules:
  - name: a
    actions: [PAUSE, DELETE]
    requesters: [bob, token:nobody]
    channels: [C0X]
    campaigns: [group:missing]
  - name: a
    actions: [STOP]
    requesters: [UA]
    channels: [C0X]
    auto_execute: true
`;
    let message = '';
    try {
      parseAccessPolicy(bad, CONTEXT);
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyFileError);
      message = (error as Error).message;
    }
    expect(message).toContain('rules.0.actions.1');
    expect(message).toContain('rules.0.requesters.0');
    // Field errors stop the cross-rule checks; a second file shows them.
    const cross = `
rules:
  - name: a
    actions: [PAUSE]
    requesters: [token:nobody]
    channels: [C0X]
    campaigns: [group:missing]
  - name: a
    actions: [STOP]
    requesters: [UAA]
    channels: [C0X]
    auto_execute: true
  - name: b
    actions: [PAUSE]
    requesters: [UAA]
    approvers: [UAA, UBB]
    approvals: 3
    channels: [C0X]
`;
    expect(() => parseAccessPolicy(cross, CONTEXT)).toThrow(
      /rules\.0\.campaigns\.0: no campaign group "missing"[\s\S]*rules\.0\.requesters\.0: no runbook token named "nobody"[\s\S]*rules\.1\.name: "a" is used[\s\S]*rules\.1\.auto_execute: a STOP would run with nobody approving it[\s\S]*rules\.2\.approvals: a PAUSE needs 3 distinct approvers but at most 2/,
    );
  });

  it('refuses a rule nobody could ever approve: a lone requester’s STOP, a token STOP with one approver', () => {
    const text = (rule: string) => `rules:\n  - name: r\n    channels: [C0X]\n${rule}`;
    expect(() => parseAccessPolicy(text('    actions: [STOP]\n    requesters: [UAA]\n'), CONTEXT)).toThrow(
      /a STOP needs 1 distinct approvers but at most 0/,
    );
    expect(() =>
      parseAccessPolicy(
        text('    actions: [STOP]\n    requesters: [token:pagerduty]\n    approvers: [UAA, UAA]\n'),
        CONTEXT,
      ),
    ).toThrow(/a STOP needs 2 distinct approvers but at most 1/);
    expect(
      parseAccessPolicy(
        text('    actions: [STOP]\n    requesters: [token:pagerduty]\n    approvers: [UAA, UBB]\n'),
        CONTEXT,
      ).rules,
    ).toHaveLength(1);
  });

  it('accepts an auto-executed STOP only where the rule says approvals: 0', () => {
    const text = (approvals: string) => `
rules:
  - name: robot
    actions: [STOP]
    requesters: [token:pagerduty]
    channels: [C0INCIDENT]
    auto_execute: true
${approvals}`;
    expect(() => parseAccessPolicy(text(''), CONTEXT)).toThrow(/say approvals: 0/);
    const policy = parseAccessPolicy(text('    approvals: 0'), CONTEXT);
    expect(policy.rules[0]).toMatchObject({ approvals: 0, autoExecute: true });
  });
});

describe('authorize, by rule × actor × step', () => {
  const cases: [string, Actor, Parameters<typeof authorize>[1], RequestFacts, object][] = [
    ['on-call may propose a PAUSE in #incident', user('UONCALL2'), 'propose', request(), { allowed: true }],
    ['a stranger may not', user('UEVE'), 'propose', request(), { allowed: false, part: 'user' }],
    [
      'on-call may not PAUSE elsewhere',
      user('UONCALL2'),
      'propose',
      request({ channelId: 'C0RANDOM' }),
      { allowed: false, part: 'channel' },
    ],
    [
      'marketing may not STOP',
      user('UMARKET'),
      'propose',
      request({ action: 'STOP', channelId: 'C0MARKETING' }),
      { allowed: false, part: 'action' },
    ],
    [
      'marketing may not pause outside its group',
      user('UMARKET'),
      'propose',
      request({ channelId: 'C0MARKETING', campaignIds: ['nl_1', 'bf_1'] }),
      { allowed: false, part: 'campaign_group' },
    ],
    [
      'marketing may pause its group',
      user('UMARKET'),
      'propose',
      request({ channelId: 'C0MARKETING', campaignIds: ['nl_1'] }),
      { allowed: true, grants: [{ rule: 'marketing-newsletter', needed: 2 }] },
    ],
    [
      'on-call may propose a STOP, needing a lead',
      user('UONCALL1'),
      'propose',
      request({ action: 'STOP' }),
      { allowed: true, grants: [{ rule: 'leads-stop', needed: 1, requesterMayApprove: false }] },
    ],
    [
      'a token may propose what its rule grants',
      { kind: 'token', name: 'pagerduty' },
      'propose',
      request({ action: 'STOP', requestedBy: 'runbook:pagerduty' }),
      { allowed: true, grants: [{ rule: 'pagerduty-stop', needed: 2 }] },
    ],
    [
      'a token PAUSE needs one approver (requester may approve PAUSE)',
      { kind: 'token', name: 'pagerduty' },
      'propose',
      request({ requestedBy: 'runbook:pagerduty' }),
      { allowed: true, grants: [{ rule: 'pagerduty-stop', needed: 1 }] },
    ],
    [
      "a webhook's STOP needs one approver more than its rule says (nobody stands behind a webhook)",
      { kind: 'hook', source: 'pagerduty' },
      'propose',
      request({ action: 'STOP', requestedBy: 'hook:pagerduty' }),
      { allowed: true, grants: [{ rule: 'pagerduty-hook', needed: 2, requesterMayApprove: false }] },
    ],
    [
      "a webhook's PAUSE needs one approver",
      { kind: 'hook', source: 'pagerduty' },
      'propose',
      request({ requestedBy: 'hook:pagerduty' }),
      { allowed: true, grants: [{ rule: 'pagerduty-hook', needed: 1 }] },
    ],
    [
      'a webhook without a rule may not',
      { kind: 'hook', source: 'opsgenie' },
      'propose',
      request({ requestedBy: 'hook:opsgenie' }),
      { allowed: false, part: 'user' },
    ],
    [
      'an unknown token may not',
      { kind: 'token', name: 'other' },
      'propose',
      request(),
      { allowed: false, part: 'user' },
    ],
  ];
  for (const [name, actor, step, facts, expected] of cases) {
    it(name, async () => {
      expect(await authorize(actor, step, facts)).toMatchObject(expected);
    });
  }

  const stop = request({
    action: 'STOP',
    grants: [{ rule: 'leads-stop', needed: 1, requesterMayApprove: false }],
  });
  it('only a lead approves an on-call STOP: on-call is no approver, and a lead who asked is the same person', async () => {
    expect(await authorize(user('UONCALL2'), 'approve', stop)).toMatchObject({
      allowed: false,
      part: 'approver',
    });
    expect(await authorize(user('ULEAD2'), 'approve', stop)).toMatchObject({
      allowed: true,
      grants: [{ rule: 'leads-stop' }],
    });
    const leadAsked = { ...stop, requestedBy: 'ULEAD1' };
    expect(await authorize(user('ULEAD1'), 'approve', leadAsked)).toMatchObject({
      allowed: false,
      part: 'same_person',
    });
  });

  it('counts the person a runbook named as the requester, so they cannot approve its STOP', async () => {
    const runbook = {
      ...stop,
      requestedBy: 'runbook:pagerduty',
      onBehalfOf: 'ULEAD1',
      grants: [{ rule: 'pagerduty-stop', needed: 2, requesterMayApprove: false }],
    };
    expect(await authorize(user('ULEAD1'), 'approve', runbook)).toMatchObject({
      allowed: false,
      part: 'same_person',
    });
    expect(await authorize(user('ULEAD2'), 'approve', runbook)).toMatchObject({ allowed: true });
  });

  it('lets only the verified requester cancel: the person a runbook named may not', async () => {
    const runbook = request({
      requestedBy: 'runbook:pagerduty',
      onBehalfOf: 'USTRANGER',
      grants: [{ rule: 'pagerduty-stop', needed: 1, requesterMayApprove: true }],
    });
    expect(await authorize(user('USTRANGER'), 'cancel', runbook)).toMatchObject({
      allowed: false,
      part: 'user',
    });
    expect(await authorize(user('UONCALL1'), 'cancel', request())).toMatchObject({
      allowed: true,
      via: 'requester',
    });
  });

  it('shows /campaign groups only to requesters in their channels, and only the groups their rules name', async () => {
    expect(await authorize(user('UEVE'), 'list_groups', request())).toMatchObject({
      allowed: false,
      part: 'user',
    });
    expect(
      await authorize(user('UMARKET'), 'list_groups', request({ channelId: 'C0INCIDENT' })),
    ).toMatchObject({ allowed: false, part: 'channel' });
    expect(
      await authorize(user('UMARKET'), 'list_groups', request({ channelId: 'C0MARKETING' })),
    ).toMatchObject({ allowed: true, groups: ['newsletter'] });
    expect(await authorize(user('UONCALL1'), 'list_groups', request())).toMatchObject({
      allowed: true,
      groups: 'all',
    });
  });

  it('lets a token read its own requests and those in its rules’ channels, no others', async () => {
    const pd = { kind: 'token', name: 'pagerduty' } as const;
    expect(
      await authorize(pd, 'read', request({ channelId: 'C0MARKETING', requestedBy: 'runbook:pagerduty' })),
    ).toMatchObject({ allowed: true });
    expect(await authorize(pd, 'read', request({ channelId: 'C0INCIDENT' }))).toMatchObject({
      allowed: true,
    });
    expect(await authorize(pd, 'read', request({ channelId: 'C0MARKETING' }))).toMatchObject({
      allowed: false,
    });
  });

  it('refuses, saying so, when a group look-up fails', async () => {
    const failing = createAuthorizer(parseAccessPolicy(FILE, CONTEXT), {
      membersOf: async () => {
        throw new Error('slack down');
      },
    });
    expect(await failing(user('UONCALL1'), 'propose', request())).toMatchObject({
      allowed: false,
      part: 'lookup',
    });
  });
});

describe('the short form (ALLOWED_USER_IDS, ALLOWED_CHANNEL_IDS, SECOND_APPROVER_ACTIONS, token grants)', () => {
  const policy = shortFormPolicy({
    allowedUserIds: ['UALICE', 'UBOB', 'SONCALL'],
    allowedChannelIds: ['CINCIDENT'],
    secondApproverActions: ['STOP'],
    tokens: [
      { name: 'pd', actions: ['PAUSE', 'STOP'], channels: ['CINCIDENT', 'CNOTALLOWED'], autoExecute: [] },
      { name: 'auto', actions: ['PAUSE'], channels: ['CINCIDENT'], autoExecute: ['PAUSE'] },
    ],
  });
  const auth = createAuthorizer(policy, groups({ SONCALL: ['UCAROL'] }));

  it('keeps the first version’s meaning: any listed person proposes and approves; a STOP needs a second person', async () => {
    const pause = await auth(
      user('UCAROL'),
      'propose',
      request({ requestedBy: 'UCAROL', channelId: 'CINCIDENT' }),
    );
    expect(pause).toMatchObject({ allowed: true, grants: [{ needed: 1, requesterMayApprove: true }] });
    const stopFacts = request({ action: 'STOP', requestedBy: 'UALICE', channelId: 'CINCIDENT' });
    const proposed = await auth(user('UALICE'), 'propose', stopFacts);
    if (!proposed.allowed) throw new Error('expected a grant');
    const facts = { ...stopFacts, grants: proposed.grants };
    expect(await auth(user('UALICE'), 'approve', facts)).toMatchObject({
      allowed: false,
      part: 'same_person',
    });
    expect(await auth(user('UBOB'), 'approve', facts)).toMatchObject({ allowed: true });
  });

  it('keeps a token to its granted channels that are also allowed, and runs auto_execute without a person', async () => {
    const pd = { kind: 'token', name: 'pd' } as const;
    expect(await auth(pd, 'propose', request({ channelId: 'CNOTALLOWED' }))).toMatchObject({
      allowed: false,
      part: 'channel',
    });
    expect(await auth(pd, 'propose', request({ action: 'RESUME', channelId: 'CINCIDENT' }))).toMatchObject({
      allowed: false,
      part: 'action',
    });
    expect(
      await auth({ kind: 'token', name: 'auto' }, 'propose', request({ channelId: 'CINCIDENT' })),
    ).toMatchObject({ allowed: true, grants: [{ needed: 0 }] });
    // A token's STOP: the person behind it is unknown, so two distinct people must approve.
    expect(await auth(pd, 'propose', request({ action: 'STOP', channelId: 'CINCIDENT' }))).toMatchObject({
      allowed: true,
      grants: [{ needed: 2 }],
    });
  });
});

describe('deny by default', () => {
  const id = fc.stringMatching(/^U[A-E]{2}$/);
  const channel = fc.constantFrom('C0A', 'C0B', 'C0C');
  const action = fc.constantFrom('PAUSE', 'RESUME', 'STOP');
  const rule = fc.record({
    actions: fc.uniqueArray(action, { minLength: 1, maxLength: 3 }),
    requesters: fc.uniqueArray(id, { minLength: 1, maxLength: 3 }),
    channels: fc.uniqueArray(channel, { minLength: 1, maxLength: 2 }),
  });

  it('grants a proposal only when some rule names the actor, the action and the channel', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rule, { maxLength: 4 }),
        id,
        action,
        channel,
        async (rules, actor, act, ch) => {
          if (rules.length === 0) return;
          // requester_may_approve: a lone requester must be able to approve, or the file is refused as never approvable.
          const yaml = JSON.stringify({
            rules: rules.map((r, i) => ({ name: `r${i}`, requester_may_approve: true, ...r })),
          });
          const policy = parseAccessPolicy(yaml, CONTEXT);
          const verdict = await createAuthorizer(policy, groups({}))(
            user(actor),
            'propose',
            request({ action: act, channelId: ch }),
          );
          const granted = rules.some(
            (r) => r.requesters.includes(actor) && r.actions.includes(act) && r.channels.includes(ch),
          );
          expect(verdict.allowed).toBe(granted);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the worked examples in docs/access-policy.md', () => {
  it('are valid policy files', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../../docs/access-policy.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n(rules:[\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(blocks).toHaveLength(2);
    const context = {
      groups: parseCampaignGroups('newsletters: [nl_1]'),
      tokenNames: new Set(['pagerduty']),
    };
    for (const yaml of blocks) expect(parseAccessPolicy(yaml, context).rules.length).toBeGreaterThan(0);
  });

  it('and the agents’ example in docs/agents.md is one too', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../../docs/agents.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n(rules:[\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(blocks).toHaveLength(1);
    const context = { groups: new Map(), tokenNames: new Set<string>(), agentNames: new Set(['claude']) };
    expect(parseAccessPolicy(blocks[0] ?? '', context).rules.map((r) => r.name)).toEqual([
      'agents-pause',
      'agents-stop',
    ]);
  });
});

describe('AI agents in the policy (agent:<name>, MCP_TOKENS)', () => {
  const AGENT_FILE = `
rules:
  - name: agent-pause
    actions: [PAUSE, RESUME]
    requesters: [agent:claude]
    approvers: [S0ONCALL]
    channels: [C0INCIDENT]
  - name: agent-stop
    actions: [STOP]
    requesters: [agent:claude]
    approvers: [S0LEADS]
    channels: [C0INCIDENT]
`;
  const context = { ...CONTEXT, agentNames: new Set(['claude']) };
  const auth = createAuthorizer(parseAccessPolicy(AGENT_FILE, context), groups(MEMBERS));
  const claude = { kind: 'agent', name: 'claude' } as const;
  const asked = (over: Partial<RequestFacts> = {}) =>
    request({
      requestedBy: 'agent:claude',
      grants: [{ rule: 'agent-pause', needed: 1, requesterMayApprove: true }],
      ...over,
    });

  it('grants an agent what a rule names it for, and nothing else; it never approves, not even its own', async () => {
    expect(await auth(claude, 'propose', request())).toMatchObject({
      allowed: true,
      grants: [{ needed: 1 }],
    });
    expect(await auth({ kind: 'agent', name: 'other' }, 'propose', request())).toMatchObject({
      allowed: false,
      part: 'user',
    });
    expect(await auth(claude, 'propose', request({ channelId: 'C0MARKETING' }))).toMatchObject({
      allowed: false,
      part: 'channel',
    });
    expect(await auth(claude, 'approve', asked())).toMatchObject({ allowed: false, part: 'approver' });
  });

  it('makes an agent’s STOP need two people, as a token’s', async () => {
    expect(await auth(claude, 'propose', request({ action: 'STOP' }))).toMatchObject({
      allowed: true,
      grants: [{ rule: 'agent-stop', needed: 2, requesterMayApprove: false }],
    });
  });

  it('never lets the person an agent names approve its request, even where a requester may approve', async () => {
    const forOncall = asked({ onBehalfOf: 'UONCALL1' });
    expect(await auth(user('UONCALL1'), 'approve', forOncall)).toMatchObject({
      allowed: false,
      part: 'same_person',
    });
    expect(await auth(user('UONCALL2'), 'approve', forOncall)).toMatchObject({ allowed: true });
    // A person asking for themselves may still approve their own PAUSE: only an agent's word is doubted.
    const own = request({
      requestedBy: 'UONCALL1',
      grants: [{ rule: 'oncall-pause', needed: 1, requesterMayApprove: true }],
    });
    expect(await authorize(user('UONCALL1'), 'approve', own)).toMatchObject({ allowed: true });
  });

  it('lets an agent read its own requests and those in its rules’ channels, no others', async () => {
    expect(await auth(claude, 'read', asked({ channelId: 'C0MARKETING' }))).toMatchObject({ allowed: true });
    expect(await auth(claude, 'read', request())).toMatchObject({ allowed: true });
    expect(await auth(claude, 'read', request({ channelId: 'C0MARKETING' }))).toMatchObject({
      allowed: false,
    });
  });

  it('refuses a file that lets an agent approve, names an unknown agent, or runs an agent’s request unapproved', () => {
    const approving = `
rules:
  - name: a
    actions: [PAUSE]
    requesters: [UONE, agent:claude]
    approvers: [UONE, agent:claude]
    channels: [C0INCIDENT]
`;
    expect(() => parseAccessPolicy(approving, context)).toThrow(
      /rules\.0\.approvers\.1: a runbook token, a webhook or an agent cannot approve/,
    );
    const bad = `
rules:
  - name: b
    actions: [PAUSE]
    requesters: [agent:nobody]
    approvers: [UONE]
    channels: [C0INCIDENT]
  - name: c
    actions: [PAUSE]
    requesters: [agent:claude]
    channels: [C0INCIDENT]
    auto_execute: true
  - name: d
    actions: [PAUSE]
    requesters: [UONE, agent:claude]
    channels: [C0INCIDENT]
    approvals: 0
`;
    expect(() => parseAccessPolicy(bad, context)).toThrow(
      /rules\.0\.requesters\.0: no agent named "nobody" in MCP_TOKENS[\s\S]*rules\.1\.requesters: an agent's requests always wait for a person[\s\S]*rules\.2\.requesters: an agent's requests always wait/,
    );
  });

  it('reads MCP_TOKENS without a policy file as rules MCP_TOKENS:<name>, people approving, a STOP two of them', async () => {
    const policy = shortFormPolicy({
      allowedUserIds: ['UALICE', 'UBOB'],
      allowedChannelIds: ['CINCIDENT'],
      secondApproverActions: ['STOP'],
      tokens: [],
      agents: [{ name: 'claude', actions: ['PAUSE', 'STOP'], channels: ['CINCIDENT', 'CNOTALLOWED'] }],
    });
    expect(policy.rules.map((r) => r.name)).toEqual([
      'ALLOWED_USER_IDS',
      'ALLOWED_USER_IDS:second-approver',
      'MCP_TOKENS:claude',
      'MCP_TOKENS:claude:second-approver',
    ]);
    const short = createAuthorizer(policy, groups({}));
    const facts = request({ channelId: 'CINCIDENT', requestedBy: 'agent:claude' });
    expect(await short(claude, 'propose', facts)).toMatchObject({ allowed: true, grants: [{ needed: 1 }] });
    expect(await short(claude, 'propose', { ...facts, action: 'STOP' })).toMatchObject({
      allowed: true,
      grants: [{ needed: 2 }],
    });
    expect(await short(claude, 'propose', { ...facts, channelId: 'CNOTALLOWED' })).toMatchObject({
      allowed: false,
      part: 'channel',
    });
    expect(await short(claude, 'propose', { ...facts, action: 'RESUME' })).toMatchObject({
      allowed: false,
      part: 'action',
    });
  });
});
