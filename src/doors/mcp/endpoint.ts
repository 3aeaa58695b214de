import type { ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Logger } from 'pino';
import { sendJson } from '../../http/reply.ts';
import type { BufferedRequest } from '../../http/routes.ts';
import type { AgentAccess } from './access.ts';
import type { Tool } from './tool.ts';

/**
 * The version of the door's tools, as `initialize` reports it: the tool names and their fields are the contract
 * agents are written against; this changes when they do.
 */
const SERVER_INFO = {
  name: 'campaign-bot',
  title: 'Campaign bot: approval-gated MoEngage changes',
  version: '1',
};

const INSTRUCTIONS =
  'Finds MoEngage campaigns and asks people to pause, resume or stop them. Nothing you request reaches MoEngage until the people the access policy names approve it in Slack; you cannot approve, nor can the person you act for. Always pass the Slack channel_id you were given. find_campaigns → request_campaign_action (with a reason, and the incident) → get_request with wait_seconds until it is settled.';

/**
 * `POST /mcp`: each JSON-RPC message through the SDK's Streamable HTTP transport, a server and a transport per
 * request and no session, so any replica answers any message (the state is the lifecycle's, in the shared store).
 * Answers are one JSON object (no event stream to hold open). The server has read the body within its limit and
 * checked the Origin and the token (access.ts); the agent is read from the token again here.
 */
export function createEndpoint(deps: { access: AgentAccess; tools: readonly Tool[]; logger: Logger }) {
  const log = deps.logger.child({ module: 'mcp' });
  return async function mcp(req: BufferedRequest, res: ServerResponse): Promise<void> {
    const who = deps.access.agentOf(req.headers);
    if (!who.ok) return sendJson(req, res, 401, rpcError(-32001, 'unauthorized'));
    let message: unknown;
    try {
      message = JSON.parse(req.rawBody.toString('utf8'));
    } catch {
      return sendJson(req, res, 400, rpcError(-32700, 'Parse error: the body is not JSON'));
    }
    const server = new McpServer(SERVER_INFO, { instructions: INSTRUCTIONS });
    const call = { agent: who.name, actor: { kind: 'agent' as const, name: who.name }, req };
    for (const tool of deps.tools) tool.register(server, call);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.once('close', () => {
      void server.close().catch(() => {});
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, message);
    } catch (error) {
      log.error({ agent: who.name, err: String(error) }, 'MCP request failed');
      sendJson(req, res, 500, rpcError(-32603, 'Internal error'));
    }
  };
}

function rpcError(code: number, message: string) {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}
