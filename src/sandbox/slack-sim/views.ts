import { randomBytes } from 'node:crypto';
import { type Answer, fail } from './methods.ts';
import type { Triggers } from './triggers.ts';
import type { SimOption, SimView, SlackBlock, StateValue, ViewChange } from './types.ts';
import { APP_ID, isRecord, now, parseJson, str } from './util.ts';
import { EXTERNAL_SELECTS, VIEW_MAX_BYTES, viewProblems } from './view-checks.ts';

export type Views = ReturnType<typeof createViews>;

/** Slack's stack: a modal and at most two views pushed over it. */
const STACK_LIMIT = 3;

/**
 * Modals as Slack keeps them: views.open (a fresh trigger_id, once, within 3 s), views.push (a trigger from an
 * interaction inside the modal; at most 3 views stacked), views.update (by view_id or external_id; a stale
 * `hash` is a hash_conflict; the new view replaces the old whole, so an external_id it leaves out is gone — the
 * stricter reading of what Slack leaves unsaid), each view checked as Slack checks it (view-checks.ts). What a person enters
 * (`choose`, `type`) is the view's state, sent back in options requests and submissions.
 */
export function createViews(deps: { teamId: string; botId: string; triggers: Triggers }) {
  const { teamId, botId, triggers } = deps;
  const all = new Map<string, SimView>();
  const stacks = new Map<string, string[]>();
  let seq = 0;

  const invalid = (messages: string[]): Answer => ({
    status: 200,
    body: { ok: false, error: 'invalid_arguments', response_metadata: { messages } },
  });

  /** The view argument, parsed and checked, or Slack's refusal. */
  const checked = (
    raw: unknown,
  ): { ok: true; view: Record<string, unknown> } | { ok: false; answer: Answer } => {
    const view = typeof raw === 'string' ? parseJson(raw) : raw;
    if (view === undefined) return { ok: false, answer: invalid(['[ERROR] missing required field: view']) };
    if (JSON.stringify(view).length > VIEW_MAX_BYTES) return { ok: false, answer: fail('view_too_large') };
    const problems = viewProblems(view);
    if (problems.length > 0) return { ok: false, answer: invalid(problems) };
    return { ok: true, view: withBlockIds(view as Record<string, unknown>) };
  };

  const externalTaken = (externalId: unknown, except?: string) =>
    typeof externalId === 'string' &&
    externalId !== '' &&
    [...all.values()].some((v) => v.externalId === externalId && v.id !== except);

  const create = (view: Record<string, unknown>, userId: string, by: ViewChange, root?: string): SimView => {
    seq += 1;
    const id = `V${String(seq).padStart(4, '0')}${randomBytes(3).toString('hex').toUpperCase()}`;
    const rootViewId = root ?? id;
    const stack = stacks.get(rootViewId) ?? [];
    const at = now();
    const v: SimView = {
      id,
      userId,
      rootViewId,
      previousViewId: stack.at(-1) ?? null,
      externalId: str(view.external_id) || undefined,
      hash: newHash(),
      view,
      versions: [{ view, at, by }],
      values: initialValues(view),
      errors: undefined,
      openedAt: at,
    };
    all.set(id, v);
    stack.push(id);
    stacks.set(rootViewId, stack);
    return v;
  };

  const replace = (v: SimView, view: Record<string, unknown>, by: ViewChange) => {
    const kept = initialValues(view);
    for (const [blockId, actions] of Object.entries(kept)) {
      for (const actionId of Object.keys(actions)) {
        const before = v.values[blockId]?.[actionId];
        if (before && before.type === actions[actionId]?.type) actions[actionId] = before;
      }
    }
    v.view = view;
    v.values = kept;
    v.externalId = str(view.external_id) || undefined;
    v.hash = newHash();
    v.errors = undefined;
    v.versions.push({ view, at: now(), by });
  };

  const close = (v: SimView, by: NonNullable<SimView['closedBy']>) => {
    const stack = stacks.get(v.rootViewId) ?? [];
    const at = now();
    // Closing a view closes the ones pushed over it; `clear` closes the whole stack.
    const from = by === 'clear' ? 0 : Math.max(0, stack.indexOf(v.id));
    for (const id of stack.splice(from)) {
      const closing = all.get(id);
      if (closing && closing.closedAt === undefined) {
        closing.closedAt = at;
        closing.closedBy = by;
      }
    }
  };

  const ok = (v: SimView): Answer => ({ status: 200, body: { ok: true, view: viewJson(v, teamId, botId) } });

  const methods = {
    'views.open': (args: Record<string, unknown>): Answer => {
      const exchanged = triggers.exchange(str(args.trigger_id) ?? str(args.interactivity_pointer));
      if (!exchanged.ok) return fail(exchanged.error);
      const view = checked(args.view);
      if (!view.ok) return view.answer;
      if (externalTaken(view.view.external_id)) return fail('duplicate_external_id');
      return ok(create(view.view, exchanged.trigger.userId, 'views.open'));
    },
    'views.push': (args: Record<string, unknown>): Answer => {
      const exchanged = triggers.exchange(str(args.trigger_id) ?? str(args.interactivity_pointer));
      if (!exchanged.ok) return fail(exchanged.error);
      // Documented: push with a trigger from an interaction inside the open modal.
      const from = exchanged.trigger.viewId ? all.get(exchanged.trigger.viewId) : undefined;
      if (!from || from.closedAt !== undefined) return fail('not_found');
      const view = checked(args.view);
      if (!view.ok) return view.answer;
      if ((stacks.get(from.rootViewId) ?? []).length >= STACK_LIMIT) return fail('push_limit_reached');
      if (externalTaken(view.view.external_id)) return fail('duplicate_external_id');
      return ok(create(view.view, from.userId, 'views.push', from.rootViewId));
    },
    'views.update': (args: Record<string, unknown>): Answer => {
      const viewId = str(args.view_id);
      const externalId = str(args.external_id);
      if (!viewId && !externalId) return invalid(['[ERROR] missing required field: view_id or external_id']);
      const target = viewId
        ? all.get(viewId)
        : [...all.values()].find((v) => v.externalId === externalId && v.closedAt === undefined);
      if (!target || target.closedAt !== undefined) return fail('not_found');
      const hash = str(args.hash);
      if (hash !== undefined && hash !== target.hash) return fail('hash_conflict');
      const view = checked(args.view);
      if (!view.ok) return view.answer;
      if (externalTaken(view.view.external_id, target.id)) return fail('duplicate_external_id');
      replace(target, view.view, 'views.update');
      return ok(target);
    },
  };

  return {
    methods,
    get: (id: string) => all.get(id),
    list: (userId?: string) => [...all.values()].filter((v) => userId === undefined || v.userId === userId),
    /** The open view on top of `id`'s stack is the one a person sees and submits. */
    isTop: (v: SimView) => (stacks.get(v.rootViewId) ?? []).at(-1) === v.id,
    json: (v: SimView) => viewJson(v, teamId, botId),
    replace,
    close,
    push: (from: SimView, view: Record<string, unknown>): SimView | 'push_limit_reached' =>
      (stacks.get(from.rootViewId) ?? []).length >= STACK_LIMIT
        ? 'push_limit_reached'
        : create(view, from.userId, 'response_action:push', from.rootViewId),
    checked,
  };
}

/** A view as Slack answers it and sends it in payloads, with what the person entered as `state.values`. */
export function viewJson(v: SimView, teamId: string, botId: string): Record<string, unknown> {
  const view = v.view;
  return {
    id: v.id,
    team_id: teamId,
    type: 'modal',
    blocks: view.blocks,
    private_metadata: str(view.private_metadata) ?? '',
    callback_id: str(view.callback_id) ?? '',
    state: { values: structuredClone(v.values) },
    hash: v.hash,
    title: view.title,
    clear_on_close: view.clear_on_close === true,
    notify_on_close: view.notify_on_close === true,
    close: view.close ?? null,
    submit: view.submit ?? null,
    previous_view_id: v.previousViewId,
    root_view_id: v.rootViewId,
    app_id: APP_ID,
    external_id: v.externalId ?? '',
    app_installed_team_id: teamId,
    bot_id: botId,
  };
}

/** The open view a person is looking at, or a loud error for a test that asks for the impossible. */
export function visibleView(views: Views, viewId: string, what: string): SimView {
  const v = views.get(viewId);
  if (!v) throw new Error(`slack-sim: ${what}: no view ${viewId} was opened`);
  if (v.closedAt !== undefined)
    throw new Error(`slack-sim: ${what}: view ${viewId} is closed (${v.closedBy})`);
  if (!views.isTop(v)) throw new Error(`slack-sim: ${what}: view ${viewId} is under another view`);
  return v;
}

/** Where an element sits in a view: its block, and whether that block is an input (submitted with the view). */
export function findElement(
  view: Record<string, unknown>,
  actionId: string,
  blockId?: string,
): { blockId: string; element: Record<string, unknown>; input: boolean } | undefined {
  for (const block of (view.blocks as SlackBlock[] | undefined) ?? []) {
    if (blockId !== undefined && block.block_id !== blockId) continue;
    const elements = [
      ...(isRecord(block.element) ? [block.element] : []),
      ...(Array.isArray(block.elements) ? block.elements : []),
      ...(isRecord(block.accessory) ? [block.accessory] : []),
    ];
    for (const element of elements) {
      if (isRecord(element) && element.action_id === actionId)
        return { blockId: block.block_id as string, element, input: block.type === 'input' };
    }
  }
  return undefined;
}

/** The state a view starts with: each input's initial value, or its empty value, as Slack reports them. */
function initialValues(view: Record<string, unknown>): Record<string, Record<string, StateValue>> {
  const values: Record<string, Record<string, StateValue>> = {};
  for (const block of (view.blocks as SlackBlock[] | undefined) ?? []) {
    if (block.type !== 'input' || !isRecord(block.element)) continue;
    const e = block.element;
    const type = String(e.type);
    let value: StateValue;
    if (type === 'plain_text_input') value = { type, value: str(e.initial_value) ?? null };
    else if (type.startsWith('multi_') || type === 'checkboxes')
      value = { type, selected_options: (e.initial_options as SimOption[] | undefined) ?? [] };
    else if (EXTERNAL_SELECTS.has(type) || type === 'static_select')
      value = { type, selected_option: (e.initial_option as SimOption | undefined) ?? null };
    else value = { type };
    const actionId = str(e.action_id) ?? '';
    values[block.block_id as string] = { ...(values[block.block_id as string] ?? {}), [actionId]: value };
  }
  return values;
}

/** Slack gives every block without a block_id one of its own (state values are keyed by it). */
function withBlockIds(view: Record<string, unknown>): Record<string, unknown> {
  const blocks = view.blocks as SlackBlock[];
  if (blocks.every((b) => typeof b.block_id === 'string')) return view;
  return {
    ...view,
    blocks: blocks.map((b) =>
      typeof b.block_id === 'string' ? b : { ...b, block_id: randomBytes(3).toString('base64url') },
    ),
  };
}

function newHash(): string {
  return `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`;
}
