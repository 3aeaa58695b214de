import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAccessPolicy } from '../../src/auth/policy-file.ts';
import { parseCampaignGroups } from '../../src/core/groups.ts';
import {
  CHANNEL,
  type Harness,
  hasButtons,
  messageText,
  startHarness,
  testFleet,
} from '../support/bot-harness.ts';

/**
 * The agent door end to end, through a client nobody here wrote: the MCP SDK's own Client over Streamable HTTP,
 * against the real bot on the Slack and MoEngage simulators. An agent finds, proposes and follows; people approve.
 */

const CLAUDE = 'mcp-claude-token-0123456789abcdef0123456789abcdef';
const WATCHER = 'mcp-watcher-token-fedcba9876543210fedcba9876543210';
const AGENTS = JSON.stringify([
  { name: 'claude', token: CLAUDE, actions: ['PAUSE', 'RESUME', 'STOP'], channels: [CHANNEL] },
  { name: 'watcher', token: WATCHER, actions: ['PAUSE'], channels: [CHANNEL] },
]);
const NAMED = {
  id: 'bf_push_eu',
  name: 'Black Friday Push (EU)',
  type: 'PERIODIC',
  channel: 'PUSH',
  status: 'ACTIVE',
} as const;
const groups = parseCampaignGroups('black-friday-push: [camp_001, camp_002]');

let h: Harness;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await h.stop();
});

const mcpUrl = () => new URL(`http://127.0.0.1:${h.bot.port}/mcp`);

async function connect(token = CLAUDE) {
  const transport = new StreamableHTTPClientTransport(mcpUrl(), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

type Result = Awaited<ReturnType<Client['callTool']>>;
// biome-ignore lint/suspicious/noExplicitAny: the tools' answers are read field by field, as JSON.
const data = (r: Result) => r.structuredContent as Record<string, any>;
const text = (r: Result) =>
  (r.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');

/**
 * Asks as an agent would until the catalog's first listing is in (it pages through MoEngage's search at a paced
 * rate after start; until then the answer says `catalog_loading`), within a generous bound.
 */
async function findOnceListed(client: Client, query: string): Promise<Result> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = await client.callTool({
      name: 'find_campaigns',
      arguments: { query, channel_id: CHANNEL },
    });
    if (found.isError || data(found).catalog_loading === false) return found;
    if (Date.now() > deadline) throw new Error('the catalog was still loading after 60 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const start = (env: Record<string, string> = {}) =>
  startHarness(
    { MCP_TOKENS: AGENTS, CAMPAIGN_CATALOG: 'on', ...env },
    // The catalog's first listing paged quickly: a test waits for it, not for production's share of the search.
    {
      groups,
      moengage: { campaigns: [...testFleet(), NAMED] },
      timings: { catalog: { pagesPerMinute: 6_000 } },
    },
  );

describe('the agent door (MCP) with the SDK’s own client', () => {
  it('initializes on protocol 2025-11-25 and lists the six tools by name, with their hints', async () => {
    h = await start();
    const { client, transport } = await connect();
    expect(LATEST_PROTOCOL_VERSION).toBe('2025-11-25');
    expect(transport.protocolVersion).toBe('2025-11-25');
    expect(client.getServerVersion()?.name).toBe('campaign-bot');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        'find_campaigns',
        'get_campaigns',
        'get_request',
        'history',
        'list_freezes',
        'request_campaign_action',
      ].sort(),
    );
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get('find_campaigns')?.annotations?.readOnlyHint).toBe(true);
    expect(byName.get('request_campaign_action')?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
    });
    expect(byName.get('request_campaign_action')?.inputSchema.required).toEqual(
      expect.arrayContaining(['action', 'channel_id', 'reason']),
    );
    // Stateless: no session is handed out, so any replica can take the next message.
    expect(transport.sessionId).toBeUndefined();
  });

  it('finds a campaign by name, proposes its pause naming the agent, and gets the outcome once a person confirms', async () => {
    h = await start();
    const { client } = await connect();
    const found = await findOnceListed(client, 'black friday');
    expect(found.isError).toBeFalsy();
    expect(data(found).campaigns).toEqual([
      expect.objectContaining({ id: NAMED.id, name: NAMED.name, status: 'ACTIVE', channel: 'PUSH' }),
    ]);

    const proposed = await client.callTool({
      name: 'request_campaign_action',
      arguments: {
        action: 'PAUSE',
        names: ['black friday push'],
        channel_id: CHANNEL,
        reason: 'Coupon code broken in the EU push',
        incident: { id: 'INC-77', url: 'https://incidents.example.com/INC-77' },
      },
    });
    expect(proposed.isError).toBeFalsy();
    const answer = data(proposed);
    expect(answer).toMatchObject({
      status: 'awaiting_approval',
      approvals_needed: 1,
      campaign_ids: [NAMED.id],
    });
    expect(answer.approval_url).toMatch(new RegExp(`^https://slack\\.com/archives/${CHANNEL}/p\\d+$`));

    // The normal confirmation, in the channel, saying an AI agent asked and why.
    const message = await h.latestMessage();
    const shown = messageText(message);
    expect(shown).toContain('AI agent *claude* (MCP)');
    expect(shown).toContain('Coupon code broken in the EU push');
    expect(shown).toContain('INC-77');
    expect(h.moengage.campaign(NAMED.id)?.status).toBe('ACTIVE');

    // Still pending when asked at once; settled once Bob confirms in Slack.
    const before = await client.callTool({
      name: 'get_request',
      arguments: { request_id: answer.request_id },
    });
    expect(data(before)).toMatchObject({ status: 'pending', settled: false, requested_by: 'agent:claude' });
    const waited = client.callTool({
      name: 'get_request',
      arguments: { request_id: answer.request_id, wait_seconds: 25 },
    });
    await h.click('UBOB', message, 'campaign_confirm');
    const after = data(await waited);
    expect(after).toMatchObject({ status: 'completed', settled: true, decided_by: 'UBOB' });
    expect(after.result.outcomes).toEqual([{ campaign_id: NAMED.id, status: 'applied' }]);
    expect(h.moengage.campaign(NAMED.id)?.status).toBe('PAUSED');

    // Audited with the agent, its reason and its incident: the lifecycle's events and the door's call lines.
    const requested = h.auditEvents().find((e) => e.event === 'requested');
    expect(requested).toMatchObject({
      requestedBy: 'agent:claude',
      source: 'mcp',
      reason: 'Coupon code broken in the EU push',
      incident: { id: 'INC-77' },
    });
    const calls = h.auditEvents().filter((e) => e.event === 'mcp_call' && e.tool !== 'find_campaigns');
    expect(calls.map((c) => c.tool)).toEqual(['request_campaign_action', 'get_request', 'get_request']);
    expect(calls[0]).toMatchObject({
      agent: 'claude',
      reason: 'Coupon code broken in the EU push',
      outcome: 'ok',
    });
    expect(JSON.stringify(h.log.lines())).not.toContain(CLAUDE);
  });

  it('never lets the person an agent acts for approve its request: someone else must', async () => {
    h = await start();
    const { client } = await connect();
    const proposed = await client.callTool({
      name: 'request_campaign_action',
      arguments: {
        action: 'PAUSE',
        campaign_ids: ['camp_005'],
        channel_id: CHANNEL,
        reason: 'INC-80',
        on_behalf_of: 'UALICE',
      },
    });
    const id = data(proposed).request_id as string;
    const message = await h.latestMessage();
    expect(messageText(message)).toContain('on behalf of <@UALICE> (not verified)');
    // Alice may approve her own PAUSE when she asks herself; not one an agent says it asks for her.
    await h.click('UALICE', message, 'campaign_confirm');
    await h.slack.waitFor(() => h.auditEvents().find((e) => e.event === 'denied' && e.step === 'approve'));
    expect(h.auditEvents().find((e) => e.event === 'denied')).toMatchObject({
      user: 'UALICE',
      failed: 'same_person',
    });
    const still = await client.callTool({ name: 'get_request', arguments: { request_id: id } });
    expect(data(still)).toMatchObject({ status: 'pending', on_behalf_of: 'UALICE', approvals: [] });
    expect(h.moengage.campaign('camp_005')?.status).toBe('ACTIVE');
    await h.click('UBOB', message, 'campaign_confirm');
    const done = await client.callTool({
      name: 'get_request',
      arguments: { request_id: id, wait_seconds: 25 },
    });
    expect(data(done)).toMatchObject({ status: 'completed', decided_by: 'UBOB' });
    expect(h.moengage.campaign('camp_005')?.status).toBe('PAUSED');
  });

  it('makes an agent’s STOP wait for two people, neither of them the agent', async () => {
    h = await start();
    const { client } = await connect();
    const proposed = await client.callTool({
      name: 'request_campaign_action',
      arguments: { action: 'STOP', campaign_ids: ['once_001'], channel_id: CHANNEL, reason: 'INC-81' },
    });
    expect(data(proposed)).toMatchObject({ status: 'awaiting_approval', approvals_needed: 2 });
    const message = await h.latestMessage();
    await h.click('UALICE', message, 'campaign_confirm');
    await h.slack.waitFor(() => h.auditEvents().find((e) => e.event === 'approved'));
    expect(hasButtons(h.slack.message(CHANNEL, message.ts) as never)).toBe(true);
    expect(h.moengage.campaign('once_001')?.status).toBe('SCHEDULED');
    await h.click('UBOB', message, 'campaign_confirm');
    const done = await client.callTool({
      name: 'get_request',
      arguments: { request_id: data(proposed).request_id, wait_seconds: 25 },
    });
    expect(data(done)).toMatchObject({ status: 'completed' });
    expect(h.moengage.campaign('once_001')?.status).toBe('STOPPED');
  });

  it('refuses, as tool errors with the rule that failed, what the policy does not grant the agent', async () => {
    h = await start();
    const { client } = await connect(WATCHER);
    const stop = await client.callTool({
      name: 'request_campaign_action',
      arguments: { action: 'STOP', campaign_ids: ['camp_001'], channel_id: CHANNEL, reason: 'INC-82' },
    });
    expect(stop.isError).toBe(true);
    expect(data(stop).error).toMatchObject({ code: 'forbidden', failed: 'action' });
    expect(text(stop)).toContain('No rule of the access policy lets you request a STOP');
    const elsewhere = await client.callTool({
      name: 'request_campaign_action',
      arguments: { action: 'PAUSE', group: 'black-friday-push', channel_id: 'COTHER', reason: 'INC-82' },
    });
    expect(data(elsewhere).error).toMatchObject({ code: 'forbidden', failed: 'channel' });
    const reads = await client.callTool({
      name: 'find_campaigns',
      arguments: { query: 'black friday', channel_id: 'COTHER' },
    });
    expect(data(reads).error).toMatchObject({ code: 'forbidden', failed: 'channel' });
    // A field the schema refuses is a tool error too, naming it; nothing reaches the lifecycle.
    const bad = await client.callTool({
      name: 'request_campaign_action',
      arguments: { action: 'PAUSE', campaign_ids: ['camp_001'], channel_id: 'not-a-channel', reason: 'x' },
    });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/channel_id/);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    const denied = h.auditEvents().filter((e) => e.event === 'denied');
    expect(denied.map((e) => e.user)).toEqual(['agent:watcher', 'agent:watcher', 'agent:watcher']);
    expect(h.moengage.campaign('camp_001')?.status).toBe('ACTIVE');
  });

  it('reads campaigns as MoEngage shows them, the freezes that hold, and the history of its own requests', async () => {
    h = await start();
    const { client } = await connect();
    const status = await client.callTool({
      name: 'get_campaigns',
      arguments: { campaign_ids: ['camp_003', 'nope_404'], channel_id: CHANNEL },
    });
    expect(data(status).campaigns).toEqual([
      expect.objectContaining({ id: 'camp_003', found: true, status: 'ACTIVE', channel: 'PUSH' }),
      { id: 'nope_404', found: false },
    ]);

    await h.command('UALICE', 'freeze group:black-friday-push reason: INC-90 checkout down');
    const freeze = await h.latestMessage();
    const frozen = await client.callTool({ name: 'list_freezes', arguments: { channel_id: CHANNEL } });
    expect(data(frozen).freezes).toEqual([
      expect.objectContaining({
        scope: 'group:black-friday-push',
        state: 'awaiting_approval',
        campaigns: 2,
        requested_by: 'UALICE',
      }),
    ]);
    await h.click('UBOB', freeze, 'campaign_confirm');
    await h.slack.waitFor(() => h.auditEvents().find((e) => e.event === 'completed'));

    await client.callTool({
      name: 'request_campaign_action',
      arguments: { action: 'PAUSE', campaign_ids: ['camp_007'], channel_id: CHANNEL, reason: 'INC-91' },
    });
    const mine = await client.callTool({ name: 'history', arguments: { channel_id: CHANNEL } });
    expect(data(mine)).toMatchObject({ total: 1 });
    expect(data(mine).requests[0]).toMatchObject({
      action: 'PAUSE',
      requested_by: 'agent:claude',
      reason: 'INC-91',
      campaign_ids: ['camp_007'],
      end: { kind: 'open' },
    });
    const theirs = await client.callTool({
      name: 'history',
      arguments: { group: 'black-friday-push', channel_id: CHANNEL },
    });
    expect(data(theirs).requests[0]).toMatchObject({
      requested_by: 'UALICE',
      confirmed_by: 'UBOB',
      end: { kind: 'completed', applied: 2 },
    });
  });

  it('takes an agent’s grants from ACCESS_POLICY_FILE (agent:<name>), and refuses an agent no rule names', async () => {
    const rules = `
rules:
  - name: agents-pause
    actions: [PAUSE]
    requesters: [agent:claude]
    approvers: [UBOB]
    channels: [${CHANNEL}]
`;
    const policy = parseAccessPolicy(rules, {
      groups,
      tokenNames: new Set(),
      agentNames: new Set(['claude', 'watcher']),
    });
    h = await startHarness({ MCP_TOKENS: AGENTS }, { groups, policy });
    const granted = await (await connect()).client.callTool({
      name: 'request_campaign_action',
      arguments: { action: 'PAUSE', campaign_ids: ['camp_011'], channel_id: CHANNEL, reason: 'INC-92' },
    });
    expect(data(granted)).toMatchObject({ status: 'awaiting_approval', approvals_needed: 1 });
    expect(messageText(await h.latestMessage())).toContain('AI agent *claude* (MCP)');
    const ungranted = await (await connect(WATCHER)).client.callTool({
      name: 'request_campaign_action',
      arguments: { action: 'PAUSE', campaign_ids: ['camp_011'], channel_id: CHANNEL, reason: 'INC-92' },
    });
    expect(ungranted.isError).toBe(true);
    expect(data(ungranted).error).toMatchObject({ code: 'forbidden', failed: 'user' });
    expect(text(ungranted)).toContain('no rule of the access policy names you');
  });

  it('answers a dry run with what it would propose, posting and sending nothing', async () => {
    h = await start();
    const { client } = await connect();
    const dry = await client.callTool({
      name: 'request_campaign_action',
      arguments: {
        action: 'PAUSE',
        group: 'black-friday-push',
        channel_id: CHANNEL,
        reason: 'INC-83',
        dry_run: true,
      },
    });
    expect(data(dry)).toMatchObject({ status: 'dry_run', campaign_ids: ['camp_001', 'camp_002'] });
    expect(data(dry).would_propose).toMatchObject({ runs_without_approval: false });
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('answers 401 with WWW-Authenticate without a known token, 403 to a foreign Origin, and 405 to GET and DELETE', async () => {
    h = await start();
    const init = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'curl', version: '1' } },
    });
    const post = (headers: Record<string, string>) =>
      request(mcpUrl(), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: init,
      }).then(async (r) => ({ status: r.statusCode, headers: r.headers, body: await r.body.text() }));
    const none = await post({});
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
    const wrong = await post({ authorization: 'Bearer not-a-known-token-0000000000000000' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/);
    const foreign = await post({ authorization: `Bearer ${CLAUDE}`, origin: 'https://evil.example.com' });
    expect(foreign.status).toBe(403);
    const local = await post({ authorization: `Bearer ${CLAUDE}`, origin: `http://127.0.0.1:${h.bot.port}` });
    expect(local.status).toBe(200);
    expect(JSON.parse(local.body).result.protocolVersion).toBe('2025-11-25');
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await request(mcpUrl(), { method, headers: { authorization: `Bearer ${CLAUDE}` } });
      await res.body.text();
      expect(res.statusCode).toBe(405);
      expect(res.headers.allow).toBe('POST');
    }
    const denials = h.auditEvents().filter((e) => e.event === 'mcp_denied');
    expect(denials.map((e) => e.reason)).toEqual(['unauthenticated', 'unauthenticated', 'origin']);
    expect(JSON.stringify(h.log.lines())).not.toContain(CLAUDE);
  });

  it('takes a browser Origin MCP_ALLOWED_ORIGINS names', async () => {
    h = await start({ MCP_ALLOWED_ORIGINS: 'https://agents.example.com' });
    const transport = new StreamableHTTPClientTransport(mcpUrl(), {
      requestInit: { headers: { authorization: `Bearer ${CLAUDE}`, origin: 'https://agents.example.com' } },
    });
    const client = new Client({ name: 'browser-agent', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    expect((await client.listTools()).tools).toHaveLength(6);
  });
});
