import type { IncomingMessage } from 'node:http';
import { type Answer, createMethods, fail, type Method, type MethodContext } from './methods.ts';
import { createRateLimiter, SLACK_RATE_LIMITS } from './rate-limits.ts';
import type {
  FunctionCompletion,
  SlackBlock,
  SlackCall,
  SlackSimOptions,
  UnexpectedRequest,
} from './types.ts';
import { isRecord, now, parseJson, str } from './util.ts';

// Guards the lookup in `methods`, where a name like `toString` would otherwise find Object.prototype's.
const KNOWN_METHODS = new Set([
  'functions.completeError',
  'functions.completeSuccess',
  'apps.connections.open',
  'auth.test',
  'chat.postMessage',
  'chat.update',
  'chat.postEphemeral',
  'usergroups.users.list',
  'views.publish',
]);
/** Methods of the newer surfaces, answered by views.ts and unfurls.ts. */
const SURFACE_METHODS = new Set(['views.open', 'views.push', 'views.update', 'chat.unfurl']);
const JSON_FIELDS = ['blocks', 'attachments', 'metadata'] as const;

/** Receives `POST /api/<method>` as Slack does: decodes, authenticates, records, then fails or answers. */
export function createWebApi({
  options,
  surfaceMethods,
  ...context
}: Pick<MethodContext, 'socketUrl' | 'teamId' | 'botUserId' | 'botId' | 'messages'> & {
  options: SlackSimOptions;
  /** views.open, views.push, views.update and chat.unfurl. */
  surfaceMethods: Record<string, Method>;
}) {
  const members = new Set(options.memberChannels ?? []);
  const calls: SlackCall[] = [];
  const unexpected: UnexpectedRequest[] = [];
  const scripted = new Map<string, string[]>();
  // Workflow Builder custom steps: each execution gets a short-lived token that may only complete it.
  // A function's token, valid 15 minutes from the function_executed that carried it, or until its step is
  // completed (Slack's documented life), then refused with token_expired.
  const functionTokens = new Map<string, { until: number; executionId: string | undefined }>();
  const functionTokenValid = (token: string) => {
    const t = functionTokens.get(token);
    return (
      t !== undefined && now() < t.until && !completions.some((c) => c.functionExecutionId === t.executionId)
    );
  };
  const completions: FunctionCompletion[] = [];
  const homeViews = new Map<string, SlackBlock[][]>();
  const userGroups = new Map(Object.entries(options.userGroups ?? {}));
  const methods: Record<string, Method> = createMethods({
    ...context,
    appToken: options.appToken,
    enterpriseInstall: options.enterpriseInstall ?? false,
    members,
    userGroups,
    completions,
    homeViews,
  });
  for (const [name, method] of Object.entries(surfaceMethods))
    if (SURFACE_METHODS.has(name)) methods[name] = method;

  // Slack down (an outage): every Web API call is recorded and answered with this HTTP status, nothing done.
  let outage: number | undefined;

  const limited = createRateLimiter(
    options.rateLimits === undefined ? SLACK_RATE_LIMITS : options.rateLimits,
  );

  const handle = async (req: IncomingMessage, url: URL, raw: Buffer): Promise<Answer> => {
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
              (token !== undefined && functionTokenValid(token))
            ? 'valid'
            : token !== undefined && functionTokens.has(token)
              ? 'expired'
              : 'invalid',
      status: 0,
      ok: false,
      error: undefined,
    };
    calls.push(call);
    // A message posted with a step's token is the step's: interactions on it carry the step (function_data).
    const viaStep =
      token !== undefined && call.auth === 'valid' ? functionTokens.get(token)?.executionId : undefined;
    const answer: Answer =
      outage !== undefined
        ? { status: outage, body: { ok: false, error: 'service_unavailable' } }
        : answerApi(method, viaStep ? { ...args, __function_execution_id: viaStep } : args, call);
    call.status = answer.status;
    call.ok = answer.body.ok === true;
    call.error = typeof answer.body.error === 'string' ? answer.body.error : undefined;
    return answer;
  };

  const answerApi = (method: string, args: Record<string, unknown>, call: SlackCall): Answer => {
    const handler = KNOWN_METHODS.has(method) || SURFACE_METHODS.has(method) ? methods[method] : undefined;
    if (!handler) {
      unexpected.push({ method, path: `/api/${method}`, args, at: call.at });
      return fail('unknown_method');
    }
    if (call.auth === 'missing') return fail('not_authed');
    if (call.auth === 'invalid') return fail('invalid_auth');
    if (call.auth === 'expired') return fail('token_expired');
    const script = scripted.get(method);
    const error = script?.shift();
    if (error !== undefined) {
      return error === 'ratelimited'
        ? { status: 429, body: { ok: false, error }, headers: { 'retry-after': '1' } }
        : fail(error);
    }
    const retryAfter = limited(method, str(args.channel));
    if (retryAfter !== undefined) {
      return {
        status: 429,
        body: { ok: false, error: 'ratelimited' },
        headers: { 'retry-after': String(retryAfter) },
      };
    }
    return handler(args);
  };

  return {
    calls,
    unexpected,
    completions,
    homeViews,
    handle,
    /** A fresh step token, as Slack sends one with each interaction on the step's messages. */
    issueFunctionToken(executionId: string): string {
      const token = `xwfp-${executionId}-${functionTokens.size + 1}`;
      functionTokens.set(token, { until: now() + (options.functionTokenTtlMs ?? 15 * 60_000), executionId });
      return token;
    },
    allowFunctionToken: (token: string, executionId?: string) =>
      void functionTokens.set(token, {
        until: now() + (options.functionTokenTtlMs ?? 15 * 60_000),
        executionId,
      }),
    setOutage(status?: number) {
      outage = status;
    },
    failNext(method: string, error: string, count = 1) {
      const list = scripted.get(method) ?? [];
      for (let i = 0; i < count; i++) list.push(error);
      scripted.set(method, list);
    },
    joinChannel: (channel: string) => void members.add(channel),
    isMember: (channel: string) => members.has(channel),
    /** Replaces a user group's members; returns who was added and removed (for the event Slack sends). */
    setGroupMembers(groupId: string, users: readonly string[]) {
      const before = new Set(userGroups.get(groupId) ?? []);
      userGroups.set(groupId, [...users]);
      return {
        added: users.filter((u) => !before.has(u)),
        removed: [...before].filter((u) => !users.includes(u)),
      };
    },
    leaveChannel: (channel: string) => void members.delete(channel),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
