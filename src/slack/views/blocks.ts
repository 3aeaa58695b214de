import type { CampaignAction } from '../../core/actions.ts';
import { USER_ID_PATTERN } from '../../core/ids.ts';
import { quoteUserText } from './mrkdwn.ts';

/** The pieces every Slack message of the bot is built of: Slack's size limits, the action words, sections. */

// Slack limits (field notes): a section's text ≤ 3,000 chars, ≤ 50 blocks, and `msg_blocks_too_long` reported
// from about 11,300 characters of block text in all (bolt-js#2509). Stay well inside: 8,000 a reply.
export const SECTION_CHARS = 2_900;
export const MESSAGE_CHARS = 8_000;
export const MESSAGE_BLOCKS = 40;

export type Block = Record<string, unknown>;
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

export const VERB: Record<CampaignAction, { base: string; past: string; icon: string; already: string }> = {
  PAUSE: { base: 'Pause', past: 'paused', icon: ':double_vertical_bar:', already: 'already paused' },
  RESUME: { base: 'Resume', past: 'resumed', icon: ':arrow_forward:', already: 'already active' },
  STOP: { base: 'Stop', past: 'stopped', icon: ':octagonal_sign:', already: 'already stopped' },
};

/** A Slack user mention, only for something shaped like a user id; anything else is shown as escaped text. */
export function mention(userId: string): string {
  return USER_ID_PATTERN.test(userId) ? `<@${userId}>` : quoteUserText(userId, 40);
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A button carrying a value (a request id), optionally styled or with more fields (a confirm dialog). */
export function button(actionId: string, text: string, value: string, more: Block = {}): Block {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text }, value, ...more };
}

export function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}
export function context(text: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}

/** Packs items into sections of at most `max` chars, joined by `separator` (a single over-long item is cut). */
export function packLines(lines: readonly string[], max = SECTION_CHARS, separator = '\n'): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = raw.length > max ? `${raw.slice(0, max - 1)}…` : raw;
    if (current && current.length + separator.length + line.length > max) {
      out.push(current);
      current = line;
    } else {
      current = current ? `${current}${separator}${line}` : line;
    }
  }
  if (current) out.push(current);
  return out;
}
