import type { SlackBlock } from './types.ts';
import { isRecord } from './util.ts';

/**
 * What Slack checks in a modal (views.open, views.update, views.push, a submission's `response_action`) and in
 * the options an app answers to an options request, with Slack's limits: a title, submit and close of at most 24
 * characters (a submit is required once the modal holds an input block), 100 blocks with unique block ids,
 * `callback_id` and `external_id` 255, `private_metadata` 3,000, 250 kB in all; an input's label 2,000; a select's
 * options and initial options full option objects (text 75, value 150, description 75) and at most 100 of them;
 * checkboxes 1 to 10 options.
 * Problems read as Slack writes them in `response_metadata.messages`: `[ERROR] … [json-pointer:/view/…]`.
 */
export const VIEW_MAX_BYTES = 250_000;
export const MAX_OPTIONS = 100;
const MAX_CHECKBOXES = 10;

const SELECTS = new Set([
  'static_select',
  'multi_static_select',
  'external_select',
  'multi_external_select',
  'users_select',
  'multi_users_select',
  'conversations_select',
  'multi_conversations_select',
  'channels_select',
  'multi_channels_select',
]);
export const EXTERNAL_SELECTS = new Set(['external_select', 'multi_external_select']);

export function viewProblems(view: unknown): string[] {
  const problems: string[] = [];
  const at = (pointer: string, message: string) =>
    problems.push(`[ERROR] ${message} [json-pointer:/view${pointer}]`);
  if (!isRecord(view)) return ['[ERROR] view must be a JSON object [json-pointer:/view]'];
  if (view.type !== 'modal') at('/type', "must be 'modal'");
  plainText(view.title, 24, '/title', at, true);
  plainText(view.submit, 24, '/submit', at);
  plainText(view.close, 24, '/close', at);
  maxString(view.callback_id, 255, '/callback_id', at);
  maxString(view.external_id, 255, '/external_id', at);
  maxString(view.private_metadata, 3_000, '/private_metadata', at);
  const blocks = view.blocks;
  if (!Array.isArray(blocks)) {
    at('/blocks', 'must be an array');
    return problems;
  }
  if (blocks.length > 100) at('/blocks', 'must contain no more than 100 items');
  const blockIds = new Set<string>();
  blocks.forEach((block, i) => {
    const p = `/blocks/${i}`;
    if (!isRecord(block) || typeof block.type !== 'string') {
      at(p, 'must be a block object');
      return;
    }
    if (typeof block.block_id === 'string') {
      if (block.block_id.length > 255) at(`${p}/block_id`, 'must be less than 256 characters');
      if (blockIds.has(block.block_id)) at(`${p}/block_id`, `duplicate block_id ${block.block_id}`);
      blockIds.add(block.block_id);
    }
    blockProblems(block as SlackBlock, p, at);
  });
  if (view.submit === undefined && blocks.some((b) => isRecord(b) && b.type === 'input')) {
    at('/submit', 'must provide submit when an input block is present');
  }
  return problems;
}

type At = (pointer: string, message: string) => void;

function blockProblems(block: SlackBlock, p: string, at: At): void {
  switch (block.type) {
    case 'input':
      plainText(block.label, 2_000, `${p}/label`, at, true);
      if (!isRecord(block.element) || typeof block.element.type !== 'string') {
        at(`${p}/element`, 'must be an element object');
        return;
      }
      elementProblems(block.element, `${p}/element`, at);
      return;
    case 'section':
      if (block.text !== undefined) anyText(block.text, 3_000, `${p}/text`, at);
      if (isRecord(block.accessory)) elementProblems(block.accessory, `${p}/accessory`, at);
      return;
    case 'actions': {
      const elements = block.elements;
      if (!Array.isArray(elements) || elements.length === 0 || elements.length > 25) {
        at(`${p}/elements`, 'must contain between 1 and 25 items');
        return;
      }
      const ids = new Set<string>();
      elements.forEach((e, i) => {
        if (!isRecord(e)) {
          at(`${p}/elements/${i}`, 'must be an element object');
          return;
        }
        if (typeof e.action_id === 'string') {
          if (ids.has(e.action_id)) at(`${p}/elements/${i}/action_id`, `duplicate action_id ${e.action_id}`);
          ids.add(e.action_id);
        }
        elementProblems(e, `${p}/elements/${i}`, at);
      });
      return;
    }
    case 'context': {
      const elements = block.elements;
      if (!Array.isArray(elements) || elements.length === 0 || elements.length > 10)
        at(`${p}/elements`, 'must contain between 1 and 10 items');
      return;
    }
    case 'header':
      plainText(block.text, 150, `${p}/text`, at, true);
      return;
  }
}

function elementProblems(e: Record<string, unknown>, p: string, at: At): void {
  maxString(e.action_id, 255, `${p}/action_id`, at);
  if (e.type === 'button') {
    plainText(e.text, 75, `${p}/text`, at, true);
    maxString(e.value, 2_000, `${p}/value`, at);
    return;
  }
  if (e.type === 'plain_text_input') {
    if (e.max_length !== undefined && !(Number.isInteger(e.max_length) && (e.max_length as number) <= 3_000))
      at(`${p}/max_length`, 'must be a whole number no more than 3000');
    maxString(e.initial_value, 3_000, `${p}/initial_value`, at);
    plainText(e.placeholder, 150, `${p}/placeholder`, at);
    return;
  }
  if (e.type === 'checkboxes') {
    // Checkboxes: 1 to 10 options, each text (plain_text or mrkdwn) of at most 75.
    if (!Array.isArray(e.options) || e.options.length === 0 || e.options.length > MAX_CHECKBOXES)
      at(`${p}/options`, `must contain between 1 and ${MAX_CHECKBOXES} items`);
    else
      e.options.forEach((o, i) => {
        const q = `${p}/options/${i}`;
        if (!isRecord(o)) {
          at(q, 'must be an option object');
          return;
        }
        anyText(o.text, 75, `${q}/text`, at);
        if (typeof o.value !== 'string') at(`${q}/value`, 'must be a string');
        else maxString(o.value, 150, `${q}/value`, at);
      });
    if (e.initial_options !== undefined && !Array.isArray(e.initial_options))
      at(`${p}/initial_options`, 'must be an array');
    return;
  }
  if (typeof e.type !== 'string' || !SELECTS.has(e.type)) return;
  plainText(e.placeholder, 150, `${p}/placeholder`, at);
  if (EXTERNAL_SELECTS.has(e.type) && e.min_query_length !== undefined) {
    if (!Number.isInteger(e.min_query_length) || (e.min_query_length as number) < 0)
      at(`${p}/min_query_length`, 'must be a whole number from 0');
  }
  if (
    e.max_selected_items !== undefined &&
    !(Number.isInteger(e.max_selected_items) && (e.max_selected_items as number) >= 1)
  )
    at(`${p}/max_selected_items`, 'must be a whole number from 1');
  if (e.options !== undefined) optionListProblems(e.options, `${p}/options`, at);
  if (e.initial_option !== undefined) optionProblems(e.initial_option, `${p}/initial_option`, at);
  if (e.initial_options !== undefined) {
    optionListProblems(e.initial_options, `${p}/initial_options`, at);
    const max = e.max_selected_items;
    if (Array.isArray(e.initial_options) && typeof max === 'number' && e.initial_options.length > max)
      at(`${p}/initial_options`, `must contain no more than max_selected_items (${max}) items`);
  }
}

export function optionListProblems(list: unknown, p: string, at: At): void {
  if (!Array.isArray(list)) {
    at(p, 'must be an array');
    return;
  }
  if (list.length > MAX_OPTIONS) at(p, `must contain no more than ${MAX_OPTIONS} items`);
  list.forEach((o, i) => {
    optionProblems(o, `${p}/${i}`, at);
  });
}

/** An option in a select: `text` plain_text of at most 75, `value` at most 150, `description` at most 75. */
export function optionProblems(o: unknown, p: string, at: At): void {
  if (!isRecord(o)) {
    at(p, 'must be an option object');
    return;
  }
  plainText(o.text, 75, `${p}/text`, at, true);
  if (typeof o.value !== 'string') at(`${p}/value`, 'must be a string');
  else maxString(o.value, 150, `${p}/value`, at);
  plainText(o.description, 75, `${p}/description`, at);
}

/**
 * What Slack makes of an app's answer to an options request: `{options}` (at most 100) or `{option_groups}` (at
 * most 100 groups, each a label of 75 and at most 100 options). Anything else shows the person no options.
 */
export function optionsAnswerProblems(answer: unknown): string[] {
  const problems: string[] = [];
  const at = (pointer: string, message: string) =>
    problems.push(`[ERROR] ${message} [json-pointer:${pointer || '/'}]`);
  if (!isRecord(answer)) return ['[ERROR] the answer must be a JSON object [json-pointer:/]'];
  if (Array.isArray(answer.options)) optionListProblems(answer.options, '/options', at);
  else if (Array.isArray(answer.option_groups)) {
    if (answer.option_groups.length > MAX_OPTIONS)
      at('/option_groups', `must contain no more than ${MAX_OPTIONS} items`);
    answer.option_groups.forEach((g, i) => {
      if (!isRecord(g)) {
        at(`/option_groups/${i}`, 'must be an option group object');
        return;
      }
      plainText(g.label, 75, `/option_groups/${i}/label`, at, true);
      optionListProblems(g.options, `/option_groups/${i}/options`, at);
    });
  } else at('', 'must hold options or option_groups');
  return problems;
}

function plainText(t: unknown, max: number, p: string, at: At, required = false): void {
  if (t === undefined) {
    if (required) at(p, 'must be provided');
    return;
  }
  if (!isRecord(t) || t.type !== 'plain_text' || typeof t.text !== 'string') {
    at(p, "must be a text object of type 'plain_text'");
    return;
  }
  if (t.text.length === 0) at(`${p}/text`, 'must be at least 1 character');
  if (t.text.length > max) at(`${p}/text`, `must be less than ${max + 1} characters`);
}

function anyText(t: unknown, max: number, p: string, at: At): void {
  if (!isRecord(t) || (t.type !== 'plain_text' && t.type !== 'mrkdwn') || typeof t.text !== 'string') {
    at(p, 'must be a text object');
    return;
  }
  if (t.text.length > max) at(`${p}/text`, `must be less than ${max + 1} characters`);
}

function maxString(v: unknown, max: number, p: string, at: At): void {
  if (v === undefined) return;
  if (typeof v !== 'string') {
    at(p, 'must be a string');
    return;
  }
  if (v.length > max) at(p, `must be less than ${max + 1} characters`);
}
