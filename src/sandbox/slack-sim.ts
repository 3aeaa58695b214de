import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * Slack on 127.0.0.1, for tests, the demo and the benchmark. Two halves:
 *
 * A. The Web API the bot calls (`POST /api/<method>`, form-encoded or JSON, `Authorization: Bearer`):
 *    auth.test, chat.postMessage, chat.update, chat.postEphemeral and usergroups.users.list, answered as Slack
 *    documents them (HTTP 200 with `{ok:false, error}` for failures, 429 + Retry-After when rate limited).
 *    Any other method answers `unknown_method` and lands in `sim.unexpected`. `POST /response/<id>` plays
 *    the `response_url`s that Bolt's `respond()` posts to.
 * B. Slack calling the bot: signed slash commands and button clicks, sent exactly as Slack sends them.
 *
 * Where Slack's docs are silent the simulator picks the stricter behaviour (e.g. a `thread_ts` that names no
 * known message is refused with `thread_not_found`).
 */

export type SlackBlock = { type: string; block_id?: string; [key: string]: unknown };

export interface SlackSimOptions {
  botToken: string;
  /** The app's signing secret: part B signs the requests it sends to the bot with it. */
  signingSecret: string;
  teamId?: string;
  /** Default 'UBOT'. */
  botUserId?: string;
  /** Default 'BBOT'. */
  botId?: string;
  /** Channels the bot is a member of at start (more via `joinChannel`). Default: none. */
  memberChannels?: string[];
  /** Usergroup id -> member user ids. */
  userGroups?: Record<string, string[]>;
  /** Per-channel chat.postMessage limit (HTTP 429, `Retry-After: 1`). Default: off. */
  postMessageRateLimit?: { perChannelPerSecond: number };
  /** An app-level token (`xapp-…`): enables Socket Mode (`apps.connections.open` and a WebSocket at /socket). */
  appToken?: string;
  port?: number;
  host?: string;
}

/** Pass as `botUrl` to deliver a command or click over the Socket Mode connection instead of HTTP. */
export const SOCKET_MODE = 'socket-mode';

export interface MessageVersion {
  text: string;
  blocks: SlackBlock[] | undefined;
  /** Epoch ms. */
  at: number;
}

export interface SimMessage {
  channel: string;
  ts: string;
  /** The parent's ts, for a thread reply. */
  threadTs: string | undefined;
  /** Current text and blocks (the last entry of `versions`). */
  text: string;
  blocks: SlackBlock[] | undefined;
  /** The author: the bot user id for the bot's messages. */
  user: string;
  /** Set for the bot's messages. */
  botId: string | undefined;
  /** Every version, oldest first: the original post, then one per chat.update. */
  versions: MessageVersion[];
  /** Thread replies, oldest first (top-level messages only). */
  replies: SimMessage[];
  /** Epoch ms. */
  postedAt: number;
}

export interface SimEphemeral {
  channel: string;
  user: string;
  /** The `message_ts` answered. */
  ts: string;
  threadTs: string | undefined;
  text: string;
  blocks: SlackBlock[] | undefined;
  at: number;
}

export interface SlackCall {
  method: string;
  /** Parsed form or JSON arguments, JSON fields (`blocks`, `attachments`, `metadata`) parsed back; no token. */
  args: Record<string, unknown>;
  /** Arrival, epoch ms. */
  at: number;
  /** Which credential was presented (never the token itself). */
  auth: 'valid' | 'invalid' | 'missing';
  /** HTTP status answered. */
  status: number;
  ok: boolean;
  error: string | undefined;
}

export interface UnexpectedRequest {
  /** The Web API method, or `<HTTP method> <path>` for a request outside /api/ and /response/. */
  method: string;
  path: string;
  args: Record<string, unknown>;
  at: number;
}

export interface FunctionCompletion {
  functionExecutionId: string;
  kind: 'success' | 'error';
  outputs: unknown;
  error: string | undefined;
  at: number;
}

export interface SimResponse {
  id: string;
  /** The JSON body, parsed (the raw text if it was not JSON). */
  body: unknown;
  at: number;
}

export interface SignOptions {
  /** Unix seconds for `X-Slack-Request-Timestamp` (default now): set an old one to test stale requests. */
  timestamp?: number;
  /** Sign with this secret instead of the sim's. */
  secret?: string;
  /** Send this `X-Slack-Signature` verbatim. */
  signature?: string;
  retryNum?: number;
  retryReason?: string;
  /** Extra headers. */
  headers?: Record<string, string>;
}

export interface SignedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body parsed, if it is JSON. */
  json: unknown;
  /** Latency, ms. */
  ms: number;
}

export interface SlackSimResponse extends SignedResponse {
  /** The id of the `response_url` sent with the request (see `sim.responses`). */
  responseUrlId: string;
  triggerId: string;
}

export interface SlashCommandArgs {
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  text: string;
  /** Default '/campaign'. */
  command?: string;
  teamId?: string;
  triggerId?: string;
}

export interface ButtonClickArgs {
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  messageTs: string;
  actionId: string;
  value: string;
  /** Default: the block holding the button in the stored message, else 'actions'. */
  blockId?: string;
  teamId?: string;
  triggerId?: string;
}

export interface SlackSim {
  url: string;
  port: number;
  readonly calls: readonly SlackCall[];
  /** Requests the sim did not expect (unknown methods, unknown routes): tests assert it stays empty. */
  readonly unexpected: readonly UnexpectedRequest[];
  readonly responses: readonly SimResponse[];
  /** functions.completeSuccess / completeError calls, one per finished Workflow Builder step. */
  readonly completions: readonly FunctionCompletion[];
  /** Runs a Workflow Builder custom step: sends the signed `function_executed` event Slack sends. */
  runFunction(
    botUrl: string,
    args: { callbackId: string; inputs: Record<string, unknown>; eventId?: string },
    sign?: SignOptions,
  ): Promise<SignedResponse & { functionExecutionId: string; eventId: string }>;
  callsTo(method: string): SlackCall[];
  /** The next `count` calls of `method` answer `{ok:false, error}` ('ratelimited' answers HTTP 429). */
  failNext(method: string, error: string, count?: number): void;
  joinChannel(channel: string): void;
  leaveChannel(channel: string): void;
  /** Stores a message a person posted (not the bot), e.g. a thread parent. */
  addUserMessage(
    channel: string,
    message: { user: string; text: string; blocks?: SlackBlock[]; threadTs?: string },
  ): SimMessage;
  messages(channel: string): readonly SimMessage[];
  /** A top-level message or a thread reply. */
  message(channel: string, ts: string): SimMessage | undefined;
  thread(channel: string, ts: string): readonly SimMessage[];
  ephemerals(user?: string): SimEphemeral[];
  responseUrl(id: string): string;
  /** Polls every 10 ms until `predicate` returns something other than undefined/null/false (a throw counts as not yet). */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  slashCommand(botUrl: string, args: SlashCommandArgs, sign?: SignOptions): Promise<SlackSimResponse>;
  clickButton(botUrl: string, args: ButtonClickArgs, sign?: SignOptions): Promise<SlackSimResponse>;
  /** Forgets calls, unexpected requests and responses (messages stay). */
  clearCalls(): void;
  close(): Promise<void>;
}

const KNOWN_METHODS = new Set([
  'functions.completeError',
  'functions.completeSuccess',
  'apps.connections.open',
  'auth.test',
  'chat.postMessage',
  'chat.update',
  'chat.postEphemeral',
  'usergroups.users.list',
]);
const JSON_FIELDS = ['blocks', 'attachments', 'metadata'] as const;
const APP_ID = 'ASIMAPP01';
const VERIFICATION_TOKEN = 'sim-legacy-verification-token';
const TEAM_DOMAIN = 'sim';

type Answer = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

export async function startSlackSim(options: SlackSimOptions): Promise<SlackSim> {
  const teamId = options.teamId ?? 'TSIM';
  const botUserId = options.botUserId ?? 'UBOT';
  const botId = options.botId ?? 'BBOT';
  const members = new Set(options.memberChannels ?? []);
  const userGroups = new Map(Object.entries(options.userGroups ?? {}));
  const calls: SlackCall[] = [];
  const unexpected: UnexpectedRequest[] = [];
  const responses: SimResponse[] = [];
  const ephemerals: SimEphemeral[] = [];
  const topLevel = new Map<string, SimMessage[]>();
  const byKey = new Map<string, SimMessage>();
  const scripted = new Map<string, string[]>();
  const posted = new Map<string, number[]>();
  let lastTsMicros = 0;
  let idSeq = 0;

  const now = () => performance.timeOrigin + performance.now();
  const key = (channel: string, ts: string) => `${channel}\u0000${ts}`;
  const nextTs = () => {
    lastTsMicros = Math.max(Math.floor(Date.now() * 1000), lastTsMicros + 1);
    return microsToTs(lastTsMicros);
  };

  const store = (message: SimMessage) => {
    byKey.set(key(message.channel, message.ts), message);
    if (message.threadTs === undefined) {
      const list = topLevel.get(message.channel) ?? [];
      list.push(message);
      topLevel.set(message.channel, list);
    } else {
      byKey.get(key(message.channel, message.threadTs))?.replies.push(message);
    }
    return message;
  };

  /** The root ts of the thread `threadTs` names (a reply's ts names its parent's thread). */
  const threadRoot = (channel: string, threadTs: string) => {
    const m = byKey.get(key(channel, threadTs));
    return m === undefined ? undefined : (m.threadTs ?? m.ts);
  };

  const channelError = (channel: string | undefined) => {
    if (!channel || !/^[CGD]/.test(channel)) return 'channel_not_found';
    return members.has(channel) ? undefined : 'not_in_channel';
  };

  const slackMessage = (m: SimMessage) =>
    dropUndefined({
      type: 'message',
      text: m.text,
      user: m.user,
      bot_id: m.botId,
      app_id: m.botId === undefined ? undefined : APP_ID,
      ts: m.ts,
      thread_ts: m.threadTs,
      team: teamId,
      blocks: m.blocks,
    });

  const fail = (error: string): Answer => ({ status: 200, body: { ok: false, error } });
  const ok = (body: Record<string, unknown>): Answer => ({ status: 200, body: { ok: true, ...body } });

  const methods: Record<string, (args: Record<string, unknown>) => Answer> = {
    'apps.connections.open': () =>
      options.appToken === undefined
        ? fail('not_allowed_token_type')
        : ok({ url: `${base.replace(/^http/, 'ws')}/socket?ticket=${nextId('ticket')}` }),
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
        is_enterprise_install: false,
      },
    }),

    'chat.postMessage': (args) => {
      const channel = str(args.channel);
      const channelErr = channelError(channel);
      if (channel === undefined || channelErr) return fail(channelErr ?? 'channel_not_found');
      const blocks = blocksArg(args.blocks);
      if (blocks === 'invalid') return fail('invalid_blocks');
      const text = str(args.text) ?? '';
      if (text === '' && (blocks === undefined || blocks.length === 0) && args.attachments === undefined) {
        return fail('no_text');
      }
      let threadTs = str(args.thread_ts);
      if (threadTs !== undefined) {
        threadTs = threadRoot(channel, threadTs);
        if (threadTs === undefined) return fail('thread_not_found');
      }
      const at = now();
      const message = store({
        channel,
        ts: nextTs(),
        threadTs,
        text,
        blocks,
        user: botUserId,
        botId,
        versions: [{ text, blocks, at }],
        replies: [],
        postedAt: at,
      });
      return { status: 200, body: { ok: true, channel, ts: message.ts, message: slackMessage(message) } };
    },

    'chat.update': (args) => {
      const channel = str(args.channel) ?? '';
      const message = byKey.get(key(channel, str(args.ts) ?? ''));
      if (!message) return fail('message_not_found');
      if (message.botId !== botId) return fail('cant_update_message');
      const blocks = blocksArg(args.blocks);
      if (blocks === 'invalid') return fail('invalid_blocks');
      // Documented: an omitted `blocks` keeps the previous blocks (an empty array removes them); same for text.
      const text = str(args.text) ?? message.text;
      const nextBlocks = blocks ?? message.blocks;
      message.text = text;
      message.blocks = nextBlocks;
      message.versions.push({ text, blocks: nextBlocks, at: now() });
      return {
        status: 200,
        body: { ok: true, channel, ts: message.ts, text, message: slackMessage(message) },
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
      const text = str(args.text) ?? '';
      if (text === '' && (blocks === undefined || blocks.length === 0) && args.attachments === undefined) {
        return fail('no_text');
      }
      const ts = nextTs();
      ephemerals.push({ channel, user, ts, threadTs: str(args.thread_ts), text, blocks, at: now() });
      return { status: 200, body: { ok: true, message_ts: ts } };
    },

    'usergroups.users.list': (args) => {
      const users = userGroups.get(str(args.usergroup) ?? '');
      return users ? { status: 200, body: { ok: true, users: [...users] } } : fail('no_such_subteam');
    },

    'functions.completeSuccess': (args) => completeFunction(args, 'success'),
    'functions.completeError': (args) => completeFunction(args, 'error'),
  };

  // Workflow Builder custom steps: each execution gets a short-lived token that may only complete it.
  const functionTokens = new Set<string>();
  const completions: FunctionCompletion[] = [];
  const completeFunction = (args: Record<string, unknown>, kind: 'success' | 'error'): Answer => {
    const id = str(args.function_execution_id);
    if (!id) return fail('invalid_arguments');
    if (completions.some((c) => c.functionExecutionId === id)) return fail('function_execution_not_found');
    const outputs = typeof args.outputs === 'string' ? parseJson(args.outputs) : args.outputs;
    completions.push({ functionExecutionId: id, kind, outputs, error: str(args.error), at: now() });
    return { status: 200, body: { ok: true } };
  };

  const rateLimited = (channel: string): boolean => {
    const limit = options.postMessageRateLimit?.perChannelPerSecond;
    if (limit === undefined) return false;
    const t = now();
    const recent = (posted.get(channel) ?? []).filter((at) => at > t - 1000);
    if (recent.length >= limit) {
      posted.set(channel, recent);
      return true;
    }
    recent.push(t);
    posted.set(channel, recent);
    return false;
  };

  const handleApi = async (req: IncomingMessage, url: URL, raw: Buffer): Promise<Answer> => {
    const method = decodeURIComponent(url.pathname.slice('/api/'.length));
    const at = now();
    const contentType = header(req, 'content-type') ?? '';
    const args: Record<string, unknown> = Object.fromEntries(url.searchParams);
    let formToken: string | undefined;
    if (contentType.includes('application/json')) {
      const json = parseJson(raw.toString('utf8'));
      if (isRecord(json)) Object.assign(args, json);
    } else if (contentType.includes('multipart/form-data')) {
      const form = await new Response(new Uint8Array(raw), {
        headers: { 'content-type': contentType },
      }).formData();
      for (const [k, v] of form) if (typeof v === 'string') args[k] = v;
      formToken = str(args.token);
    } else {
      Object.assign(args, Object.fromEntries(new URLSearchParams(raw.toString('utf8'))));
      formToken = str(args.token);
    }
    delete args.token;
    for (const field of JSON_FIELDS) {
      const v = args[field];
      if (typeof v === 'string') {
        const parsed = parseJson(v);
        if (parsed !== undefined) args[field] = parsed;
      }
    }
    const authorization = header(req, 'authorization');
    const token = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : formToken;
    const call: SlackCall = {
      method,
      args,
      at,
      auth:
        authorization === undefined && token === undefined
          ? 'missing'
          : token === (method === 'apps.connections.open' ? options.appToken : options.botToken) ||
              (method.startsWith('functions.') && token !== undefined && functionTokens.has(token))
            ? 'valid'
            : 'invalid',
      status: 0,
      ok: false,
      error: undefined,
    };
    calls.push(call);
    const answer = answerApi(method, args, call);
    call.status = answer.status;
    call.ok = answer.body.ok === true;
    call.error = typeof answer.body.error === 'string' ? answer.body.error : undefined;
    return answer;
  };

  const answerApi = (method: string, args: Record<string, unknown>, call: SlackCall): Answer => {
    const handler = KNOWN_METHODS.has(method) ? methods[method] : undefined;
    if (!handler) {
      unexpected.push({ method, path: `/api/${method}`, args, at: call.at });
      return fail('unknown_method');
    }
    if (call.auth === 'missing') return fail('not_authed');
    if (call.auth === 'invalid') return fail('invalid_auth');
    const script = scripted.get(method);
    const error = script?.shift();
    if (error !== undefined) {
      return error === 'ratelimited'
        ? { status: 429, body: { ok: false, error }, headers: { 'retry-after': '1' } }
        : fail(error);
    }
    if (method === 'chat.postMessage' && rateLimited(str(args.channel) ?? '')) {
      return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '1' } };
    }
    return handler(args);
  };

  const server = createServer(async (req, res) => {
    try {
      const raw = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://sim');
      if (url.pathname.startsWith('/api/')) {
        const answer = await handleApi(req, url, raw);
        res.writeHead(answer.status, {
          'content-type': 'application/json; charset=utf-8',
          ...answer.headers,
        });
        res.end(JSON.stringify(answer.body));
        return;
      }
      const responseMatch = /^\/response\/([^/]+)$/.exec(url.pathname);
      if (responseMatch?.[1] !== undefined && req.method === 'POST') {
        const text = raw.toString('utf8');
        responses.push({
          id: decodeURIComponent(responseMatch[1]),
          body: parseJson(text) ?? text,
          at: now(),
        });
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
        return;
      }
      unexpected.push({
        method: `${req.method ?? ''} ${url.pathname}`,
        path: url.pathname,
        args: { body: raw.toString('utf8') },
        at: now(),
      });
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'unknown_route' }));
    } catch (error) {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'internal_error', detail: String(error) }));
      }
    }
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const base = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;

  const nextId = (prefix: string) => `${prefix}-${++idSeq}`;
  const responseUrl = (id: string) => `${base}/response/${encodeURIComponent(id)}`;

  // Socket Mode: the bot opens a WebSocket at the URL apps.connections.open gave it; Slack says hello, then sends
  // envelopes, and the bot acknowledges each by envelope_id (its ack payload rides along).
  const sockets = new WebSocketServer({ noServer: true });
  const waitingAcks = new Map<string, (payload: unknown) => void>();
  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith('/socket')) {
      socket.destroy();
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data) => {
        const message = parseJson(String(data)) as { envelope_id?: string; payload?: unknown } | undefined;
        const resolve = message?.envelope_id ? waitingAcks.get(message.envelope_id) : undefined;
        if (resolve && message?.envelope_id) {
          waitingAcks.delete(message.envelope_id);
          resolve(message.payload ?? {});
        }
      });
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: sockets.clients.size,
          debug_info: { host: 'sim', approximate_connection_time: 18060 },
          connection_info: { app_id: APP_ID },
        }),
      );
    });
  });
  const deliver = async (
    type: 'slash_commands' | 'interactive',
    payload: Record<string, unknown>,
    responseUrlId: string,
    triggerId: string,
  ): Promise<SlackSimResponse> => {
    const ws = [...sockets.clients].find((c) => c.readyState === WebSocket.OPEN);
    if (!ws) throw new Error('slack-sim: no Socket Mode connection is open');
    const envelopeId = nextId('envelope');
    const started = performance.now();
    const acked = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        waitingAcks.delete(envelopeId);
        reject(new Error(`slack-sim: envelope ${envelopeId} was not acknowledged within 3 s`));
      }, 3_000);
      waitingAcks.set(envelopeId, (p) => {
        clearTimeout(timer);
        resolve(p);
      });
    });
    ws.send(
      JSON.stringify({
        envelope_id: envelopeId,
        payload,
        type,
        accepts_response_payload: type === 'slash_commands',
      }),
    );
    const ack = await acked;
    const body = JSON.stringify(ack);
    const empty = ack === null || (typeof ack === 'object' && Object.keys(ack as object).length === 0);
    return {
      status: 200,
      headers: {},
      body: empty ? '' : body,
      json: empty ? undefined : ack,
      ms: performance.now() - started,
      responseUrlId,
      triggerId,
    };
  };

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
      return deliver(
        typeof form.payload === 'string' ? 'interactive' : 'slash_commands',
        payload,
        responseUrlId,
        triggerId,
      );
    }
    const res = await sendSignedRequest(
      botUrl,
      options.signingSecret,
      rawBody,
      'application/x-www-form-urlencoded',
      sign,
    );
    return { ...res, responseUrlId, triggerId };
  };

  const sim: SlackSim = {
    url: base,
    port,
    calls,
    unexpected,
    responses,
    callsTo: (method) => calls.filter((c) => c.method === method),
    failNext(method, error, count = 1) {
      const list = scripted.get(method) ?? [];
      for (let i = 0; i < count; i++) list.push(error);
      scripted.set(method, list);
    },
    joinChannel: (channel) => void members.add(channel),
    leaveChannel: (channel) => void members.delete(channel),
    addUserMessage(channel, { user, text, blocks, threadTs }) {
      const root = threadTs === undefined ? undefined : threadRoot(channel, threadTs);
      if (threadTs !== undefined && root === undefined) {
        throw new Error(`slack-sim: no message ${threadTs} in ${channel} to reply to`);
      }
      const at = now();
      return store({
        channel,
        ts: nextTs(),
        threadTs: root,
        text,
        blocks,
        user,
        botId: undefined,
        versions: [{ text, blocks, at }],
        replies: [],
        postedAt: at,
      });
    },
    messages: (channel) => topLevel.get(channel) ?? [],
    message: (channel, ts) => byKey.get(key(channel, ts)),
    thread: (channel, ts) => byKey.get(key(channel, ts))?.replies ?? [],
    ephemerals: (user) => ephemerals.filter((e) => user === undefined || e.user === user),
    responseUrl,
    async waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      let lastError: unknown;
      for (;;) {
        try {
          const value = predicate();
          if (value !== undefined && value !== null && value !== false) return value as T;
          lastError = undefined;
        } catch (error) {
          lastError = error;
        }
        if (Date.now() >= deadline) {
          const recent = calls
            .slice(-5)
            .map((c) => `${c.method}(${c.ok ? 'ok' : c.error})`)
            .join(', ');
          const why = lastError === undefined ? '' : `; last error: ${errorText(lastError)}`;
          throw new Error(
            `slack-sim waitFor: condition not met within ${timeoutMs} ms${why}; ` +
              `${calls.length} Web API calls so far${recent ? `, last: ${recent}` : ''}`,
          );
        }
        await sleep(10);
      }
    },

    slashCommand(botUrl, args, sign) {
      const responseUrlId = nextId('command');
      const triggerId = args.triggerId ?? newTriggerId();
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

    completions,
    async runFunction(botUrl, args, sign) {
      const functionExecutionId = nextId('Fx');
      const eventId = args.eventId ?? nextId('Ev');
      const token = `xwfp-${nextId('sim')}`;
      functionTokens.add(token);
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
      const res = await sendSignedRequest(botUrl, options.signingSecret, body, 'application/json', sign);
      return { ...res, functionExecutionId, eventId };
    },

    clickButton(botUrl, args, sign) {
      const responseUrlId = nextId('action');
      const triggerId = args.triggerId ?? newTriggerId();
      const team = args.teamId ?? teamId;
      const stored = byKey.get(key(args.channelId, args.messageTs));
      const button = findButton(stored?.blocks, args.actionId);
      const userName = args.userName ?? args.userId.toLowerCase();
      const payload = {
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
          ? slackMessage(stored)
          : { type: 'message', ts: args.messageTs, text: '', user: botUserId, bot_id: botId, blocks: [] },
        state: { values: {} },
        response_url: responseUrl(responseUrlId),
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
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      return send(botUrl, body, sign, responseUrlId, triggerId);
    },

    clearCalls() {
      calls.length = 0;
      unexpected.length = 0;
      responses.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets.clients) ws.terminate();
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return sim;
}

/** `v0=<hex HMAC-SHA256 of "v0:<timestamp>:<rawBody>">`, the value of `X-Slack-Signature`. */
export function signSlackRequest(secret: string, timestamp: number | string, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/** POSTs `rawBody` to `url` signed as Slack signs its requests. */
export async function sendSignedRequest(
  url: string,
  secret: string,
  rawBody: string,
  contentType: string,
  sign: SignOptions = {},
): Promise<SignedResponse> {
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
  const res = await request(url, { method: 'POST', headers, body: rawBody });
  const body = await res.body.text();
  const ms = performance.now() - started;
  return { status: res.statusCode, headers: res.headers, body, json: parseJson(body), ms };
}

function microsToTs(micros: number): string {
  return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

function newTriggerId(): string {
  return `${Math.floor(Date.now() / 1000)}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`;
}

function defaultChannelName(channelId: string): string {
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

function blocksArg(value: unknown): SlackBlock[] | undefined | 'invalid' {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return 'invalid';
  return value.every((b) => isRecord(b) && typeof b.type === 'string') ? (value as SlackBlock[]) : 'invalid';
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
