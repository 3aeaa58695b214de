import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import { createAuthorizer } from './auth/authorize.ts';
import type { AccessPolicy } from './auth/rules.ts';
import { shortFormPolicy } from './auth/short-form.ts';
import { cachedUserGroupResolver } from './auth/usergroups.ts';
import type { Config } from './config.ts';
import type { CampaignGroups } from './core/groups.ts';
import type { Outbox } from './core/outbox.ts';
import type { CatalogStore } from './core/ports.ts';
import type { RequestStore } from './core/store.ts';
import { auditRoutes } from './doors/http/audit/door.ts';
import { hookRoutes } from './doors/http/hooks/door.ts';
import type { HookRule } from './doors/http/hooks/rules.ts';
import { createRunbookAuth } from './doors/http/kit/tokens.ts';
import { runbookCallbacks, runbookRoutes } from './doors/http/runbook/door.ts';
import { mcpRoutes } from './doors/mcp/door.ts';
import { registerListeners } from './doors/slack/index.ts';
import { slackListeners } from './doors/slack/listeners.ts';
import type { HttpLimits } from './http/server.ts';
import { type CampaignCatalog, type CatalogSource, createCatalog } from './lifecycle/catalog.ts';
import type { ChangeFeed } from './lifecycle/changes.ts';
import { type CampaignExecutor, createLifecycle } from './lifecycle/lifecycle.ts';
import type { CampaignLookup } from './lifecycle/lookup.ts';
import { createOutboxDrainer } from './lifecycle/outbox-drainer.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { MoEngageClient, type MoEngageClientOptions } from './moengage/client.ts';
import { credentialProbe, watchCredentials } from './moengage/credential-check.ts';
import type { CallLimiter } from './moengage/limiter.ts';
import { CampaignSearch } from './moengage/search.ts';
import { opsHandlers, type ReadinessCheck, readinessOf } from './ops.ts';
import { createSlackApp, startServer } from './server.ts';
import { createSlackNotifier } from './slack/notifier.ts';
import { classifySlackFailure, slackDelivery } from './slack/outbox-delivery.ts';
import { pacedPort } from './slack/paced-port.ts';
import { webClientPort } from './slack/web-port.ts';
import type { AuditTrail } from './stores/audit-trail.ts';
import { createMemoryCatalogStore } from './stores/catalog.ts';
import { createMemoryDeduper, type Deduper } from './stores/dedupe.ts';
import { createMemoryIdempotency, type IdempotencyStore } from './stores/idempotency.ts';
import { createMemoryStore } from './stores/memory-store.ts';
import { createMemoryOutbox } from './stores/outbox-memory.ts';
import { type TimingOverrides, type Timings, timingsOf } from './timings.ts';
import { VERSION } from './version.ts';

export { StartupError } from './server.ts';

export interface BotOptions {
  /** Defaults to a MoEngageClient built from the config (with `limiter` and `moengageOptions`, when given). */
  moengage?: CampaignExecutor;
  moengageOptions?: Pick<MoEngageClientOptions, 'retryPolicy' | 'requestTimeoutMs' | 'maxRequestTimeoutMs'>;
  /** Shared state for replicas (see stores/connect.ts); defaults to the in-memory store and in-process limiter. */
  store?: RequestStore;
  /** Where the campaign catalog is kept (SQLite or Redis; see stores/connect.ts); memory by default. */
  catalogStore?: CatalogStore;
  limiter?: CallLimiter;
  /** MoEngage's campaign search for the look before confirming: built from the config by default; false: none. */
  search?: CampaignLookup | false;
  searchLimiter?: CallLimiter;
  dedupe?: Deduper;
  changes?: ChangeFeed;
  /** Where the audit trail is kept beside the log (SQLite or Redis; see stores/connect.ts). */
  auditTrail?: AuditTrail;
  /** Where Slack posts and edits wait for Slack (SQLite or Redis; see stores/connect.ts); memory by default. */
  outbox?: Outbox;
  /** Whether another runner can continue a run this one hands back on shutdown (see stores/connect.ts). */
  handBack?: boolean;
  /** The store is this process's alone (a SQLite file): at start, its unfinished runs are resumed at once. */
  exclusiveStore?: boolean;
  /** Named lists of campaign ids (`group:NAME`), loaded from CAMPAIGN_GROUPS_FILE. */
  groups?: CampaignGroups;
  /** The rules from ACCESS_POLICY_FILE; without it, the short form read from the config. */
  policy?: AccessPolicy;
  /** Where Idempotency-Key answers of the runbook API are kept (Redis for replicas). */
  idempotency?: IdempotencyStore;
  /** Extra readiness checks, e.g. Redis taking a write (see stores/connect.ts). */
  readinessChecks?: Record<string, () => Promise<boolean>>;
  /** False once a dependency's client has given up for good (see stores/connect.ts): /healthz then fails. */
  alive?: () => boolean;
  /**
   * MoEngage's acceptance of the credentials, checked at start and every `timings.credentialCheckMs` with the
   * bot's own client (see moengage/credential-check.ts): readiness check `moengage_credentials`. false: off.
   */
  credentialCheck?: boolean;
  host?: string;
  httpLimits?: Partial<HttpLimits>;
  /** The lifecycle's clock; tests move it forward (a PAUSE for two hours, in a moment). */
  now?: () => number;
  /** HOOK_RULES_FILE's rules (main.ts loads the file). */
  hookRules?: readonly HookRule[];
  /** Faster leases, sweeps, waits and paces over production's (see timings.ts); tests pass them. */
  timings?: TimingOverrides;
  /**
   * Tests only, never from the environment: an MCP client without an Authorization header acts as this agent (the
   * MCP conformance suite sends none). The agent still has only what the policy grants `agent:<name>`.
   */
  mcpOpenAgent?: string;
}

export interface RunningBot {
  /** The HTTP port: Slack's endpoint (HTTP mode), /healthz, the runbook API, and /readyz and /metrics unless… */
  port: number;
  /** …METRICS_PORT gives them (and /healthz) a port of their own. */
  opsPort?: number;
  app: App;
  /** Stops taking work, lets running executions finish (bounded), reports every id, then closes. */
  stop(): Promise<void>;
}

/** The rules of the first version's variables (see short-form.ts). */
export function shortFormOf(config: Config): AccessPolicy {
  return shortFormPolicy({
    allowedUserIds: config.allowedUserIds,
    allowedChannelIds: config.allowedChannelIds,
    secondApproverActions: config.secondApproverActions,
    hooks: [...config.hookSecrets.keys()],
    agents: config.mcpTokens.map((t) => ({
      name: t.name,
      actions: t.actions ?? [],
      channels: t.channels ?? [],
    })),
    tokens: config.runbookTokens.map((t) => ({
      name: t.name,
      actions: t.actions ?? [],
      channels: t.channels ?? [],
      autoExecute: t.auto_execute ?? [],
    })),
  });
}

/**
 * Composes the bot from a parsed config and starts it: clients first (Slack's, MoEngage's, the outbox), then the
 * policy and the lifecycle over them, then the doors (Slack listeners, the runbook, audit, hooks and agent
 * routes), then the server; then the lifecycle's sweeps. The only callers besides tests, benches and the demo
 * are main.ts.
 */
export async function startBot(
  config: Config,
  logger: Logger,
  options: BotOptions = {},
): Promise<RunningBot> {
  const timings = timingsOf(config, options.timings);
  const now = options.now ?? Date.now;
  const state = { alive: true, slackAuthenticated: false };
  const metrics = createMetrics();
  const dedupe = options.dedupe ?? createMemoryDeduper();
  const store = options.store ?? createMemoryStore();

  const { app, receiver } = createSlackApp(config, logger, { slackRetries: timings.slackRetries });
  const slack = pacedPort(webClientPort(app.client, { teamId: config.slack.teamId }), {
    ...timings.slackPace,
    log: logger.child({ module: 'slack-pacer' }),
    onGivenUp: metrics.slackGivenUp,
  });
  const moengage = moengageOf(config, logger, options, metrics, timings.credentialCheckMs);
  // Everything shown after a confirmation is up waits in the outbox until Slack takes it (any replica sends it).
  const outbox = options.outbox ?? createMemoryOutbox();
  const outboxLog = logger.child({ module: 'slack-outbox' });
  const drainer = createOutboxDrainer({
    outbox,
    deliver: slackDelivery(slack, outboxLog, (id) => store.get(id)),
    classify: classifySlackFailure,
    log: outboxLog,
    onDropped: metrics.outboxDropped,
    onRetry: metrics.outboxRetry,
    timings: timings.outbox,
  });
  metrics.watchOutbox(() => outbox.stats());

  const userGroups = cachedUserGroupResolver((id) => slack.groupMembers(id));
  const policy = options.policy ?? shortFormOf(config);
  const runbookAuth = createRunbookAuth(config.runbookTokens, {
    seenSignature: (signature) => dedupe.firstTime(`signature:${signature}`, 10 * 60_000),
  });
  const proposalRules = {
    maxIds: config.maxCampaignsPerCommand,
    requireReasonFor: config.requireReasonActions,
  };
  // The runbook door's part of what the lifecycle tells: a callback_url is called once its request settles.
  const withCallbacks = runbookCallbacks({
    store,
    keyOf: runbookAuth.keyOf,
    logger,
    allowLoopback: config.callbackAllowLoopback,
    backoffMs: timings.callbackBackoffMs,
  });
  const catalog = catalogOf(config, logger, options, moengage.search, timings);
  const lifecycle = createLifecycle({
    catalog,
    store,
    moengage: moengage.executor,
    notifier: withCallbacks(createSlackNotifier(slack, logger, (id) => store.get(id), outbox, drainer.kick)),
    authorize: createAuthorizer(policy, userGroups),
    groups: options.groups ?? new Map(),
    proposalRules,
    ttlMs: config.confirmationTtlSeconds * 1000,
    logger,
    observe: metrics.event,
    onRepeated: metrics.repeated,
    handBack: options.handBack,
    exclusiveStore: options.exclusiveStore,
    resumeWindowMs: config.resumeWindowMinutes * 60_000,
    undoWindowHours: config.undoWindowHours,
    quota: moengage.quota,
    now,
    escalateTo: config.escalateTo,
    escalateAfterMs: timings.escalateAfterMs,
    leaseMs: timings.leaseMs,
    sweepMs: timings.sweepMs,
    onSweep: metrics.sweep,
    progressMs: timings.progressMs,
    staleLookupMs: timings.staleLookupMs,
    changes: options.changes,
    auditTrail: options.auditTrail,
    lookup: moengage.search,
    lookupRules: moengage.search ? { stopBeyondScheduled: config.moengage.apiVersion === 'v5' } : undefined,
  });

  const slackDoor = slackListeners(lifecycle, {
    slack,
    logger,
    dedupe,
    proposalRules,
    onCommand: metrics.command,
    timeZone: config.timeZone,
    invalidateGroups: userGroups.invalidate,
    now,
    stepTokenLifeMs: timings.stepTokenLifeMs,
  });
  registerListeners(app, slackDoor.listeners);
  // Unhandled listener errors reach the person (the payload's response_url, or an ephemeral), not only the log.
  app.error(slackDoor.onError);
  const runbook = runbookRoutes(lifecycle, {
    auth: runbookAuth,
    idempotency: options.idempotency ?? createMemoryIdempotency(),
    logger,
    allowLoopbackCallback: config.callbackAllowLoopback,
    timeZone: config.timeZone,
    now,
  });
  const agents = mcpRoutes(lifecycle, {
    tokens: config.mcpTokens,
    allowedOrigins: config.mcpAllowedOrigins,
    ...(options.mcpOpenAgent !== undefined ? { openAgent: options.mcpOpenAgent } : {}),
    logger,
    timeZone: config.timeZone,
    now,
  });
  const readiness = readinessOf(
    () => ({ slack: state.slackAuthenticated, accepting: state.alive }),
    { ...options.readinessChecks, ...moengage.readinessChecks },
    logger,
  );
  metrics.watchReadiness(readiness);
  // A run is taken over within a sweep of its lease lapsing (after a store outage, within one more lease): one due
  // for longer than two leases and a minute is stuck.
  metrics.watchRuns(async () => (await store.runsDue(now() - 2 * timings.leaseMs - 60_000)).length);
  const server = await startServer({
    config,
    logger,
    app,
    receiver,
    handlers: {
      ...opsHandlers({
        alive: () => state.alive && (options.alive?.() ?? true),
        readiness,
        metrics,
      }),
      ...runbook.routes,
      ...auditRoutes({
        auth: runbookAuth,
        tokens: config.runbookTokens,
        trail: options.auditTrail,
        retentionDays: config.auditRetentionDays,
        logger,
        now,
      }),
      ...hookRoutes(lifecycle, {
        secrets: config.hookSecrets,
        grafana: config.hookGrafana,
        rules: options.hookRules ?? [],
        idempotency: options.idempotency ?? createMemoryIdempotency(),
        logger,
        now,
      }),
      ...agents.routes,
    },
    bearer: runbook.bearer,
    preauths: { agent: agents.preauth },
    onAck: metrics.ack,
    host: options.host ?? '0.0.0.0',
    limits: options.httpLimits,
  });
  state.slackAuthenticated = true;
  lifecycle.start();
  catalog?.start();
  logReady(logger, config, options, server.port, policy);

  return {
    port: server.port,
    opsPort: server.opsPort,
    app,
    async stop() {
      if (!state.alive) return;
      state.alive = false;
      await lifecycle.stop();
      await catalog?.stop();
      moengage.stopWatching();
      slackDoor.close();
      // Stop taking new work first: Slack retries elsewhere (another replica) or later.
      await server.stop();
      const drained = await lifecycle.drain(timings.shutdownGraceMs);
      logger.info(drained, 'executions drained');
      // What the runs reported is queued; sent within the grace, else left for a replica or the next start.
      await drainer.stop();
      await moengage.close();
    },
  };
}

/**
 * MoEngage as the bot uses it: the executor (the caller's, or a client built from the config, whose limiter the
 * metrics watch), the search for the look before confirming (the caller's; else one built from the config under
 * CAMPAIGN_LOOKUP=on; false: none), the App Home's quota line, and the watch on MoEngage's acceptance of the key
 * (with the bot's own client only).
 */
function moengageOf(
  config: Config,
  logger: Logger,
  options: BotOptions,
  metrics: Metrics,
  checkEveryMs: number,
) {
  const { baseUrl, workspaceId, apiKey, apiVersion } = config.moengage;
  const account = { baseUrl, workspaceId, apiKey, apiVersion, logger };
  const client =
    options.moengage === undefined
      ? new MoEngageClient({
          ...account,
          limiter: options.limiter,
          ...options.moengageOptions,
          onRequest: metrics.moengage,
        })
      : undefined;
  if (client) metrics.watchLimiter(() => client.limiter.stats());
  const ownSearch =
    options.search === undefined && config.moengage.lookup
      ? new CampaignSearch({ ...account, limiter: options.searchLimiter })
      : undefined;
  const credentials =
    client && options.credentialCheck !== false
      ? watchCredentials({
          probe: credentialProbe({
            ...config.moengage,
            statusLimiter: client.limiter,
            searchLimiter: options.searchLimiter ?? ownSearch?.limiter,
          }),
          logger,
          where: baseUrl,
          everyMs: checkEveryMs,
        })
      : undefined;
  const limiter = options.limiter ?? client?.limiter;
  const usage = limiter?.usage;
  const readinessChecks: Record<string, ReadinessCheck> = credentials
    ? { moengage_credentials: credentials.check }
    : {};
  return {
    executor: options.moengage ?? (client as MoEngageClient),
    search: options.search === false ? undefined : (options.search ?? ownSearch),
    quota: usage ? () => usage.call(limiter) : undefined,
    readinessChecks,
    stopWatching: () => credentials?.stop(),
    async close() {
      await client?.close();
      await ownSearch?.close();
    },
  };
}

/**
 * The campaign catalog, listed through MoEngage's campaign search (CAMPAIGN_CATALOG=on, the default, with
 * CAMPAIGN_LOOKUP=on), kept in the shared store (memory without one), keyed by the workspace.
 */
function catalogOf(
  config: Config,
  logger: Logger,
  options: BotOptions,
  search: CampaignLookup | undefined,
  timings: Timings,
): CampaignCatalog | undefined {
  const source = search as Partial<CatalogSource> | undefined;
  if (!config.moengage.catalog || !source?.page || !source.lookup) return undefined;
  return createCatalog({
    workspace: config.moengage.workspaceId,
    store: options.catalogStore ?? createMemoryCatalogStore(),
    source: source as CatalogSource,
    log: logger,
    timings: timings.catalog,
    now: options.now,
  });
}

/**
 * The line that says the bot is up, which version on which Node, and how it was put together; and a warning when
 * its state is memory only.
 */
function logReady(logger: Logger, config: Config, options: BotOptions, port: number, policy: AccessPolicy) {
  if (!options.store) {
    logger.warn(
      'pending confirmations are kept in memory: they do not survive a restart, and replicas do not share them (set REDIS_URL or SQLITE_PATH)',
    );
  }
  logger.info(
    {
      version: VERSION,
      node: process.version,
      mode: config.slack.mode,
      port,
      policy: policy.source,
      rules: policy.rules.map((r) => r.name),
      moengageApi:
        config.moengage.apiVersion === 'v5'
          ? 'v5 (PATCH /v5/campaigns/{id}/status, one campaign per request, Idempotency-Key)'
          : 'v1 (POST /core-services/v1/campaigns/status, 10 per request; API-created campaigns only)',
    },
    'campaign bot ready',
  );
}
