import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Outcome } from '../../../../src/core/outcomes.ts';
import type { CampaignActionRequest } from '../../../../src/core/request.ts';
import { originAllowed } from '../../../../src/doors/mcp/access.ts';
import { mcpRoutes } from '../../../../src/doors/mcp/door.ts';
import { type RunningHttpServer, startHttpServer } from '../../../../src/http/server.ts';
import type { Lifecycle, ProposeInput, ProposeOptions } from '../../../../src/lifecycle/contract.ts';
import { memoryLogger } from '../../../support/fixtures.ts';
import { strict } from '../../../support/strict.ts';

/**
 * The agent door alone, over a strict fake lifecycle, behind the bot's own HTTP server and called by the MCP SDK's
 * client: what each tool asks the lifecycle, and how each answer becomes a tool result or a tool error.
 */

const TOKEN = 'mcp-unit-token-0123456789abcdef0123456789ab';
const NOW = Date.UTC(2026, 0, 1);

function pending(over: Partial<CampaignActionRequest> = {}): CampaignActionRequest {
  return {
    id: 'req-0001-abcd',
    action: 'PAUSE',
    campaignIds: ['c1', 'c2'],
    reason: 'INC-42',
    requestedBy: 'agent:claude',
    channelId: 'CINC',
    source: 'mcp',
    grants: [{ rule: 'oncall', needed: 1, requesterMayApprove: true }],
    approvals: [],
    createdAt: NOW,
    expiresAt: NOW + 600_000,
    messageTs: '1767225600.000100',
    state: 'pending',
    decidedBy: undefined,
    decidedAt: undefined,
    ...over,
  };
}

let server: RunningHttpServer | undefined;
let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

async function door(lifecycle: Partial<Lifecycle>) {
  const log = memoryLogger('debug');
  const mcp = mcpRoutes(strict<Lifecycle>('lifecycle', lifecycle), {
    tokens: [{ name: 'claude', token: TOKEN }],
    allowedOrigins: [],
    logger: log.logger,
    now: () => NOW,
  });
  if (!mcp.routes.mcp || !mcp.preauth) throw new Error('the door is off with a token given');
  server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    logger: log.logger,
    routes: [
      { method: 'POST', path: '/mcp', bodyLimit: 16_384, preauth: mcp.preauth, handler: mcp.routes.mcp },
    ],
  });
  client = new Client({ name: 'unit', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${server.port}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
    }),
  );
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = await (client as Client).callTool({ name, arguments: args });
    return {
      isError: result.isError === true,
      // biome-ignore lint/suspicious/noExplicitAny: the answers are read field by field, as JSON.
      data: result.structuredContent as Record<string, any>,
      text: (result.content as { text?: string }[]).map((c) => c.text ?? '').join(''),
    };
  };
  return { call, log };
}

/** A door whose lifecycle answers every proposal with `outcome`, recording what it was asked. */
async function proposing(outcome: Outcome) {
  const asked: [ProposeInput, ProposeOptions | undefined][] = [];
  const d = await door({
    propose: async (input, options) => {
      asked.push([input, options]);
      return outcome;
    },
  });
  return { ...d, asked };
}

const ASK = { action: 'PAUSE', channel_id: 'CINC', reason: 'INC-42' };

describe('the agent door over a strict fake lifecycle', () => {
  it('proposes as the agent, its names as quoted tokens, with whom it acts for, its incident and its schedule', async () => {
    const { call, asked } = await proposing({ kind: 'proposed', request: pending() });
    const res = await call('request_campaign_action', {
      ...ASK,
      campaign_ids: ['c1'],
      names: ['Black "Friday" push'],
      on_behalf_of: 'UALICE',
      incident: { id: 'INC-42', url: 'https://status.example.com/INC-42' },
      pause_for: '2h',
    });
    expect(asked).toEqual([
      [
        {
          actor: { kind: 'agent', name: 'claude' },
          action: 'PAUSE',
          ids: ['c1', '"Black Friday push"'],
          reason: 'INC-42',
          channelId: 'CINC',
          origin: {
            kind: 'mcp',
            onBehalfOf: 'UALICE',
            incident: { id: 'INC-42', url: 'https://status.example.com/INC-42' },
          },
          schedule: { ms: 2 * 3_600_000, text: 'for 2h' },
        },
        { dryRun: false },
      ],
    ]);
    expect(res.isError).toBe(false);
    expect(res.data).toEqual({
      request_id: 'req-0001-abcd',
      status: 'awaiting_approval',
      approval_url: 'https://slack.com/archives/CINC/p1767225600000100',
      approvals_needed: 1,
      campaign_ids: ['c1', 'c2'],
      expires_at: new Date(NOW + 600_000).toISOString(),
    });
    expect(JSON.parse(res.text)).toEqual(res.data);
  });

  it('takes a group alone, and refuses a group beside ids, or nothing to act on, without asking the lifecycle', async () => {
    const { call, asked } = await proposing({ kind: 'proposed', request: pending() });
    await call('request_campaign_action', { ...ASK, group: 'black-friday' });
    expect(asked[0]?.[0].ids).toEqual(['group:black-friday']);
    for (const args of [{ ...ASK, group: 'x', campaign_ids: ['c1'] }, ASK]) {
      const res = await call('request_campaign_action', args);
      expect(res.isError).toBe(true);
      expect(res.data.error.code).toBe('invalid_request');
    }
    const bad = await call('request_campaign_action', { ...ASK, campaign_ids: ['c1'], pause_for: 'soon' });
    expect(bad.data.error).toMatchObject({ code: 'invalid_request', field: 'pause_for' });
    expect(asked).toHaveLength(1);
  });

  it.each([
    [
      { kind: 'denied', step: 'propose', part: 'action', action: 'STOP' },
      { code: 'forbidden', failed: 'action' },
    ],
    [
      { kind: 'denied', step: 'propose', part: 'channel' },
      { code: 'forbidden', failed: 'channel', field: 'channel_id' },
    ],
    [
      { kind: 'invalid_input', field: 'reason', message: 'give a reason' },
      { code: 'invalid_request', field: 'reason' },
    ],
    [{ kind: 'not_in_channel' }, { code: 'not_in_channel', field: 'channel_id' }],
    [{ kind: 'unavailable', what: 'store' }, { code: 'store_error' }],
  ] as [Outcome, object][])(
    'answers %j as a tool error with the rule that failed',
    async (outcome, error) => {
      const { call } = await proposing(outcome);
      const res = await call('request_campaign_action', { ...ASK, campaign_ids: ['c1'] });
      expect(res.isError).toBe(true);
      expect(res.data.error).toMatchObject(error);
      expect(res.text).toBe(res.data.error.message);
    },
  );

  it('lists the campaigns a name matches when it matches several, and proposes nothing', async () => {
    const entry = { id: 'c9', name: 'Black Friday push EU', status: 'ACTIVE', channel: 'PUSH', seenAt: 0 };
    const { call } = await proposing({
      kind: 'choose_campaigns',
      choices: [{ query: 'black friday', candidates: [entry, { ...entry, id: 'c8' }], more: false }],
      missing: [],
    });
    const res = await call('request_campaign_action', { ...ASK, names: ['black friday'] });
    expect(res.data.error).toMatchObject({ code: 'ambiguous_name' });
    expect(res.data.error.choices[0].candidates.map((c: { id: string }) => c.id)).toEqual(['c9', 'c8']);
  });

  it('answers a dry run with what would be proposed', async () => {
    const { call, asked } = await proposing({ kind: 'dry_run', request: pending({ messageTs: undefined }) });
    const res = await call('request_campaign_action', { ...ASK, campaign_ids: ['c1'], dry_run: true });
    expect(asked[0]?.[1]).toEqual({ dryRun: true });
    expect(res.data).toMatchObject({
      status: 'dry_run',
      would_propose: { action: 'PAUSE', campaign_ids: ['c1', 'c2'] },
    });
  });

  it('waits for a request to settle when asked, through the server’s bounded wait', async () => {
    const done = pending({
      state: 'confirmed',
      decidedBy: 'UBOB',
      result: {
        applied: 2,
        failed: 0,
        completedAt: NOW + 1_000,
        outcomes: [
          { campaignId: 'c1', status: 'applied' },
          { campaignId: 'c2', status: 'applied' },
        ],
      },
    });
    const waits: number[] = [];
    const { call } = await door({
      read: async (id, actor) => {
        expect([id, actor]).toEqual(['req-0001-abcd', { kind: 'agent', name: 'claude' }]);
        return { kind: 'request', request: pending() };
      },
      settled: async (_id, ms) => {
        waits.push(ms);
        return done;
      },
    });
    const res = await call('get_request', { request_id: 'req-0001-abcd', wait_seconds: 20 });
    expect(waits).toEqual([20_000]);
    expect(res.data).toMatchObject({ status: 'completed', settled: true, decided_by: 'UBOB' });
    expect(res.data.result.outcomes).toEqual([
      { campaign_id: 'c1', status: 'applied' },
      { campaign_id: 'c2', status: 'applied' },
    ]);
    const tooLong = await call('get_request', { request_id: 'req-0001-abcd', wait_seconds: 26 });
    expect(tooLong.isError).toBe(true);
    expect(waits).toHaveLength(1);
  });

  it('says "no such request" alike for one that is not there and one the agent may not read', async () => {
    const { call } = await door({ read: async () => ({ kind: 'not_found' }) });
    const res = await call('get_request', { request_id: 'req-0001-abcd' });
    expect(res.data.error).toMatchObject({ code: 'not_found' });
  });

  it('answers a failure on our side as a tool error that tells nothing of it, and logs it', async () => {
    const { call, log } = await door({
      findCampaigns: async () => {
        throw new Error('redis: connection refused at 10.0.0.7');
      },
    });
    const res = await call('find_campaigns', { query: 'black friday', channel_id: 'CINC' });
    expect(res.isError).toBe(true);
    expect(res.data.error.code).toBe('internal');
    expect(res.text).not.toContain('redis');
    expect(log.lines().find((l) => l.msg === 'MCP tool failed')).toMatchObject({ tool: 'find_campaigns' });
    expect(log.lines().find((l) => l.event === 'mcp_call')).toMatchObject({
      agent: 'claude',
      tool: 'find_campaigns',
      outcome: 'internal',
    });
  });

  it('is off without MCP_TOKENS', () => {
    const off = mcpRoutes(strict<Lifecycle>('lifecycle', {}), {
      tokens: [],
      allowedOrigins: [],
      logger: memoryLogger().logger,
    });
    expect(off).toEqual({ routes: {} });
  });
});

describe('the Origins the agent door takes', () => {
  it.each([
    ['http://localhost:6274', true],
    ['http://127.0.0.1:3000', true],
    ['https://[::1]', true],
    ['https://agents.example.com', true],
    ['HTTPS://AGENTS.EXAMPLE.COM', true],
    ['https://evil.example.com', false],
    ['http://localhost.evil.example.com', false],
    ['null', false],
    ['file://', false],
  ])('%s: %s', (origin, taken) => {
    expect(originAllowed(origin, new Set(['https://agents.example.com']))).toBe(taken);
  });
});
