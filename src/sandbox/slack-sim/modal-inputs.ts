import type { InteractionKit } from './interaction-kit.ts';
import type { OptionsRequestRecord, SimOption, SimView, SlackSim } from './types.ts';
import { APP_ID, isRecord, now, TEAM_DOMAIN, VERIFICATION_TOKEN } from './util.ts';
import { EXTERNAL_SELECTS, optionsAnswerProblems } from './view-checks.ts';
import { findElement, visibleView } from './views.ts';

/** Slack's default `min_query_length` for an external select. */
const MIN_QUERY_LENGTH = 3;

/**
 * A person in an open modal: typing into an external select (the `block_suggestion` options request, answered
 * within 3 s or failed), picking only options the bot offered, typing text, closing the modal.
 */
export function createModalInputs(kit: InteractionKit) {
  const { teamId, views, user, deliver } = kit;
  const optionsRequests: OptionsRequestRecord[] = [];
  // What each view's selects offered the person: view id → `${block}\0${action}` → value → option.
  const offered = new Map<string, Map<string, Map<string, SimOption>>>();

  const offeredIn = (viewId: string, blockId: string, actionId: string) => {
    const byView = offered.get(viewId) ?? new Map<string, Map<string, SimOption>>();
    offered.set(viewId, byView);
    const key = `${blockId}\u0000${actionId}`;
    const list = byView.get(key) ?? new Map<string, SimOption>();
    byView.set(key, list);
    return list;
  };

  const visible = (viewId: string, what: string) => visibleView(views, viewId, what);

  const element = (v: SimView, actionId: string, blockId: string | undefined, what: string) => {
    const found = findElement(v.view, actionId, blockId);
    if (!found) throw new Error(`slack-sim: ${what}: view ${v.id} has no element ${actionId}`);
    return found;
  };

  const requestOptions: SlackSim['requestOptions'] = async (botUrl, args, sign) => {
    const v = visible(args.viewId, 'requestOptions');
    const { blockId, element: e } = element(v, args.actionId, args.blockId, 'requestOptions');
    if (!EXTERNAL_SELECTS.has(String(e.type)))
      throw new Error(
        `slack-sim: requestOptions: ${args.actionId} is a ${String(e.type)}, not an external select`,
      );
    const min = typeof e.min_query_length === 'number' ? e.min_query_length : MIN_QUERY_LENGTH;
    if (args.value.length < min) {
      throw new Error(
        `slack-sim: Slack sends no options request for "${args.value}": ${args.actionId}'s min_query_length is ${min}`,
      );
    }
    const userId = args.userId ?? v.userId;
    const payload = {
      type: 'block_suggestion',
      user: user(userId),
      container: { type: 'view', view_id: v.id },
      api_app_id: APP_ID,
      token: VERIFICATION_TOKEN,
      action_id: args.actionId,
      block_id: blockId,
      value: args.value,
      team: { id: teamId, domain: TEAM_DOMAIN },
      enterprise: null,
      is_enterprise_install: false,
      view: views.json(v),
    };
    const at = now();
    const res = await deliver(botUrl, payload, sign);
    const record: OptionsRequestRecord = {
      viewId: v.id,
      userId,
      actionId: args.actionId,
      blockId,
      value: args.value,
      at,
      ms: res.ms,
      verdict: 'answered',
      options: [],
    };
    if (res.dispatchFailed) record.verdict = 'dispatch_failed';
    else if (res.timedOut) record.verdict = 'timed_out';
    else if (res.status !== 200) record.verdict = 'http_error';
    else {
      const problems = optionsAnswerProblems(res.json);
      if (problems.length > 0) {
        record.verdict = 'invalid';
        record.problems = problems;
      } else {
        const answer = res.json as { options?: SimOption[]; option_groups?: { options: SimOption[] }[] };
        record.options = answer.options ?? (answer.option_groups ?? []).flatMap((g) => g.options);
        const list = offeredIn(v.id, blockId, args.actionId);
        for (const o of record.options) list.set(o.value, o);
      }
    }
    optionsRequests.push(record);
    return { ...res, ...record };
  };

  const chooseOptions: SlackSim['chooseOptions'] = (viewId, args) => {
    const v = visible(viewId, 'chooseOptions');
    const { blockId, element: e } = element(v, args.actionId, args.blockId, 'chooseOptions');
    const type = String(e.type);
    const choices = new Map(offeredIn(v.id, blockId, args.actionId));
    const listed = [
      ...((e.options as SimOption[] | undefined) ?? []),
      ...((e.option_groups as { options: SimOption[] }[] | undefined) ?? []).flatMap((g) => g.options),
      ...((e.initial_options as SimOption[] | undefined) ?? []),
      ...(isRecord(e.initial_option) ? [e.initial_option as unknown as SimOption] : []),
    ];
    for (const o of listed) choices.set(o.value, o);
    const picked = args.values.map((value) => {
      const option = choices.get(value);
      if (!option) throw new Error(`slack-sim: chooseOptions: ${args.actionId} never offered "${value}"`);
      return option;
    });
    const multi = type.startsWith('multi_') || type === 'checkboxes';
    if (!multi && picked.length > 1)
      throw new Error(`slack-sim: chooseOptions: ${args.actionId} takes one option`);
    const max = typeof e.max_selected_items === 'number' ? e.max_selected_items : Number.POSITIVE_INFINITY;
    if (picked.length > max)
      throw new Error(`slack-sim: chooseOptions: ${args.actionId} takes at most ${max}`);
    v.values[blockId] = {
      ...(v.values[blockId] ?? {}),
      [args.actionId]: multi
        ? { type, selected_options: picked }
        : { type, selected_option: picked[0] ?? null },
    };
  };

  const typeInput: SlackSim['typeInput'] = (viewId, args) => {
    const v = visible(viewId, 'typeInput');
    const { blockId, element: e } = element(v, args.actionId, args.blockId, 'typeInput');
    if (e.type !== 'plain_text_input')
      throw new Error(`slack-sim: typeInput: ${args.actionId} is a ${String(e.type)}, not a text input`);
    if (typeof e.max_length === 'number' && args.value.length > e.max_length)
      throw new Error(`slack-sim: typeInput: ${args.actionId} takes at most ${e.max_length} characters`);
    v.values[blockId] = {
      ...(v.values[blockId] ?? {}),
      [args.actionId]: { type: 'plain_text_input', value: args.value },
    };
  };

  const closeView: SlackSim['closeView'] = (viewId) => views.close(visible(viewId, 'closeView'), 'person');

  return { optionsRequests, requestOptions, chooseOptions, typeInput, closeView };
}
