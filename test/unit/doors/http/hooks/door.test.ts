import { describe, expect, it } from 'vitest';
import type { CampaignActionRequest } from '../../../../../src/core/request.ts';
import { createHooksApi } from '../../../../../src/doors/http/hooks/api.ts';
import { parseHookRules } from '../../../../../src/doors/http/hooks/rules.ts';
import type { Lifecycle, ProposeInput } from '../../../../../src/lifecycle/contract.ts';
import { createMemoryIdempotency } from '../../../../../src/stores/idempotency.ts';
import { memoryLogger } from '../../../../support/fixtures.ts';
import { pagerduty, SECRETS, signed } from '../../../../support/hook-samples.ts';
import { callHandler } from '../../../../support/http-call.ts';
import { strict } from '../../../../support/strict.ts';

/**
 * The webhook door alone, over a strict fake lifecycle: which rule of HOOK_RULES_FILE becomes which proposal,
 * called directly with a signed sample (no server). hooks-api.test.ts beside it holds its answers to senders.
 */

const RULES = `rules:
  - name: checkout-down
    source: pagerduty
    match: { event.event_type: ^incident\\.triggered$, event.data.service.summary: ^Checkout }
    action: pause
    campaigns: [group:black-friday, c9]
    channel: C0INCIDENT
    reason: "PagerDuty #{{event.data.number}}: {{event.data.title}}"
    pause_for: 2h
  - name: tell-marketing
    source: pagerduty
    match: { event.event_type: ^incident\\.triggered$ }
    action: STOP
    campaigns: [c1]
    channel: C0MARKETING
  - name: search-down
    source: pagerduty
    match: { event.data.service.summary: ^Search }
    action: PAUSE
    campaigns: [c2]
    channel: C0INCIDENT`;

function stored(input: ProposeInput, n: number): CampaignActionRequest {
  return {
    id: `req-000${n}-hook`,
    action: input.action.toUpperCase() as CampaignActionRequest['action'],
    campaignIds: ['c1'],
    reason: input.reason,
    requestedBy: 'hook:pagerduty',
    channelId: input.channelId,
    source: 'hook:pagerduty',
    grants: [{ rule: 'incidents', needed: 1, requesterMayApprove: false }],
    approvals: [],
    createdAt: 0,
    expiresAt: 600_000,
    messageTs: undefined,
    state: 'pending',
    decidedBy: undefined,
    decidedAt: undefined,
  };
}

function door(lifecycle: Partial<Lifecycle>) {
  const handler = createHooksApi({
    secrets: new Map([['pagerduty', [{ name: 'main', secret: SECRETS.pagerduty }]]]),
    rules: parseHookRules(RULES, new Set(['pagerduty'])),
    lifecycle: strict<Lifecycle>('lifecycle', lifecycle),
    idempotency: createMemoryIdempotency(),
    logger: memoryLogger('debug').logger,
  });
  return (event: object) => {
    const body = JSON.stringify(event);
    return callHandler(handler, {
      method: 'POST',
      url: '/api/v1/hooks/pagerduty',
      headers: signed('pagerduty', body),
      body,
      params: { source: 'pagerduty' },
    });
  };
}

describe('the webhook door over a strict fake lifecycle', () => {
  it('proposes each matching rule, in the file order, as the hook, with its reason filled in and its schedule', async () => {
    const asked: ProposeInput[] = [];
    const send = door({
      propose: async (input, options) => {
        asked.push(input);
        const request = stored(input, asked.length);
        // The door answers the sender once the request is stored, not when Slack has taken its confirmation.
        options?.onRecorded?.(request);
        return { kind: 'proposed', request };
      },
    });
    const res = await send(pagerduty('incident.triggered', 'Checkout API'));
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({
      matched: ['checkout-down', 'tell-marketing'],
      proposals: [
        { rule: 'checkout-down', id: 'req-0001-hook', status: 'pending' },
        { rule: 'tell-marketing', id: 'req-0002-hook', status: 'pending' },
      ],
    });
    expect(asked).toEqual([
      {
        actor: { kind: 'hook', source: 'pagerduty' },
        action: 'PAUSE',
        ids: ['group:black-friday', 'c9'],
        reason: 'PagerDuty #4711: Checkout returns 500s',
        channelId: 'C0INCIDENT',
        origin: { kind: 'hook', source: 'pagerduty' },
        schedule: { ms: 2 * 3_600_000, text: 'for 2h' },
      },
      {
        actor: { kind: 'hook', source: 'pagerduty' },
        action: 'STOP',
        ids: ['c1'],
        reason: undefined,
        channelId: 'C0MARKETING',
        origin: { kind: 'hook', source: 'pagerduty' },
        schedule: undefined,
      },
    ]);
  });

  it('answers a delivery that no rule matches with 200 and the reason, asking the lifecycle nothing', async () => {
    const send = door({});
    const res = await send(pagerduty('incident.resolved', 'Checkout API'));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ code: 'no_rule', ignored: 'no rule matches this event' });
  });

  it("answers a rule the policy refuses with 200 and the policy's words (the sender must not retry it)", async () => {
    const send = door({
      propose: async () => ({ kind: 'denied', step: 'propose', part: 'channel' }),
    });
    const res = await send(pagerduty('incident.acknowledged', 'Search'));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      matched: ['search-down'],
      proposals: [{ rule: 'search-down', error: { code: 'forbidden', field: 'channel_id' } }],
    });
  });
});
