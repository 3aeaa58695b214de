import fc from 'fast-check';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCampaignGroups } from '../../src/core/groups.ts';
import { signRunbookRequest } from '../../src/doors/http/kit/tokens.ts';
import { CHANNEL, type Harness, messageText, startHarness } from '../support/bot-harness.ts';

const PD_TOKEN = 'pd-token-0123456789abcdef0123456789abcdef';
const SCRIPT_TOKEN = 'script-token-fedcba9876543210fedcba98765432';
const TOKENS = JSON.stringify([
  { name: 'pagerduty', token: PD_TOKEN, actions: ['PAUSE', 'STOP'], channels: [CHANNEL, 'CNOTALLOWED'] },
  {
    name: 'emergency',
    token: SCRIPT_TOKEN,
    actions: ['PAUSE'],
    channels: [CHANNEL],
    auto_execute: ['PAUSE'],
  },
]);
const groups = parseCampaignGroups('black-friday-push: [camp_001, camp_002, camp_003]');

let h: Harness;
afterEach(async () => {
  await h.stop();
});

async function call(
  method: 'POST' | 'GET',
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
) {
  const raw =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const res = await request(`http://127.0.0.1:${h.bot.port}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    ...(raw === undefined ? {} : { body: raw }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

const post = (body: unknown, token = PD_TOKEN, headers: Record<string, string> = {}) =>
  call('POST', '/api/v1/campaign-actions', { body, token, headers });
const STILL_VALID: Record<string, RegExp> = {
  action: /^(pause|resume|stop)$/i,
  channel_id: /^[CG][A-Z0-9]{2,}$/,
  reason: /\S/,
  requested_by: /^[UW][A-Z0-9]{2,}$/,
};
const valid = {
  action: 'pause',
  campaign_ids: ['camp_001', 'camp_002'],
  channel_id: CHANNEL,
  reason: 'INC-9 runaway push',
};

/** Polls GET until the action reaches `status`, as a runbook would. */
async function waitStatus(id: string, status: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const got = await call('GET', `/api/v1/campaign-actions/${id}`, { token: PD_TOKEN });
    if (got.json?.status === status) return got.json;
    if (Date.now() > deadline) throw new Error(`status stayed ${got.json?.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('runbook HTTP API', () => {
  it("bounds one token's long polls: 300 of them leave signed slash commands working, and each gets its answer", async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    const created = await post(valid);
    expect(created.status).toBe(202);
    const proposal = await h.latestMessage();
    // Their own sockets, apart from the simulator's (which sends the slash commands).
    const polls = new Agent({ connections: 300 });
    const answers: { status: number; json: { id?: string; status?: string } }[] = [];
    const failures: unknown[] = [];
    const poll = () =>
      request(`http://127.0.0.1:${h.bot.port}/api/v1/campaign-actions/${created.json?.id}?wait=60`, {
        headers: { authorization: `Bearer ${PD_TOKEN}` },
        dispatcher: polls,
      })
        .then(async (res) =>
          answers.push({ status: res.statusCode, json: (await res.body.json()) as { id?: string } }),
        )
        .catch((error: unknown) => failures.push(error));
    const all: Promise<unknown>[] = [];
    try {
      // In batches of 50, each sent once the last is answered: 300 sockets connecting at once would have the
      // server shed some before their request is in (as it should at its cap), which is not what is tested here.
      // Past the bound per token, a poll is answered at once with the state as it is.
      for (let batch = 1; batch <= 6; batch++) {
        for (let i = 0; i < 50; i++) all.push(poll());
        await h.slack.waitFor(() => answers.length + failures.length >= batch * 50 - 10, 10_000);
      }
      expect(failures).toEqual([]);
      for (let i = 0; i < 5; i++) {
        const res = await h.command('UALICE', 'help');
        expect(res.status).toBe(200);
      }
      expect(failures).toEqual([]);
      // The token's waits are all taken: `Prefer: wait` on a proposal is not applied, and it is answered at once.
      const proposed = await request(`http://127.0.0.1:${h.bot.port}/api/v1/campaign-actions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${PD_TOKEN}`,
          'content-type': 'application/json',
          prefer: 'wait=25',
        },
        body: JSON.stringify({ ...valid, campaign_ids: ['camp_009'] }),
      });
      expect(proposed.statusCode).toBe(202);
      expect(proposed.headers['preference-applied']).toBeUndefined();
      expect(await proposed.body.json()).toMatchObject({ status: 'pending' });
      // The ones still waiting are answered when the request settles.
      await h.click('UALICE', proposal, 'campaign_cancel');
      await Promise.all(all);
      expect(failures).toEqual([]);
      expect(answers).toHaveLength(300);
      for (const a of answers) expect(a).toMatchObject({ status: 200, json: { id: created.json?.id } });
      const settled = answers.filter((a) => a.json.status === 'cancelled');
      expect(settled.length).toBeGreaterThanOrEqual(10);
    } finally {
      await polls.destroy();
    }
  });

  it('proposes with a bearer token (202), a person confirms in Slack, and GET reports every id', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    const res = await post(valid);
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({
      action: 'PAUSE',
      status: 'pending',
      requested_by: 'runbook:pagerduty',
      result: null,
    });
    const message = await h.latestMessage();
    expect(messageText(message)).toContain('runbook:pagerduty');
    expect(messageText(message)).toContain('*Reason:* INC-9 runaway push');
    expect(
      (await call('GET', `/api/v1/campaign-actions/${res.json?.id}`, { token: PD_TOKEN })).json?.status,
    ).toBe('pending');

    await h.click('UBOB', message, 'campaign_confirm');
    const done = await waitStatus(res.json?.id, 'completed');
    expect(done).toMatchObject({
      decided_by: 'UBOB',
      result: {
        applied: 2,
        failed: 0,
        outcomes: [
          { campaign_id: 'camp_001', status: 'applied' },
          { campaign_id: 'camp_002', status: 'applied' },
        ],
      },
    });
    expect(h.auditEvents().find((e) => e.event === 'requested')).toMatchObject({
      via: 'rule:RUNBOOK_TOKENS:pagerduty token',
      source: 'runbook_api',
      reason: 'INC-9 runaway push',
    });
  });

  it('auto-executes an action the token is granted auto_execute for, still posting the message and thread', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    const res = await post({ ...valid, campaign_ids: ['camp_005'] }, SCRIPT_TOKEN);
    expect(res).toMatchObject({ status: 202, json: { status: 'running' } });
    const done = await waitStatus(res.json?.id, 'completed');
    expect(done).toMatchObject({ decided_by: 'runbook:emergency', result: { applied: 1 } });
    const message = await h.latestMessage();
    await h.slack.waitFor(() => h.slack.thread(CHANNEL, message.ts).length > 0);
    // The summary edit follows the thread reply (in the channel's queue): wait for it rather than race it.
    await h.slack.waitFor(() =>
      messageText(h.slack.message(CHANNEL, message.ts) as never).includes('1 paused'),
    );
    expect(h.moengage.campaign('camp_005')?.status).toBe('PAUSED');
  });

  it('accepts an HMAC-signed call and refuses a replay, a stale timestamp and a bad signature', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    const body = JSON.stringify({ ...valid, campaign_ids: ['camp_006'] });
    const ts = Math.floor(Date.now() / 1000);
    const signed = (t: number, signature = signRunbookRequest(PD_TOKEN, t, body)) => ({
      'x-campaign-bot-key': 'pagerduty',
      'x-campaign-bot-timestamp': String(t),
      'x-campaign-bot-signature': signature,
    });
    const send = (headers: Record<string, string>) =>
      call('POST', '/api/v1/campaign-actions', { body, headers });
    expect((await send(signed(ts))).status).toBe(202);
    expect(await send(signed(ts))).toMatchObject({
      status: 401,
      json: { error: { message: expect.stringMatching(/replayed/) } },
    });
    expect((await send(signed(ts - 600))).status).toBe(401);
    expect(
      (await send(signed(ts, signRunbookRequest('another-token-of-32-characters-xx', ts, body)))).status,
    ).toBe(401);
    expect(h.slack.messages(CHANNEL)).toHaveLength(1);
  });

  it('signs method and path too: two signed status reads in one second are both accepted', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    const created = await post(valid);
    const ts = Math.floor(Date.now() / 1000);
    const get = (id: string) => {
      const path = `/api/v1/campaign-actions/${id}`;
      return call('GET', path, {
        headers: {
          'x-campaign-bot-key': 'pagerduty',
          'x-campaign-bot-timestamp': String(ts),
          'x-campaign-bot-signature': signRunbookRequest(PD_TOKEN, ts, '', 'GET', path),
        },
      });
    };
    expect((await get(created.json?.id)).status).toBe(200);
    expect((await get('another-id-0000')).status).toBe(404);
    // A POST signature does not open a GET.
    const postSignature = signRunbookRequest(PD_TOKEN, ts, '');
    const moved = await call('GET', `/api/v1/campaign-actions/${created.json?.id}`, {
      headers: {
        'x-campaign-bot-key': 'pagerduty',
        'x-campaign-bot-timestamp': String(ts),
        'x-campaign-bot-signature': postSignature,
      },
    });
    expect(moved.status).toBe(401);
  });

  it('lets a token read only the actions in its own channels', async () => {
    const tokens = JSON.stringify([
      { name: 'pagerduty', token: PD_TOKEN, actions: ['PAUSE'], channels: [CHANNEL] },
      { name: 'other', token: SCRIPT_TOKEN, actions: ['PAUSE'], channels: ['COTHER'] },
    ]);
    h = await startHarness({ RUNBOOK_TOKENS: tokens, ALLOWED_CHANNEL_IDS: `${CHANNEL},COTHER` });
    const mine = await post({ ...valid, channel_id: 'COTHER' }, SCRIPT_TOKEN);
    expect(mine.status).toBe(202);
    expect(
      (await call('GET', `/api/v1/campaign-actions/${mine.json?.id}`, { token: SCRIPT_TOKEN })).status,
    ).toBe(200);
    expect((await call('GET', `/api/v1/campaign-actions/${mine.json?.id}`, { token: PD_TOKEN })).status).toBe(
      404,
    );
  });

  it('refuses unknown tokens (401) and what a token is not granted (403), naming the field', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    expect((await post(valid, 'x'.repeat(40))).status).toBe(401);
    expect((await call('POST', '/api/v1/campaign-actions', { body: valid })).status).toBe(401);
    expect(await post({ ...valid, action: 'resume' })).toMatchObject({
      status: 403,
      json: { error: { field: 'action' } },
    });
    expect(await post({ ...valid, channel_id: 'COTHER' })).toMatchObject({
      status: 403,
      json: { error: { field: 'channel_id' } },
    });
    // Granted by the token but not in ALLOWED_CHANNEL_IDS: the same policy as people still applies.
    expect(await post({ ...valid, channel_id: 'CNOTALLOWED' })).toMatchObject({
      status: 403,
      json: { error: { field: 'channel_id' } },
    });
    expect(
      (await call('GET', '/api/v1/campaign-actions/whatever-id', { token: 'y'.repeat(40) })).status,
    ).toBe(401);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    // Unauthenticated calls are refused by the door (a bad bearer token before its body is read); what a token
    // may not do is refused by the one policy, and audited there.
    expect(h.auditEvents().filter((e) => e.event === 'api_denied')).toHaveLength(3);
    expect(h.auditEvents().filter((e) => e.event === 'denied')).toMatchObject([
      { step: 'propose', failed: 'action', user: 'runbook:pagerduty' },
      { step: 'propose', failed: 'channel' },
      { step: 'propose', failed: 'channel' },
    ]);
  });

  it('returns the first answer for a retried Idempotency-Key, and refuses the key with another body', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    const key = { 'idempotency-key': 'incident-42-pause' };
    const first = await post(valid, PD_TOKEN, key);
    const again = await post(valid, PD_TOKEN, key);
    expect(first.status).toBe(202);
    expect(again).toEqual(first);
    expect(h.slack.messages(CHANNEL)).toHaveLength(1);
    expect(await post({ ...valid, reason: 'different' }, PD_TOKEN, key)).toMatchObject({ status: 422 });
  });

  it('expands a group, refuses an unknown one and enforces a required reason', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS, REQUIRE_REASON_ACTIONS: 'STOP' }, { groups });
    const res = await post({ action: 'PAUSE', group: 'black-friday-push', channel_id: CHANNEL });
    expect(res.json?.campaign_ids).toEqual(['camp_001', 'camp_002', 'camp_003']);
    expect(await post({ action: 'PAUSE', group: 'nope', channel_id: CHANNEL })).toMatchObject({
      status: 400,
      json: { error: { field: 'group', message: expect.stringMatching(/no campaign group "nope"/) } },
    });
    expect(await post({ action: 'STOP', campaign_ids: ['once_001'], channel_id: CHANNEL })).toMatchObject({
      status: 400,
      json: { error: { field: 'reason' } },
    });
    expect(
      await post({ action: 'PAUSE', campaign_ids: ['a'], group: 'black-friday-push', channel_id: CHANNEL }),
    ).toMatchObject({
      status: 400,
      json: { error: { field: 'campaign_ids' } },
    });
  });

  it('answers every malformed body with a 400 naming the problem, and changes nothing (property-based)', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    const badValue = fc.oneof(
      fc.constant(null),
      fc.integer(),
      fc.boolean(),
      fc.string({ maxLength: 5 }),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.constant([]),
      fc.constant(['bad/id']),
      fc.constant(''),
    );
    const mutated = fc.oneof(
      fc
        .record({
          field: fc.constantFrom('action', 'campaign_ids', 'channel_id', 'reason', 'requested_by'),
          value: badValue,
        })
        // A short random string can happen to be valid for some fields ("stop", "!" as a reason): not a bad body.
        .filter(({ field, value }) => typeof value !== 'string' || !STILL_VALID[field]?.test(value))
        .map(({ field, value }) => ({ ...valid, [field]: value })),
      fc.constantFrom('action', 'channel_id').map((field) => {
        const { [field as 'action']: _drop, ...rest } = valid;
        return rest;
      }),
      fc
        .string({ minLength: 1, maxLength: 10 })
        .filter((k) => !(k in valid))
        .map((k) => ({ ...valid, [k]: 1 })),
    );
    const anything = fc.oneof(
      fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutated,
          anything.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
        ),
        async (body) => {
          const res = await post(typeof body === 'string' ? body : JSON.stringify(body));
          if (res.status !== 400) throw new Error(`got ${res.status} for ${JSON.stringify(body)}`);
          expect(res.json?.error?.code).toMatch(/^invalid_(json|request)$/);
        },
      ),
      { numRuns: 150 },
    );
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(h.auditEvents().filter((e) => e.event === 'requested')).toHaveLength(0);
  });
});
