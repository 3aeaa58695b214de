import { createEventSender, defaultChannelName, sendSignedRequest } from './deliveries.ts';
import type { MessageStore } from './messages.ts';
import { SOCKET_MODE, type SocketMode } from './socket-mode.ts';
import type { Triggers } from './triggers.ts';
import type {
  OptionsRequestRecord,
  SignedResponse,
  SignOptions,
  SimOption,
  SimView,
  SlackSim,
  ViewSubmissionResult,
} from './types.ts';
import type { Unfurls } from './unfurls.ts';
import { APP_ID, isRecord, microsToTs, now, TEAM_DOMAIN, VERIFICATION_TOKEN } from './util.ts';
import { EXTERNAL_SELECTS, optionsAnswerProblems } from './view-checks.ts';
import { findElement, type Views } from './views.ts';

/** Slack waits this long for the app's answer to an options request, a submission or a shortcut. */
const ACK_MS = 3_000;

/** Slack's default `min_query_length` for an external select. */
const MIN_QUERY_LENGTH = 3;

type Delivered = SignedResponse & { timedOut?: boolean; dispatchFailed?: boolean };

/**
 * Slack calling the bot from the newer surfaces: options requests (`block_suggestion`), view submissions,
 * message shortcuts (`message_action`) and `link_shared`; and what a person does in a modal between them (picks
 * options the bot offered, types, closes it). Each is signed and sent as Slack sends it, over HTTP or Socket Mode,
 * and Slack's 3 s apply: a late answer is a failure, whatever the bot does afterwards.
 */
export function createInteractions(deps: {
  signingSecret: string;
  teamId: string;
  botUserId: string;
  nextId: (prefix: string) => string;
  responseUrl: (id: string) => string;
  messages: MessageStore;
  socketMode: SocketMode;
  triggers: Triggers;
  views: Views;
  unfurls: Unfurls;
  isMember: (channel: string) => boolean;
}) {
  const { teamId, nextId, views } = deps;
  const { envelope, sendEvent } = createEventSender(deps);
  const optionsRequests: OptionsRequestRecord[] = [];
  const submissions: ViewSubmissionResult[] = [];
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

  const user = (id: string, name = id.toLowerCase()) => ({ id, username: name, name, team_id: teamId });

  /** An interactive payload, signed and sent; Slack waits 3 s for the answer. */
  const deliver = async (
    botUrl: string,
    payload: Record<string, unknown>,
    sign: SignOptions | undefined,
  ): Promise<Delivered> => {
    if (sign?.retryNum !== undefined || sign?.retryReason !== undefined)
      throw new Error('slack-sim: Slack never retries an interaction; send an event to test redelivery');
    if (botUrl === SOCKET_MODE) {
      return deps.socketMode.deliver('interactive', payload, '', '', undefined, {
        acceptsResponsePayload: payload.type !== 'message_action',
        timeout: 'answer',
      });
    }
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return sendSignedRequest(
      botUrl,
      deps.signingSecret,
      body,
      'application/x-www-form-urlencoded',
      sign,
      ACK_MS,
    );
  };

  /** The open view a person is looking at, or a loud error for a test that asks for the impossible. */
  const visible = (viewId: string, what: string): SimView => {
    const v = views.get(viewId);
    if (!v) throw new Error(`slack-sim: ${what}: no view ${viewId} was opened`);
    if (v.closedAt !== undefined)
      throw new Error(`slack-sim: ${what}: view ${viewId} is closed (${v.closedBy})`);
    if (!views.isTop(v)) throw new Error(`slack-sim: ${what}: view ${viewId} is under another view`);
    return v;
  };

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
    const multi = type.startsWith('multi_');
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

  /** Slack's client refuses to submit a modal whose required inputs are empty. */
  const emptyRequired = (v: SimView): string | undefined => {
    for (const block of (v.view.blocks as Record<string, unknown>[]) ?? []) {
      if (block.type !== 'input' || block.optional === true || !isRecord(block.element)) continue;
      const value = v.values[block.block_id as string]?.[String(block.element.action_id)];
      const empty =
        !value ||
        value.value === null ||
        value.value === '' ||
        value.selected_option === null ||
        (Array.isArray(value.selected_options) && value.selected_options.length === 0);
      if (empty) return String(block.block_id);
    }
    return undefined;
  };

  const submitView: SlackSim['submitView'] = async (botUrl, args, sign) => {
    const v = visible(args.viewId, 'submitView');
    if (v.view.submit === undefined)
      throw new Error(`slack-sim: submitView: view ${v.id} has no submit button`);
    for (const [blockId, actions] of Object.entries(args.values ?? {}))
      v.values[blockId] = { ...(v.values[blockId] ?? {}), ...actions };
    const missing = emptyRequired(v);
    if (missing)
      throw new Error(`slack-sim: Slack would not submit view ${v.id}: the required ${missing} is empty`);
    const userId = args.userId ?? v.userId;
    const triggerId = deps.triggers.issue(userId, v.id);
    const payload = {
      type: 'view_submission',
      team: { id: teamId, domain: TEAM_DOMAIN },
      user: user(userId),
      api_app_id: APP_ID,
      token: VERIFICATION_TOKEN,
      trigger_id: triggerId,
      view: views.json(v),
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    };
    const res = await deliver(botUrl, payload, sign);
    const result: ViewSubmissionResult = { ...res, viewId: v.id, triggerId, verdict: 'closed', payload };
    if (res.dispatchFailed) result.verdict = 'dispatch_failed';
    else if (res.timedOut) result.verdict = 'timed_out';
    else if (res.status !== 200) result.verdict = 'http_error';
    else Object.assign(result, applyAnswer(v, res.json));
    submissions.push(result);
    return result;
  };

  /** The bot's answer to a submission, applied as Slack applies it (or refused as Slack refuses it). */
  const applyAnswer = (v: SimView, answer: unknown): Partial<ViewSubmissionResult> => {
    if (answer === undefined || (isRecord(answer) && Object.keys(answer).length === 0)) {
      views.close(v, 'submission');
      return { verdict: 'closed' };
    }
    const bad = (problem: string) => ({ verdict: 'invalid' as const, problems: [problem] });
    if (!isRecord(answer)) return bad('[ERROR] the answer must be a JSON object');
    switch (answer.response_action) {
      case 'errors': {
        const errors = answer.errors;
        if (!isRecord(errors) || Object.keys(errors).length === 0)
          return bad('[ERROR] errors must be an object');
        const inputs = new Set(
          ((v.view.blocks as Record<string, unknown>[]) ?? [])
            .filter((b) => b.type === 'input')
            .map((b) => b.block_id),
        );
        for (const [blockId, message] of Object.entries(errors)) {
          // Slack shows errors on input blocks only; naming any other block fails the whole answer.
          if (!inputs.has(blockId)) return bad(`[ERROR] ${blockId} is not an input block of the view`);
          if (typeof message !== 'string') return bad(`[ERROR] the error for ${blockId} must be a string`);
        }
        v.errors = errors as Record<string, string>;
        return { verdict: 'errors', errors: v.errors };
      }
      case 'update':
      case 'push': {
        const checked = views.checked(answer.view);
        if (!checked.ok) return { verdict: 'invalid', problems: problemsOf(checked.answer) };
        if (answer.response_action === 'update') {
          views.replace(v, checked.view, 'response_action:update');
          return { verdict: 'updated' };
        }
        const pushed = views.push(v, checked.view);
        if (pushed === 'push_limit_reached') return bad('[ERROR] push_limit_reached');
        return { verdict: 'pushed', pushedViewId: pushed.id };
      }
      case 'clear':
        views.close(v, 'clear');
        return { verdict: 'cleared' };
      default:
        return bad(`[ERROR] unknown response_action ${String(answer.response_action)}`);
    }
  };

  const closeView: SlackSim['closeView'] = (viewId) => views.close(visible(viewId, 'closeView'), 'person');

  const messageShortcut: SlackSim['messageShortcut'] = async (botUrl, args, sign) => {
    const stored = deps.messages.get(args.channelId, args.messageTs);
    if (!stored)
      throw new Error(`slack-sim: messageShortcut: no message ${args.messageTs} in ${args.channelId}`);
    const team = args.teamId ?? teamId;
    const responseUrlId = nextId('shortcut');
    const triggerId = deps.triggers.issue(args.userId);
    const message = deps.messages.slackMessage(stored);
    // Slack leaves `text` out of a message that has none (an alert made of attachments or blocks only).
    if (message.text === '') delete message.text;
    const payload = {
      type: 'message_action',
      token: VERIFICATION_TOKEN,
      action_ts: microsToTs(Math.floor(Date.now() * 1000)),
      team: { id: team, domain: TEAM_DOMAIN },
      user: { ...user(args.userId, args.userName), team_id: team },
      channel: { id: args.channelId, name: args.channelName ?? defaultChannelName(args.channelId) },
      is_enterprise_install: false,
      enterprise: null,
      callback_id: args.callbackId,
      trigger_id: triggerId,
      response_url: deps.responseUrl(responseUrlId),
      message_ts: args.messageTs,
      message,
    };
    const res = await deliver(botUrl, payload, sign);
    return { ...res, responseUrlId, triggerId };
  };

  const shareLinks: SlackSim['shareLinks'] = async (botUrl, args, sign) => {
    const composer = args.composer === true;
    const message = composer
      ? undefined
      : deps.messages.addUserMessage(args.channelId, {
          user: args.userId,
          text: args.text,
          ...(args.threadTs ? { threadTs: args.threadTs } : {}),
        });
    const links = deps.unfurls.linksIn(args.text).flatMap((url) => {
      const domain = deps.unfurls.unfurlDomain(url);
      return domain ? [{ domain, url }] : [];
    });
    const channel = composer ? 'COMPOSER' : args.channelId;
    const source = composer ? ('composer' as const) : ('conversations_history' as const);
    const messageTs = message?.ts ?? `${nextId('composer')}`;
    if (links.length === 0)
      return { message, channel, messageTs, unfurlId: '', source, links, event: undefined };
    const unfurlId = deps.unfurls.share({ channel, ts: messageTs, source, urls: links.map((l) => l.url) });
    const event = envelope({
      type: 'link_shared',
      channel,
      is_bot_user_member: !composer && deps.isMember(args.channelId),
      user: args.userId,
      message_ts: messageTs,
      ...(message?.threadTs ? { thread_ts: message.threadTs } : {}),
      unfurl_id: unfurlId,
      source,
      links,
    });
    return {
      message,
      channel,
      messageTs,
      unfurlId,
      source,
      links,
      event: await sendEvent(botUrl, event, sign),
    };
  };

  return {
    optionsRequests,
    submissions,
    requestOptions,
    chooseOptions,
    typeInput,
    submitView,
    closeView,
    messageShortcut,
    shareLinks,
  };
}

function problemsOf(answer: { body: Record<string, unknown> }): string[] {
  const meta = answer.body.response_metadata as { messages?: string[] } | undefined;
  return meta?.messages ?? [String(answer.body.error)];
}
