import type { Logger } from 'pino';
import type { Preauth } from '../../http/routes.ts';
import { createWaitGate, type WaitLimits } from '../http/kit/waits.ts';
import { type AgentAccessOptions, createAgentAccess } from './access.ts';
import { createEndpoint } from './endpoint.ts';
import { readTools } from './reads.ts';
import { requestTools } from './request.ts';
import type { ToolDeps } from './tool.ts';

/**
 * The agent door: AI agents (MCP clients) find campaigns, propose changes and follow them, through the lifecycle
 * like every door; people approve in Slack. Its tools, by the names agents call (the contract):
 *
 *   find_campaigns, get_campaigns, list_freezes, history   (reads.ts: read only)
 *   request_campaign_action, get_request                    (request.ts)
 */
export interface McpDoor {
  /** `POST /mcp`, by its name in src/routes.ts; none without MCP_TOKENS. */
  routes: { mcp?: ReturnType<typeof createEndpoint> };
  /** Its Origin and bearer check on the headers, before a body is read (routes.ts: `preauth: 'agent'`). */
  preauth?: Preauth;
}

export interface McpDoorConfig extends Omit<AgentAccessOptions, 'logger'> {
  logger: Logger;
  now?: () => number;
  timeZone?: string;
  /** Long waits at once, per agent and in all (doors/http/kit/waits.ts has the defaults). */
  waitLimits?: WaitLimits;
}

/** The agent door's route over the lifecycle, from its part of the config (MCP_TOKENS, MCP_ALLOWED_ORIGINS). */
export function mcpRoutes(lifecycle: ToolDeps['lifecycle'], config: McpDoorConfig): McpDoor {
  if (config.tokens.length === 0 && config.openAgent === undefined) return { routes: {} };
  const deps: ToolDeps = {
    lifecycle,
    logger: config.logger,
    now: config.now ?? Date.now,
    ...(config.timeZone ? { timeZone: config.timeZone } : {}),
    gate: createWaitGate(config.waitLimits),
  };
  const access = createAgentAccess(config);
  const tools = [...readTools(deps), ...requestTools(deps)];
  return {
    routes: { mcp: createEndpoint({ access, tools, logger: config.logger }) },
    preauth: access.preauth,
  };
}
