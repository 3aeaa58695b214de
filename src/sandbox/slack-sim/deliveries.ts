import { createHmac } from 'node:crypto';
import { request } from 'undici';
import type { MessageStore } from './messages.ts';
import { SOCKET_MODE, type SocketMode } from './socket-mode.ts';
import type { Triggers } from './triggers.ts';
import type { SignedResponse, SignOptions, SlackBlock, SlackSim, SlackSimResponse } from './types.ts';
import { APP_ID, isRecord, microsToTs, parseJson, TEAM_DOMAIN, VERIFICATION_TOKEN } from './util.ts';

/** Slack calling the bot: slash commands, button clicks and function_executed events, built as Slack builds them. */
export function createDeliveries(deps: {
  signingSecret: string;
  teamId: string;
  botUserId: string;
  botId: string;
  nextId: (prefix: string) => string;
  responseUrl: (id: string) => string;
  messages: MessageStore;
  allowFunctionToken: (token: string, executionId?: string) => void;
  issueFunctionToken: (executionId: string) => string;
  setGroupMembers: (groupId: string, users: readonly string[]) => { added: string[]; removed: string[] };
  socketMode: SocketMode;
  triggers: Triggers;
}): Pick<SlackSim, 'slashCommand' | 'runFunction' | 'clickButton' | 'changeGroupMembers' | 'openAppHome'> {
  const { signingSecret, teamId, botUserId, botId, nextId, responseUrl, messages } = deps;
  const { envelope, sendEvent } = createEventSender(deps);

  const send = async (
    botUrl: string,
    rawBody: string,
    sign: SignOptions | undefined,
    responseUrlId: string,
    triggerId: string,
  ): Promise<SlackSimResponse> => {
    if (botUrl === SOCKET_MODE) {
      const form = Object.fromEntries(new URLSearchParams(rawBody));
      const payload =
        typeof form.payload === 'string' ? (JSON.parse(form.payload) as Record<string, unknown>) : form;
      return deps.socketMode.deliver(
        typeof form.payload === 'string' ? 'interactive' : 'slash_commands',
        payload,
        responseUrlId,
        triggerId,
      );
    }
    const res = await sendSignedRequest(
      botUrl,
      signingSecret,
      rawBody,
      'application/x-www-form-urlencoded',
      sign,
    );
    return { ...res, responseUrlId, triggerId };
  };

  const executions = new Map<string, { callbackId: string; inputs: unknown }>();

  /** Slack retries Events API deliveries only: a command or a click it never sends twice (the fake says so). */
  const noRetries = (what: string, sign: SignOptions | undefined): Error | undefined =>
    sign?.retryNum !== undefined || sign?.retryReason !== undefined
      ? new Error(`slack-sim: Slack never retries ${what}; send an event to test redelivery`)
      : undefined;

  return {
    slashCommand(botUrl, args, sign) {
      const refused = noRetries('a slash command', sign);
      if (refused) return Promise.reject(refused);
      const responseUrlId = nextId('command');
      const triggerId = deps.triggers.issue(args.userId, undefined, args.triggerId);
      const body = new URLSearchParams({
        token: VERIFICATION_TOKEN,
        team_id: args.teamId ?? teamId,
        team_domain: TEAM_DOMAIN,
        channel_id: args.channelId,
        channel_name: args.channelName ?? defaultChannelName(args.channelId),
        user_id: args.userId,
        user_name: args.userName ?? args.userId.toLowerCase(),
        command: args.command ?? '/campaign',
        text: args.text,
        api_app_id: APP_ID,
        is_enterprise_install: 'false',
        response_url: responseUrl(responseUrlId),
        trigger_id: triggerId,
      }).toString();
      return send(botUrl, body, sign, responseUrlId, triggerId);
    },

    async runFunction(botUrl, args, sign) {
      const functionExecutionId = nextId('Fx');
      const eventId = args.eventId ?? nextId('Ev');
      const token = `xwfp-${nextId('sim')}`;
      deps.allowFunctionToken(token, functionExecutionId);
      executions.set(functionExecutionId, { callbackId: args.callbackId, inputs: args.inputs });
      const body = JSON.stringify({
        token: VERIFICATION_TOKEN,
        team_id: teamId,
        api_app_id: APP_ID,
        type: 'event_callback',
        event_id: eventId,
        event_time: Math.floor(Date.now() / 1000),
        event: {
          type: 'function_executed',
          function: {
            id: `Fn-${args.callbackId}`,
            callback_id: args.callbackId,
            title: args.callbackId,
            type: 'app',
            app_id: APP_ID,
          },
          inputs: args.inputs,
          function_execution_id: functionExecutionId,
          workflow_execution_id: nextId('Wx'),
          event_ts: microsToTs(Math.floor(Date.now() * 1000)),
          bot_access_token: token,
        },
      });
      const res = await sendEvent(botUrl, body, sign);
      return { ...res, functionExecutionId, eventId, token };
    },

    async openAppHome(botUrl, userId, sign) {
      // Slack's `app_home_opened` event (no scope), as its Events API sends it when someone opens the Home tab.
      return sendEvent(
        botUrl,
        envelope({ type: 'app_home_opened', user: userId, channel: `D${userId.slice(1)}`, tab: 'home' }),
        sign,
      );
    },

    async changeGroupMembers(botUrl, groupId, users, sign) {
      const { added, removed } = deps.setGroupMembers(groupId, users);
      const now = Math.floor(Date.now() / 1000);
      // Slack's `subteam_members_changed` event (scope usergroups:read), as its Events API sends it.
      const body = envelope({
        type: 'subteam_members_changed',
        subteam_id: groupId,
        team_id: teamId,
        date_previous_update: now - 60,
        date_update: now,
        added_users: added,
        added_users_count: String(added.length),
        removed_users: removed,
        removed_users_count: String(removed.length),
      });
      return sendEvent(botUrl, body, sign);
    },

    clickButton(botUrl, args, sign) {
      const refused = noRetries('a button click', sign);
      if (refused) return Promise.reject(refused);
      const responseUrlId = nextId('action');
      const triggerId = deps.triggers.issue(args.userId, undefined, args.triggerId);
      const team = args.teamId ?? teamId;
      const stored = messages.get(args.channelId, args.messageTs);
      const button = findButton(stored?.blocks, args.actionId);
      const userName = args.userName ?? args.userId.toLowerCase();
      const payload: Record<string, unknown> = {
        type: 'block_actions',
        user: { id: args.userId, username: userName, name: userName, team_id: team },
        api_app_id: APP_ID,
        token: VERIFICATION_TOKEN,
        container: {
          type: 'message',
          message_ts: args.messageTs,
          channel_id: args.channelId,
          is_ephemeral: false,
        },
        trigger_id: triggerId,
        team: { id: team, domain: TEAM_DOMAIN },
        enterprise: null,
        is_enterprise_install: false,
        channel: { id: args.channelId, name: args.channelName ?? defaultChannelName(args.channelId) },
        message: stored
          ? messages.slackMessage(stored)
          : { type: 'message', ts: args.messageTs, text: '', user: botUserId, bot_id: botId, blocks: [] },
        state: { values: {} },
        response_url: responseUrl(responseUrlId),
        // On a Workflow step's message: the step, and a fresh token for it (Slack's function-scoped interactivity).
        ...(() => {
          const fx = stored?.functionExecutionId;
          const step = fx ? executions.get(fx) : undefined;
          if (!fx || !step) return {};
          return {
            function_data: {
              execution_id: fx,
              inputs: step.inputs,
              function: { callback_id: step.callbackId },
            },
            bot_access_token: deps.issueFunctionToken(fx),
          };
        })(),
        actions: [
          {
            type: 'button',
            action_id: args.actionId,
            block_id: args.blockId ?? button?.blockId ?? 'actions',
            value: args.value,
            action_ts: microsToTs(Math.floor(Date.now() * 1000)),
            text: button?.text ?? { type: 'plain_text', text: args.actionId, emoji: true },
          },
        ],
      };
      if (args.fromHome) {
        // As Slack sends a click on a Home tab: the view is the container; there is no channel, message or response_url.
        const viewId = `VHOME${args.userId}`;
        payload.container = { type: 'view', view_id: viewId };
        payload.view = { id: viewId, type: 'home', team_id: team, blocks: [], state: { values: {} } };
        delete payload.channel;
        delete payload.message;
        delete payload.response_url;
      }
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      return send(botUrl, body, sign, responseUrlId, triggerId);
    },
  };
}

/** Events API deliveries: an `event_callback` envelope, sent over HTTP or the Socket Mode connection. */
export function createEventSender(deps: {
  signingSecret: string;
  teamId: string;
  nextId: (prefix: string) => string;
  socketMode: SocketMode;
}) {
  /** An `event_callback` as the Events API sends it, around `event` (its `event_ts` added). */
  const envelope = (event: Record<string, unknown>) =>
    JSON.stringify({
      token: VERIFICATION_TOKEN,
      team_id: deps.teamId,
      api_app_id: APP_ID,
      type: 'event_callback',
      event_id: deps.nextId('Ev'),
      event_time: Math.floor(Date.now() / 1000),
      event: { ...event, event_ts: microsToTs(Math.floor(Date.now() * 1000)) },
    });

  /** An Events API event, over HTTP or over the Socket Mode connection (`events_api` envelope). */
  const sendEvent = async (botUrl: string, body: string, sign: SignOptions | undefined) => {
    if (botUrl !== SOCKET_MODE)
      return sendSignedRequest(botUrl, deps.signingSecret, body, 'application/json', sign);
    const retry =
      sign?.retryNum !== undefined
        ? { attempt: sign.retryNum, reason: sign.retryReason ?? 'timeout' }
        : undefined;
    return deps.socketMode.deliver('events_api', JSON.parse(body) as Record<string, unknown>, '', '', retry);
  };
  return { envelope, sendEvent };
}

/** `v0=<hex HMAC-SHA256 of "v0:<timestamp>:<rawBody>">`, the value of `X-Slack-Signature`. */
export function signSlackRequest(secret: string, timestamp: number | string, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/**
 * POSTs `rawBody` to `url` signed as Slack signs its requests. With `timeoutMs`, gives up as Slack does when the
 * answer is late: `timedOut` and status 0 (the bot may still be working; Slack no longer listens).
 */
export async function sendSignedRequest(
  url: string,
  secret: string,
  rawBody: string,
  contentType: string,
  sign: SignOptions = {},
  timeoutMs?: number,
): Promise<SignedResponse & { timedOut?: boolean }> {
  const timestamp = sign.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': contentType,
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': sign.signature ?? signSlackRequest(sign.secret ?? secret, timestamp, rawBody),
  };
  if (sign.retryNum !== undefined) headers['x-slack-retry-num'] = String(sign.retryNum);
  if (sign.retryReason !== undefined) headers['x-slack-retry-reason'] = sign.retryReason;
  Object.assign(headers, sign.headers);
  const started = performance.now();
  const signal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  try {
    const res = await request(url, { method: 'POST', headers, body: rawBody, signal });
    const body = await res.body.text();
    const ms = performance.now() - started;
    return { status: res.statusCode, headers: res.headers, body, json: parseJson(body), ms };
  } catch (error) {
    if (!signal?.aborted) throw error;
    return {
      status: 0,
      headers: {},
      body: '',
      json: undefined,
      ms: performance.now() - started,
      timedOut: true,
    };
  }
}

export function defaultChannelName(channelId: string): string {
  return channelId.startsWith('D') ? 'directmessage' : channelId.toLowerCase();
}

/** The block id and text of the button `actionId` in `blocks` (actions elements or a section accessory). */
function findButton(
  blocks: SlackBlock[] | undefined,
  actionId: string,
): { blockId: string | undefined; text: unknown } | undefined {
  for (const block of blocks ?? []) {
    const candidates = [...(Array.isArray(block.elements) ? block.elements : []), block.accessory];
    for (const element of candidates) {
      if (isRecord(element) && element.action_id === actionId) {
        return { blockId: block.block_id, text: element.text };
      }
    }
  }
  return undefined;
}
