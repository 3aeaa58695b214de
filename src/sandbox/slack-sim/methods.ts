import { blockKitError } from './block-kit.ts';
import type { MessageStore } from './messages.ts';
import type { FunctionCompletion, SlackBlock } from './types.ts';
import { isRecord, now, parseJson, str } from './util.ts';

export type Answer = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };
export type Method = (args: Record<string, unknown>) => Answer;

export const fail = (error: string): Answer => ({ status: 200, body: { ok: false, error } });
const ok = (body: Record<string, unknown>): Answer => ({ status: 200, body: { ok: true, ...body } });

export interface MethodContext {
  appToken: string | undefined;
  enterpriseInstall: boolean;
  /** Called only once the server listens, and only when Socket Mode is enabled (it spends a ticket id). */
  socketUrl: () => string;
  teamId: string;
  botUserId: string;
  botId: string;
  members: ReadonlySet<string>;
  userGroups: ReadonlyMap<string, string[]>;
  messages: MessageStore;
  completions: FunctionCompletion[];
  /** Each person's Home tab as published, every version (views.publish). */
  homeViews: Map<string, SlackBlock[][]>;
}

/** What each Web API method does once the call is authenticated and not scripted to fail. */
export function createMethods(ctx: MethodContext): Record<string, Method> {
  const { teamId, botUserId, botId, messages } = ctx;

  const channelError = (channel: string | undefined) => {
    if (!channel || !/^[CGD]/.test(channel)) return 'channel_not_found';
    return ctx.members.has(channel) ? undefined : 'not_in_channel';
  };

  const completeFunction = (args: Record<string, unknown>, kind: 'success' | 'error'): Answer => {
    const id = str(args.function_execution_id);
    if (!id) return fail('invalid_arguments');
    if (ctx.completions.some((c) => c.functionExecutionId === id))
      return fail('function_execution_not_found');
    const outputs = typeof args.outputs === 'string' ? parseJson(args.outputs) : args.outputs;
    ctx.completions.push({ functionExecutionId: id, kind, outputs, error: str(args.error), at: now() });
    return { status: 200, body: { ok: true } };
  };

  return {
    'apps.connections.open': () =>
      ctx.appToken === undefined ? fail('not_allowed_token_type') : ok({ url: ctx.socketUrl() }),
    'auth.test': () => ({
      status: 200,
      body: {
        ok: true,
        url: 'https://sim.slack.com/',
        team: 'Sim',
        user: 'campaign-bot',
        team_id: teamId,
        user_id: botUserId,
        bot_id: botId,
        is_enterprise_install: ctx.enterpriseInstall,
      },
    }),

    'chat.postMessage': (args) => {
      const channel = str(args.channel);
      const channelErr = channelError(channel);
      if (channel === undefined || channelErr) return fail(channelErr ?? 'channel_not_found');
      const blocks = blocksArg(args.blocks);
      if (blocks === 'invalid') return fail('invalid_blocks');
      const limit = blocks && blockKitError(blocks);
      if (limit) return fail(limit);
      const text = str(args.text) ?? '';
      if (text === '' && (blocks === undefined || blocks.length === 0) && args.attachments === undefined) {
        return fail('no_text');
      }
      let threadTs = str(args.thread_ts);
      if (threadTs !== undefined) {
        threadTs = messages.threadRoot(channel, threadTs);
        if (threadTs === undefined) return fail('thread_not_found');
      }
      const at = now();
      const message = messages.store({
        channel,
        ts: messages.nextTs(),
        threadTs,
        text,
        blocks,
        user: botUserId,
        botId,
        versions: [{ text, blocks, at }],
        replies: [],
        postedAt: at,
        ...(str(args.__function_execution_id)
          ? { functionExecutionId: str(args.__function_execution_id) }
          : {}),
      });
      return {
        status: 200,
        body: { ok: true, channel, ts: message.ts, message: messages.slackMessage(message) },
      };
    },

    'chat.update': (args) => {
      const channel = str(args.channel) ?? '';
      const message = messages.get(channel, str(args.ts) ?? '');
      if (!message) return fail('message_not_found');
      if (message.botId !== botId) return fail('cant_update_message');
      const blocks = blocksArg(args.blocks);
      if (blocks === 'invalid') return fail('invalid_blocks');
      const limit = blocks && blockKitError(blocks);
      if (limit) return fail(limit);
      // Documented: an omitted `blocks` keeps the previous blocks (an empty array removes them); same for text.
      const text = str(args.text) ?? message.text;
      const nextBlocks = blocks ?? message.blocks;
      message.text = text;
      message.blocks = nextBlocks;
      message.versions.push({ text, blocks: nextBlocks, at: now() });
      return {
        status: 200,
        body: { ok: true, channel, ts: message.ts, text, message: messages.slackMessage(message) },
      };
    },

    'chat.postEphemeral': (args) => {
      const channel = str(args.channel);
      const channelErr = channelError(channel);
      if (channel === undefined || channelErr) return fail(channelErr ?? 'channel_not_found');
      const user = str(args.user);
      if (!user) return fail('user_not_found');
      const blocks = blocksArg(args.blocks);
      if (blocks === 'invalid') return fail('invalid_blocks');
      const limit = blocks && blockKitError(blocks);
      if (limit) return fail(limit);
      const text = str(args.text) ?? '';
      if (text === '' && (blocks === undefined || blocks.length === 0) && args.attachments === undefined) {
        return fail('no_text');
      }
      const ts = messages.nextTs();
      messages.ephemerals.push({ channel, user, ts, threadTs: str(args.thread_ts), text, blocks, at: now() });
      return { status: 200, body: { ok: true, message_ts: ts } };
    },

    'usergroups.users.list': (args) => {
      // An org-level token must say which workspace's group (Slack: team_id "required if org token is used").
      if (ctx.enterpriseInstall && str(args.team_id) !== teamId) return fail('missing_argument');
      const users = ctx.userGroups.get(str(args.usergroup) ?? '');
      return users ? { status: 200, body: { ok: true, users: [...users] } } : fail('no_such_subteam');
    },

    'views.publish': (args) => {
      const user = str(args.user_id);
      if (!user || !/^[UW][A-Z0-9]{2,}$/.test(user)) return fail('invalid_arguments');
      const view = typeof args.view === 'string' ? parseJson(args.view) : args.view;
      if (!isRecord(view) || view.type !== 'home') return fail('invalid_arguments');
      const blocks = blocksArg(view.blocks);
      if (!blocks || blocks === 'invalid') return fail('invalid_blocks');
      // A view takes 100 blocks, each under the same limits as a message's.
      if (blockKitError(blocks, 100)) return fail('invalid_blocks');
      const versions = ctx.homeViews.get(user) ?? [];
      versions.push(blocks);
      ctx.homeViews.set(user, versions);
      return ok({
        view: { id: `V${user.slice(1)}${versions.length}`, team_id: teamId, type: 'home', blocks },
      });
    },

    'functions.completeSuccess': (args) => completeFunction(args, 'success'),
    'functions.completeError': (args) => completeFunction(args, 'error'),
  };
}

function blocksArg(value: unknown): SlackBlock[] | undefined | 'invalid' {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return 'invalid';
  return value.every((b) => isRecord(b) && typeof b.type === 'string') ? (value as SlackBlock[]) : 'invalid';
}
