import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../../../../src/core/outcomes.ts';
import type { CampaignActionRequest } from '../../../../../src/core/request.ts';
import { createRunbookAuth } from '../../../../../src/doors/http/kit/tokens.ts';
import { API_PATH, createRunbookApi } from '../../../../../src/doors/http/runbook/api.ts';
import type { Lifecycle, ProposeInput, ProposeOptions } from '../../../../../src/lifecycle/contract.ts';
import { createMemoryIdempotency } from '../../../../../src/stores/idempotency.ts';
import { memoryLogger } from '../../../../support/fixtures.ts';
import { callHandler } from '../../../../support/http-call.ts';
import { strict } from '../../../../support/strict.ts';

/**
 * The runbook door alone, over a strict fake lifecycle: what it asks the lifecycle, and how each answer becomes an
 * HTTP status and a body (the resource, or problem JSON). The handlers are called directly, with no server.
 */

const TOKEN = 'rb-test-token-5f1e0c9a7b3d';

function pending(over: Partial<CampaignActionRequest> = {}): CampaignActionRequest {
  return {
    id: 'req-0001-abcd',
    action: 'PAUSE',
    campaignIds: ['c1', 'c2'],
    reason: 'INC-42',
    requestedBy: 'runbook:deploys',
    onBehalfOf: 'UALICE',
    channelId: 'CINC',
    source: 'runbook_api',
    grants: [{ rule: 'oncall', needed: 1, requesterMayApprove: false }],
    approvals: [],
    createdAt: Date.UTC(2026, 0, 1),
    expiresAt: Date.UTC(2026, 0, 1, 0, 10),
    messageTs: '1700000000.000100',
    state: 'pending',
    decidedBy: undefined,
    decidedAt: undefined,
    ...over,
  };
}

function door(lifecycle: Partial<Lifecycle>) {
  const api = createRunbookApi({
    auth: createRunbookAuth([{ name: 'deploys', token: TOKEN }]),
    lifecycle: strict<Lifecycle>('lifecycle', lifecycle),
    idempotency: createMemoryIdempotency(),
    logger: memoryLogger('debug').logger,
  });
  const post = (body: object, headers: Record<string, string> = {}) =>
    callHandler(api.proposeAction, {
      method: 'POST',
      url: API_PATH,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const get = (id: string) =>
    callHandler(api.actionStatus, {
      method: 'GET',
      url: `${API_PATH}/${id}`,
      headers: { authorization: `Bearer ${TOKEN}` },
      params: { id },
    });
  return { post, get };
}

/** A door whose lifecycle answers every proposal with `outcome`, recording what it was asked. */
function answering(outcome: Outcome) {
  const asked: [ProposeInput, ProposeOptions | undefined][] = [];
  const d = door({
    propose: async (input, options) => {
      asked.push([input, options]);
      return outcome;
    },
  });
  return { ...d, asked };
}

const BODY = { action: 'pause', campaign_ids: ['c1', 'c2'], channel_id: 'CINC', reason: 'INC-42' };

describe('the runbook door over a strict fake lifecycle', () => {
  it('proposes as its token, with whom it acts for, its incident, its callback and its schedule', async () => {
    const { post, asked } = answering({ kind: 'proposed', request: pending() });
    const res = await post({
      ...BODY,
      requested_by: 'UALICE',
      pause_for: '2h',
      incident: { id: 'INC-42', url: 'https://status.example.com/INC-42' },
      callback_url: 'https://hooks.example.com/settled',
    });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ id: 'req-0001-abcd', status: 'pending', on_behalf_of: 'UALICE' });
    expect(asked).toEqual([
      [
        {
          actor: { kind: 'token', name: 'deploys' },
          action: 'pause',
          ids: ['c1', 'c2'],
          reason: 'INC-42',
          channelId: 'CINC',
          origin: {
            kind: 'runbook_api',
            onBehalfOf: 'UALICE',
            incident: { id: 'INC-42', url: 'https://status.example.com/INC-42' },
            callback: { url: 'https://hooks.example.com/settled', token: 'deploys' },
          },
          schedule: { ms: 2 * 3_600_000, text: 'for 2h' },
        },
        { dryRun: false },
      ],
    ]);
  });

  it('asks for a dry run and answers 200 with what would be proposed', async () => {
    const { post, asked } = answering({ kind: 'dry_run', request: pending({ messageTs: undefined }) });
    const res = await post({ ...BODY, dry_run: true });
    expect(asked[0]?.[1]).toEqual({ dryRun: true });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      dry_run: true,
      would_propose: { action: 'PAUSE', campaign_ids: ['c1', 'c2'] },
    });
  });

  it('names a group as the `group:NAME` token, and points a refusal of it at the `group` field', async () => {
    const { post, asked } = answering({ kind: 'invalid_input', field: 'group', message: 'no group "x"' });
    const res = await post({ action: 'pause', group: 'x', channel_id: 'CINC' });
    expect(asked[0]?.[0].ids).toEqual(['group:x']);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: { code: 'invalid_request', message: 'no group "x"', field: 'group' },
    });
  });

  it('passes dashboard links as they are and each of campaign_names as a quoted name, in one proposal', async () => {
    const { post, asked } = answering({ kind: 'proposed', request: pending() });
    const link = 'https://dashboard-01.moengage.com/v4/#/email/64f1a2b3c4d5e6f7a8b9c0d1/edit';
    const res = await post({
      action: 'pause',
      campaign_ids: ['c1', link],
      campaign_names: ['  black friday push ', 'the "VIP" winback'],
      channel_id: 'CINC',
    });
    expect(res.status).toBe(202);
    expect(asked[0]?.[0].ids).toEqual(['c1', link, '"black friday push"', '"the  VIP  winback"']);
    // Names alone are enough.
    expect((await post({ action: 'pause', campaign_names: ['price drop'], channel_id: 'CINC' })).status).toBe(
      202,
    );
    expect(asked[1]?.[0].ids).toEqual(['"price drop"']);
  });

  it('refuses a name among campaign_ids, names beside a group, and a name of punctuation alone, asking nothing', async () => {
    const { post } = door({});
    const quoted = await post({ action: 'pause', campaign_ids: ['"black friday"'], channel_id: 'CINC' });
    expect(quoted).toMatchObject({
      status: 400,
      json: { error: { field: 'campaign_ids.0', message: expect.stringMatching(/goes in campaign_names/) } },
    });
    const both = await post({ action: 'pause', campaign_names: ['x'], group: 'g', channel_id: 'CINC' });
    expect(both).toMatchObject({ status: 400, json: { error: { field: 'campaign_names' } } });
    const empty = await post({ action: 'pause', campaign_names: ['" – "'], channel_id: 'CINC' });
    expect(empty).toMatchObject({ status: 400, json: { error: { field: 'campaign_names.0' } } });
  });

  it('answers a name that matched several campaigns with 409 ambiguous_name, listing the choices', async () => {
    const entry = (id: string, name: string) => ({ id, name, status: 'ACTIVE', channel: 'PUSH', seenAt: 1 });
    const { post } = answering({
      kind: 'choose_campaigns',
      choices: [
        {
          query: 'black friday',
          candidates: [entry('a1', 'Black Friday push'), entry('a2', 'Black Friday teaser')],
          more: false,
        },
      ],
      missing: ['cyber monday'],
    });
    const res = await post({
      action: 'pause',
      campaign_names: ['black friday', 'cyber monday'],
      channel_id: 'CINC',
    });
    expect(res.status).toBe(409);
    expect(res.json).toEqual({
      error: {
        code: 'ambiguous_name',
        field: 'campaign_names',
        message: expect.stringMatching(/^Nothing was proposed: choose/),
        choices: [
          {
            query: 'black friday',
            more: false,
            candidates: [
              { id: 'a1', name: 'Black Friday push', status: 'ACTIVE', channel: 'PUSH' },
              { id: 'a2', name: 'Black Friday teaser', status: 'ACTIVE', channel: 'PUSH' },
            ],
          },
        ],
        missing: ['cyber monday'],
      },
    });
  });

  it.each([
    [{ kind: 'denied', step: 'propose', part: 'channel' }, 403, { code: 'forbidden', field: 'channel_id' }],
    [{ kind: 'invalid_input', field: 'reason', message: 'give a reason' }, 400, { field: 'reason' }],
    [{ kind: 'not_in_channel' }, 409, { code: 'not_in_channel', field: 'channel_id' }],
    [{ kind: 'unavailable', what: 'store' }, 503, { code: 'store_error' }],
    [{ kind: 'unavailable', what: 'slack', code: 'ratelimited' }, 502, { code: 'slack_error' }],
    [{ kind: 'expired', at: 0 }, 409, { code: 'expired' }],
  ] as [Outcome, number, object][])('answers %j with %i and problem JSON', async (outcome, status, error) => {
    const { post } = answering(outcome);
    const res = await post(BODY);
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ error });
    expect(res.headers['content-type']).toBe('application/json');
  });

  it('answers 500 without the error when the lifecycle throws, and a retry with the same key asks again', async () => {
    let calls = 0;
    const { post } = door({
      propose: async () => {
        calls++;
        if (calls === 1) throw new Error('secret detail');
        return { kind: 'proposed', request: pending() };
      },
    });
    const first = await post(BODY, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(500);
    expect(JSON.stringify(first.json)).not.toContain('secret detail');
    expect((await post(BODY, { 'idempotency-key': 'k-1' })).status).toBe(202);
    expect(calls).toBe(2);
  });

  it('answers a repeat of the same Idempotency-Key from its record, asking the lifecycle once', async () => {
    const { post, asked } = answering({ kind: 'proposed', request: pending() });
    const first = await post(BODY, { 'idempotency-key': 'k-2' });
    const again = await post(BODY, { 'idempotency-key': 'k-2' });
    expect(again).toEqual(first);
    expect(asked).toHaveLength(1);
  });

  it('refuses a caller without a known token before asking the lifecycle anything', async () => {
    const { post } = door({});
    const res = await post(BODY, { authorization: 'Bearer not-ours' });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('reports a request the token may read, and says not_found for one it may not', async () => {
    const seen: string[] = [];
    const { get } = door({
      read: async (id, actor) => {
        seen.push(`${id} as ${actor.kind === 'token' ? actor.name : actor.kind}`);
        return id === 'req-0001-abcd' ? { kind: 'request', request: pending() } : { kind: 'not_found' };
      },
    });
    const found = await get('req-0001-abcd');
    expect(found.status).toBe(200);
    expect(found.json).toMatchObject({
      id: 'req-0001-abcd',
      status: 'pending',
      requested_by: 'runbook:deploys',
    });
    const hidden = await get('req-0002-abcd');
    expect(hidden.status).toBe(404);
    expect(hidden.json).toEqual({ error: { code: 'not_found', message: 'no such campaign action' } });
    expect(seen).toEqual(['req-0001-abcd as deploys', 'req-0002-abcd as deploys']);
  });
});
