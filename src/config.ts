import { z } from 'zod';
import { CAMPAIGN_ACTIONS } from './core/actions.ts';
import { GRAFANA_DEFAULTS, HOOK_SOURCES } from './core/sources.ts';

/**
 * Runbook credentials (RUNBOOK_TOKENS): named tokens. Without ACCESS_POLICY_FILE each also carries its grant
 * (actions, channels, auto_execute: the short form of a rule); with the file, rules name it as `token:<name>`
 * and the grant fields must be left out (config.ts checks). Only SHA-256 hashes of the tokens are kept.
 */
/**
 * A variable holding JSON with secrets in it. JSON.parse's own message quotes the text, so a parse failure says
 * only what is expected, never what was given.
 */
function secretJson(empty: unknown, expected: string) {
  return optional(z.string()).transform((v, ctx) => {
    if (v === undefined) return empty;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: expected });
      return z.NEVER;
    }
  });
}

const runbookTokensSchema = z
  .array(
    z.strictObject({
      name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lower-case letters, digits, _ or -'),
      token: z.string().min(32, 'at least 32 characters (e.g. `openssl rand -hex 32`)'),
      actions: z.array(z.enum(CAMPAIGN_ACTIONS)).min(1).optional(),
      channels: z
        .array(z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'Slack channel ids (C…, G…)'))
        .min(1)
        .optional(),
      auto_execute: z.array(z.enum(CAMPAIGN_ACTIONS)).optional(),
      /** May export the audit trail (`GET /api/v1/audit`). */
      read_audit: z.boolean().optional(),
    }),
  )
  .superRefine((tokens, ctx) => {
    const seen = new Set<string>();
    tokens.forEach((t, i) => {
      // One name, one idempotency namespace and one HMAC key: two tokens may not share it.
      if (seen.has(t.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'used by an earlier token' });
      seen.add(t.name);
      if (t.auto_execute?.includes('STOP')) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'auto_execute'],
          message:
            'a STOP would run with nobody approving it; write a rule with approvals: 0 in ACCESS_POLICY_FILE if that is meant',
        });
      }
    });
  });

/**
 * AI agents' credentials for the MCP door (MCP_TOKENS): named tokens, as RUNBOOK_TOKENS without auto_execute (an
 * agent asks, people approve). Without ACCESS_POLICY_FILE each carries its actions and channels; with the file,
 * rules name it as `agent:<name>`. Only SHA-256 hashes of the tokens are kept.
 */
const mcpTokensSchema = z
  .array(
    z.strictObject({
      name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lower-case letters, digits, _ or -'),
      token: z.string().min(32, 'at least 32 characters (e.g. `openssl rand -hex 32`)'),
      actions: z.array(z.enum(CAMPAIGN_ACTIONS)).min(1).optional(),
      channels: z
        .array(z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'Slack channel ids (C…, G…)'))
        .min(1)
        .optional(),
    }),
  )
  .superRefine((tokens, ctx) => {
    const seen = new Set<string>();
    tokens.forEach((t, i) => {
      if (seen.has(t.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'used by an earlier agent' });
      seen.add(t.name);
    });
  });

/** The most secrets one source may have (each is tried on every delivery): PagerDuty allows 10 per scope. */
const MAX_HOOK_SECRETS = 50;
const hookSecret = z.string().min(16, 'a secret of at least 16 characters');
/**
 * HOOK_SECRETS: per source, `{name: secret}` (any number, each named, so logs and audit say which subscription
 * signed), or the first version's forms: one secret, or a list (named by position: `1`, `2`, …).
 */
const hookSecretsSchema = z
  .partialRecord(
    z.enum(HOOK_SOURCES, `each key must be one of ${HOOK_SOURCES.join(', ')}`),
    // The first version's forms read as names by position, so every problem is named the same way.
    z.preprocess(
      (v) =>
        typeof v === 'string'
          ? { '1': v }
          : Array.isArray(v)
            ? Object.fromEntries(v.map((secret, i) => [String(i + 1), secret]))
            : v,
      z.record(z.string(), hookSecret).superRefine((r, ctx) => {
        const names = Object.keys(r);
        if (names.length === 0) ctx.addIssue({ code: 'custom', message: 'name at least one secret' });
        if (names.length > MAX_HOOK_SECRETS)
          ctx.addIssue({ code: 'custom', message: `${MAX_HOOK_SECRETS} secrets at most` });
        for (const name of names.filter((n) => !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(n))) {
          ctx.addIssue({ code: 'custom', path: [name], message: 'a name of 1–64 letters, digits, _ . or -' });
        }
      }),
    ),
  )
  .transform(
    (r) =>
      new Map(
        Object.entries(r).flatMap(([source, v]) =>
          v === undefined
            ? []
            : [[source, Object.entries(v).map(([name, secret]) => ({ name, secret }))] as const],
        ),
      ),
  );

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;

/** MoEngage's data centers: the dashboard URL `dashboard-{dc}.moengage.com` names the user's. */
export const DATA_CENTERS = ['01', '02', '03', '04', '05', '06', '101'] as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Empty strings count as unset, as t3-env does: `FOO=` in a .env file means "use the default". */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

const idList = (pattern: RegExp, what: string) =>
  optional(z.string())
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    )
    .pipe(z.array(z.string().regex(pattern, `each entry must be ${what}`)));

/** A comma-separated list of actions, any case; `NONE` (or empty) is the empty list. */
const actionList = (fallback: string) =>
  optional(z.string())
    .transform((v) =>
      (v ?? fallback)
        .split(',')
        .map((s) => s.trim().toUpperCase())
        .filter((s) => s !== '' && s !== 'NONE'),
    )
    .pipe(z.array(z.enum(CAMPAIGN_ACTIONS, `each entry must be one of ${CAMPAIGN_ACTIONS.join(', ')}`)));

const positiveInt = (fallback: number, max: number) =>
  optional(z.coerce.number().int().min(1).max(max)).transform((v) => v ?? fallback);

const httpUrl = z.url({ protocol: /^https?$/ });

/** `host:port`, the host a name, an IPv4 address or a bracketed IPv6 address. */
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([1-9][0-9]{0,4})$/;

/**
 * Origins a browser-based MCP client may call /mcp from, beside none (a desktop client, a CLI) and loopback ones:
 * `scheme://host[:port]`, compared as the browser sends them.
 */
const originList = optional(z.string())
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  )
  .pipe(
    z.array(
      z
        .string()
        .regex(/^[a-z][a-z0-9+.-]*:\/\/[^\s/?#]+$/i, 'each entry must be an origin (https://host[:port])')
        .transform((o) => o.toLowerCase()),
    ),
  );

const schema = z.object({
  SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'must be a bot token starting with xoxb-'),
  SLACK_SIGNING_SECRET: optional(z.string().min(8)),
  SLACK_APP_TOKEN: optional(z.string().regex(/^xapp-/, 'must be an app-level token starting with xapp-')),
  SLACK_TEAM_ID: optional(z.string().regex(/^T[A-Z0-9]{2,}$/, 'must be a workspace id (T…)')),
  SLACK_API_URL: optional(httpUrl).transform((v) => withTrailingSlash(v ?? 'https://slack.com/api/')),
  PORT: optional(z.coerce.number().int().min(0).max(65535)).transform((v) => v ?? 3000),
  METRICS_PORT: optional(z.coerce.number().int().min(0).max(65535)),
  MOENGAGE_WORKSPACE_ID: z.string().regex(/^[A-Za-z0-9_-]{4,64}$/, 'must be the workspace (app) id'),
  MOENGAGE_API_KEY: z.string().min(8, 'must be the API key from the MoEngage dashboard'),
  MOENGAGE_DATA_CENTER: optional(z.enum(DATA_CENTERS)),
  MOENGAGE_BASE_URL: optional(httpUrl),
  MOENGAGE_API_VERSION: optional(
    z.enum(['v1', 'v5'], 'must be v1 (the batch API) or v5 (one campaign per call)'),
  ).transform((v) => v ?? 'v1'),
  CAMPAIGN_LOOKUP: optional(z.enum(['on', 'off'], 'must be on or off')).transform((v) => v ?? 'on'),
  CAMPAIGN_CATALOG: optional(z.enum(['on', 'off'], 'must be on or off')).transform((v) => v ?? 'on'),
  CATALOG_REFRESH_MINUTES: positiveInt(15, 1_440),
  CATALOG_SEARCH_PER_MINUTE: positiveInt(40, 90),
  ALLOWED_USER_IDS: idList(/^[UWS][A-Z0-9]{2,}$/, 'a Slack user id (U…, W…) or user-group id (S…)'),
  ALLOWED_CHANNEL_IDS: idList(/^[CGD][A-Z0-9]{2,}$/, 'a Slack channel id (C…, G…, D…)'),
  SECOND_APPROVER_ACTIONS: actionList('STOP'),
  CONFIRMATION_TTL_SECONDS: positiveInt(900, 86_400),
  MAX_CAMPAIGNS_PER_COMMAND: positiveInt(100, 10_000),
  CAMPAIGN_GROUPS_FILE: optional(z.string().min(1)),
  ACCESS_POLICY_FILE: optional(z.string().min(1)),
  RUNBOOK_TOKENS: secretJson(
    [],
    'must be a JSON array of {name, token, actions?, channels?, auto_execute?}',
  ).pipe(runbookTokensSchema),
  MCP_TOKENS: secretJson([], 'must be a JSON array of {name, token, actions?, channels?}').pipe(
    mcpTokensSchema,
  ),
  MCP_ALLOWED_ORIGINS: originList,
  /**
   * Incident tools' webhooks: each source with its secrets, named (`{"pagerduty": {"checkout": "<secret>",
   * "payments": "<secret>"}}`: one per PagerDuty subscription) or, as before, one secret or a list of them.
   */
  HOOK_SECRETS: secretJson(
    {},
    'must be a JSON object of source → {name: secret, …} (or a secret, or a list of secrets)',
  ).pipe(hookSecretsSchema),
  /** Grafana's HMAC header names (its contact point's settings); `none` for the timestamp takes body-only signatures. */
  HOOK_GRAFANA_SIGNATURE_HEADER: optional(z.string().regex(HEADER_NAME, 'must be an HTTP header name')),
  HOOK_GRAFANA_TIMESTAMP_HEADER: optional(
    z.string().regex(HEADER_NAME, 'must be an HTTP header name, or none'),
  ),
  HOOK_RULES_FILE: optional(z.string().min(1)),
  /** Lets a runbook's callback_url be http://127.0.0.1 (a sidecar, tests); otherwise HTTPS only. */
  CALLBACK_ALLOW_LOOPBACK: optional(z.enum(['on', 'off'], 'must be on or off')).transform((v) => v === 'on'),
  REQUIRE_REASON_ACTIONS: actionList(''),
  UNDO_WINDOW_HOURS: positiveInt(24, 24 * 30),
  AUDIT_RETENTION_DAYS: positiveInt(90, 3_650),
  /** The wall clock of `pause … until 18:00` (an IANA name); Slack shows every time in each reader's own zone. */
  TIME_ZONE: optional(
    z.string().refine((v) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: v });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Europe/Berlin or UTC'),
  ).transform((v) => v ?? 'UTC'),
  ESCALATE_TO: optional(z.string().regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user-group id (S…)')),
  ESCALATE_AFTER_MINUTES: positiveInt(10, 1_440),
  REDIS_URL: optional(z.url({ protocol: /^rediss?$/ })),
  /** Sentinels to ask where the master is (`host:port,host:port`); REDIS_URL then gives only credentials, db, TLS. */
  REDIS_SENTINELS: optional(z.string())
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    )
    .pipe(z.array(z.string().regex(HOST_PORT, 'each entry must be host:port (e.g. sentinel-1:26379)'))),
  REDIS_SENTINEL_NAME: optional(
    z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be the master group name the sentinels monitor'),
  ),
  REDIS_SENTINEL_PASSWORD: optional(z.string().min(1)),
  REDIS_SENTINEL_TLS: optional(z.enum(['on', 'off'], 'must be on or off')).transform((v) => v === 'on'),
  SQLITE_PATH: optional(z.string().min(1)).transform((v) => v ?? 'data/campaign-bot.sqlite'),
  REDIS_KEY_PREFIX: optional(
    z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1–64 of A-Z a-z 0-9 : _ . -'),
  ).transform((v) => v ?? 'campaign-bot:'),
  RESUME_WINDOW_MINUTES: positiveInt(60, 10_080),
  RUN_LEASE_SECONDS: positiveInt(10, 300),
  SHUTDOWN_GRACE_SECONDS: optional(z.coerce.number().int().min(0).max(600)).transform((v) => v ?? 25),
  LOG_LEVEL: optional(z.enum(LOG_LEVELS)).transform((v) => v ?? 'info'),
});

/** Every variable the bot reads, in the schema's order (.env.example lists each; a test holds them together). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

/** Rules across variables, checked on the raw environment so they are reported even when others fail too. */
function crossFieldProblems(env: Record<string, string | undefined>): string[] {
  const set = (name: string) => (env[name] ?? '').trim() !== '';
  const problems: string[] = [];
  if (!set('SLACK_APP_TOKEN') && !set('SLACK_SIGNING_SECRET')) {
    problems.push(
      'SLACK_SIGNING_SECRET: is required in HTTP mode (set it, or set SLACK_APP_TOKEN for Socket Mode)',
    );
  }
  if (!set('MOENGAGE_DATA_CENTER') && !set('MOENGAGE_BASE_URL')) {
    problems.push(
      `MOENGAGE_DATA_CENTER: set it to one of ${DATA_CENTERS.join(', ')} (or set MOENGAGE_BASE_URL)`,
    );
  }
  if (set('ACCESS_POLICY_FILE')) {
    // The file replaces the short form; both at once would grant the union, which nobody reading one expects.
    for (const name of ['ALLOWED_USER_IDS', 'ALLOWED_CHANNEL_IDS', 'SECOND_APPROVER_ACTIONS']) {
      if (set(name))
        problems.push(`${name}: leave it unset when ACCESS_POLICY_FILE is set (write it as a rule)`);
    }
  }
  problems.push(...tokenGrantProblems('RUNBOOK_TOKENS', env.RUNBOOK_TOKENS, set('ACCESS_POLICY_FILE')));
  problems.push(...tokenGrantProblems('MCP_TOKENS', env.MCP_TOKENS, set('ACCESS_POLICY_FILE')));
  problems.push(...sentinelProblems(set));
  if (set('HOOK_RULES_FILE') && !set('HOOK_SECRETS')) {
    problems.push('HOOK_RULES_FILE: set HOOK_SECRETS too (no webhook is verified, so none is taken)');
  }
  return problems;
}

/** The sentinel variables come together: a name with the sentinels, and nothing of theirs without them. */
function sentinelProblems(set: (name: string) => boolean): string[] {
  if (set('REDIS_SENTINELS')) {
    return set('REDIS_SENTINEL_NAME')
      ? []
      : ['REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS (the master group name they monitor)'];
  }
  return ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_SENTINEL_TLS']
    .filter(set)
    .map((name) => `${name}: only used with REDIS_SENTINELS (set it, or leave this unset)`);
}

/**
 * With a policy file, tokens (runbooks' and agents') carry no grant of their own; without one, each must say what
 * it may do.
 */
function tokenGrantProblems(
  variable: 'RUNBOOK_TOKENS' | 'MCP_TOKENS',
  raw: string | undefined,
  withFile: boolean,
) {
  let tokens: unknown;
  try {
    tokens = raw ? JSON.parse(raw) : [];
  } catch {
    return [];
  }
  if (!Array.isArray(tokens)) return [];
  const problems: string[] = [];
  tokens.forEach((t: Record<string, unknown> | null, i) => {
    if (typeof t !== 'object' || t === null) return;
    const principal = variable === 'MCP_TOKENS' ? 'agent' : 'token';
    for (const field of ['actions', 'channels', 'auto_execute']) {
      if (withFile && field in t) {
        problems.push(
          `${variable}: ${i}.${field}: leave it out when ACCESS_POLICY_FILE is set (a rule grants ${principal}:${String(t.name)})`,
        );
      }
    }
    if (!withFile) {
      for (const field of ['actions', 'channels']) {
        if (!(field in t))
          problems.push(`${variable}: ${i}.${field}: is required without ACCESS_POLICY_FILE`);
      }
    }
  });
  return problems;
}

function hostAndPort(entry: string): { host: string; port: number } {
  const m = HOST_PORT.exec(entry) as RegExpExecArray;
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** The parsed environment, shaped for the bot. The type is the schema's output: one source of truth. */
const configSchema = schema.transform((e) =>
  Object.freeze({
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      teamId: e.SLACK_TEAM_ID,
      mode: (e.SLACK_APP_TOKEN ? 'socket' : 'http') as 'http' | 'socket',
    },
    port: e.PORT,
    // /metrics and /readyz on a port of their own (not the one Slack and runbooks reach), when it differs.
    metricsPort:
      e.METRICS_PORT !== undefined && (e.METRICS_PORT === 0 || e.METRICS_PORT !== e.PORT)
        ? e.METRICS_PORT
        : undefined,
    moengage: {
      workspaceId: e.MOENGAGE_WORKSPACE_ID,
      apiKey: e.MOENGAGE_API_KEY,
      baseUrl: e.MOENGAGE_BASE_URL ?? `https://api-${e.MOENGAGE_DATA_CENTER}.moengage.com`,
      apiVersion: e.MOENGAGE_API_VERSION,
      lookup: e.CAMPAIGN_LOOKUP === 'on',
      // The catalog is listed through the campaign search: no search, no catalog.
      catalog:
        e.CAMPAIGN_LOOKUP === 'on' && e.CAMPAIGN_CATALOG === 'on'
          ? { refreshMinutes: e.CATALOG_REFRESH_MINUTES, searchPerMinute: e.CATALOG_SEARCH_PER_MINUTE }
          : undefined,
    },
    allowedUserIds: e.ALLOWED_USER_IDS,
    allowedChannelIds: e.ALLOWED_CHANNEL_IDS,
    secondApproverActions: [...new Set(e.SECOND_APPROVER_ACTIONS)],
    confirmationTtlSeconds: e.CONFIRMATION_TTL_SECONDS,
    maxCampaignsPerCommand: e.MAX_CAMPAIGNS_PER_COMMAND,
    campaignGroupsFile: e.CAMPAIGN_GROUPS_FILE,
    accessPolicyFile: e.ACCESS_POLICY_FILE,
    hookSecrets: e.HOOK_SECRETS as ReadonlyMap<string, readonly { name: string; secret: string }[]>,
    hookGrafana: {
      signature: e.HOOK_GRAFANA_SIGNATURE_HEADER ?? GRAFANA_DEFAULTS.signature,
      timestamp:
        e.HOOK_GRAFANA_TIMESTAMP_HEADER?.toLowerCase() === 'none'
          ? undefined
          : (e.HOOK_GRAFANA_TIMESTAMP_HEADER ?? GRAFANA_DEFAULTS.timestamp),
    },
    hookRulesFile: e.HOOK_RULES_FILE,
    callbackAllowLoopback: e.CALLBACK_ALLOW_LOOPBACK,
    runbookTokens: e.RUNBOOK_TOKENS,
    mcpTokens: e.MCP_TOKENS,
    mcpAllowedOrigins: e.MCP_ALLOWED_ORIGINS,
    requireReasonActions: [...new Set(e.REQUIRE_REASON_ACTIONS)],
    undoWindowHours: e.UNDO_WINDOW_HOURS,
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    timeZone: e.TIME_ZONE,
    escalateTo: e.ESCALATE_TO,
    escalateAfterMinutes: e.ESCALATE_AFTER_MINUTES,
    redisUrl: e.REDIS_URL,
    /** With REDIS_SENTINELS: where the master is comes from them; REDIS_URL (optional) gives credentials, db, TLS. */
    redisSentinel:
      e.REDIS_SENTINELS.length > 0 && e.REDIS_SENTINEL_NAME !== undefined
        ? {
            sentinels: e.REDIS_SENTINELS.map(hostAndPort),
            name: e.REDIS_SENTINEL_NAME,
            password: e.REDIS_SENTINEL_PASSWORD,
            tls: e.REDIS_SENTINEL_TLS,
          }
        : undefined,
    sqlitePath: e.SQLITE_PATH,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    resumeWindowMinutes: e.RESUME_WINDOW_MINUTES,
    runLeaseSeconds: e.RUN_LEASE_SECONDS,
    logLevel: e.LOG_LEVEL,
  }),
);

export type Config = z.output<typeof configSchema>;

/** Thrown with every problem at once; each names the variable and never its value. */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = configSchema.safeParse(env);
  // Issue messages come from our own schema text only; `input` (the value) is never printed.
  const problems = (parsed.error?.issues ?? []).map((issue) => {
    const name = issue.path.length > 0 ? String(issue.path[0]) : 'environment';
    const where = issue.path.length > 1 ? `${issue.path.slice(1).join('.')}: ` : '';
    // zod 4 leaves the input out of its issues: look at the variable itself to tell "missing" from "wrong".
    const raw = env[name];
    const missing = issue.path.length === 1 && (raw === undefined || raw.trim() === '');
    return `${name}: ${missing ? 'is required' : `${where}${issue.message}`}`;
  });
  problems.push(...crossFieldProblems(env));
  if (!parsed.success || problems.length > 0) {
    const order = Object.keys(schema.shape);
    const rank = (p: string) => order.indexOf(p.split(':')[0] ?? '');
    throw new ConfigError([...new Set(problems)].sort((x, y) => rank(x) - rank(y)));
  }
  return parsed.data;
}

/** Start-up failed for a reason a person can fix; the message says which. */
export class StartupError extends Error {
  readonly code = 'startup_failed';
}
