import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { CatalogEntry } from '../../core/catalog.ts';
import { plainWords } from '../../core/outcome-words.ts';
import type { Outcome } from '../../core/outcomes.ts';
import { problemFor } from '../http/kit/problem.ts';

/**
 * What a tool answers, in MCP's terms: the data as `structuredContent`, and the same as JSON text for clients that
 * read only text (the spec asks for both). A refusal is a tool result with `isError`: the agent reads why, in words
 * and as data, and may try otherwise; a protocol error would say nothing it can act on.
 */
export function answer(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
}

/**
 * The lifecycle's refusal as a tool error: its words (core/outcome-words.ts, the same every door says) and the
 * problem the HTTP doors answer (`code`, `message`, `field`), with the part of the policy that failed (`failed`).
 */
export function refused(o: Outcome): CallToolResult {
  const words = plainWords(o);
  const error = (problemFor(o).body as { error: Record<string, unknown> }).error;
  return toolError({ ...error, message: words, ...(o.kind === 'denied' ? { failed: o.part } : {}) });
}

/** A tool error of the door's own (a field the lifecycle never sees, a part of the bot that is off). */
export function failed(code: string, message: string, field?: string): CallToolResult {
  return toolError({ code, message, ...(field ? { field } : {}) });
}

function toolError(error: Record<string, unknown> & { message: string }): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: error.message }], structuredContent: { error } };
}

/** A campaign as the catalog or MoEngage's search knows it, in the tools' words. */
export function campaignView(
  e: Pick<CatalogEntry, 'id' | 'name' | 'status' | 'channel' | 'deliveryType' | 'flow'>,
) {
  return {
    id: e.id,
    name: e.name,
    status: e.status,
    channel: e.channel ?? null,
    delivery_type: e.deliveryType ?? null,
    flow: e.flow ? { id: e.flow.id, name: e.flow.name ?? null } : null,
  };
}
