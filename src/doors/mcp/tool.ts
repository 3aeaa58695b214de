import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ShapeOutput, ZodRawShapeCompat } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { Actor } from '../../core/access.ts';
import type { BufferedRequest } from '../../http/routes.ts';
import type { Lifecycle } from '../../lifecycle/contract.ts';
import type { WaitGate } from '../http/kit/waits.ts';
import { failed } from './results.ts';

/** One call to the door: the agent its token names (as the policy's actor), and the HTTP request it came in. */
export interface ToolCall {
  agent: string;
  actor: Actor & { kind: 'agent' };
  /** For a long wait the server may cut short when it needs the socket (`req.waiting`). */
  req: BufferedRequest;
}

/**
 * A tool as the door offers it: its name (the contract agents are written against), what it says of itself, its
 * input (zod, validated by the SDK before `run`; a bad one is a tool error naming the field), its output's shape
 * where it has a fixed one, and the hints clients show (hints only: safety is the lifecycle's, never the client's).
 */
export interface ToolDefinition<S extends ZodRawShapeCompat> {
  name: string;
  title: string;
  description: string;
  input: S;
  output?: ZodRawShapeCompat;
  annotations: ToolAnnotations;
  run(args: ShapeOutput<S>, call: ToolCall): Promise<CallToolResult>;
}

export interface Tool {
  name: string;
  register(server: McpServer, call: ToolCall): void;
}

/**
 * A tool with the door's boundary around it: whatever fails on our side is a tool error that tells nothing of the
 * failure (the error itself only logged), and every call is audited with the agent, the tool, what it said it was
 * for (reason, incident, on whose behalf) and how it ended.
 */
export function defineTool<S extends ZodRawShapeCompat>(def: ToolDefinition<S>, logger: Logger): Tool {
  const audit = logger.child({ module: 'audit' });
  const log = logger.child({ module: 'mcp' });
  return {
    name: def.name,
    register(server, call) {
      const config = {
        title: def.title,
        description: def.description,
        inputSchema: def.input,
        ...(def.output ? { outputSchema: def.output } : {}),
        annotations: { title: def.title, ...def.annotations },
      };
      const run = async (args: ShapeOutput<S>): Promise<CallToolResult> => {
        let result: CallToolResult;
        try {
          result = await def.run(args, call);
        } catch (error) {
          log.error({ agent: call.agent, tool: def.name, err: String(error) }, 'MCP tool failed');
          result = failed('internal', 'Something went wrong on our side; try again in a moment.');
        }
        audit.info({ event: 'mcp_call', agent: call.agent, tool: def.name, ...audited(args, result) });
        return result;
      };
      // The SDK types the callback from the schema it is given; ours is generic here, so it is told.
      server.registerTool(def.name, config, run as unknown as Parameters<McpServer['registerTool']>[2]);
    },
  };
}

/**
 * What the audit line keeps of a call: what it was for and about, never a whole payload (a list of ids is
 * counted). `outcome` is `ok` or the refusal's code.
 */
function audited(args: Record<string, unknown>, result: CallToolResult) {
  const data = (result.structuredContent ?? {}) as { error?: { code?: string }; request_id?: string };
  const pick = (k: string) => (args[k] === undefined ? {} : { [k]: args[k] });
  const ids = args.campaign_ids;
  return {
    ...pick('channel_id'),
    ...pick('action'),
    ...pick('reason'),
    ...pick('incident'),
    ...pick('on_behalf_of'),
    ...pick('group'),
    ...pick('dry_run'),
    ...(Array.isArray(ids) ? { campaigns: ids.length } : {}),
    ...(Array.isArray(args.names) ? { names: args.names.length } : {}),
    ...(args.request_id !== undefined || data.request_id !== undefined
      ? { requestId: args.request_id ?? data.request_id }
      : {}),
    outcome: result.isError ? (data.error?.code ?? 'error') : 'ok',
  };
}

/** What the tools work with: the lifecycle (every read and proposal goes through it), the clock, the wait gate. */
export interface ToolDeps {
  lifecycle: Pick<
    Lifecycle,
    'propose' | 'read' | 'settled' | 'findCampaigns' | 'status' | 'history' | 'freezes'
  >;
  logger: Logger;
  now: () => number;
  /** TIME_ZONE, for the schedule of a pause for a while. */
  timeZone?: string;
  /** Long waits (`get_request`'s `wait_seconds`) at once, per agent and in all. */
  gate: WaitGate;
}
