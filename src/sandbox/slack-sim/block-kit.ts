import type { SlackBlock } from './types.ts';
import { isRecord } from './util.ts';

/**
 * Block Kit's limits as Slack enforces them on chat.postMessage / chat.update, so a message the bot builds past
 * them fails here as it would in Slack: at most 50 blocks; a section's text at most 3,000 characters; a context at
 * most 10 elements; a button's text 75, its value 2,000, an action_id 255; a confirm dialog's title, confirm and
 * deny plain_text (100, 30, 30) and its text plain_text (300) — mrkdwn there is refused. And, undocumented but
 * reported (bolt-js#2509, one report at 11,341), `msg_blocks_too_long` once the blocks' text passes about 11,000
 * characters in all: the simulator refuses at 11,000, the stricter side.
 */
export const MAX_BLOCK_TEXT = 11_000;

export function blockKitError(
  blocks: readonly SlackBlock[],
  /** 50 on a message; a Home tab's view takes 100. */
  maxBlocks = 50,
): 'invalid_blocks' | 'msg_blocks_too_long' | undefined {
  if (blocks.length > maxBlocks) return 'invalid_blocks';
  let total = 0;
  const textOf = (t: unknown, max: number, plainOnly = false): boolean => {
    if (!isRecord(t) || typeof t.text !== 'string') return false;
    if (plainOnly && t.type !== 'plain_text') return false;
    if (t.type !== 'plain_text' && t.type !== 'mrkdwn') return false;
    total += t.text.length;
    return t.text.length <= max;
  };
  for (const block of blocks) {
    if (block.type === 'section') {
      if (block.text !== undefined && !textOf(block.text, 3_000)) return 'invalid_blocks';
    } else if (block.type === 'context') {
      const elements = block.elements;
      if (!Array.isArray(elements) || elements.length === 0 || elements.length > 10) return 'invalid_blocks';
      for (const e of elements) if (!textOf(e, 3_000)) return 'invalid_blocks';
    } else if (block.type === 'actions') {
      const elements = block.elements;
      if (!Array.isArray(elements) || elements.length === 0 || elements.length > 25) return 'invalid_blocks';
      for (const e of elements) {
        if (!isRecord(e) || e.type !== 'button') return 'invalid_blocks';
        if (!textOf(e.text, 75, true)) return 'invalid_blocks';
        if (typeof e.action_id === 'string' && e.action_id.length > 255) return 'invalid_blocks';
        if (typeof e.value === 'string' && e.value.length > 2_000) return 'invalid_blocks';
        if (e.confirm !== undefined) {
          const c = e.confirm;
          if (!isRecord(c)) return 'invalid_blocks';
          if (!textOf(c.title, 100, true) || !textOf(c.text, 300, true)) return 'invalid_blocks';
          if (!textOf(c.confirm, 30, true) || !textOf(c.deny, 30, true)) return 'invalid_blocks';
        }
      }
    }
  }
  return total > MAX_BLOCK_TEXT ? 'msg_blocks_too_long' : undefined;
}
