import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import { createAuthorizer } from './auth/authorize.ts';
import type { AccessPolicy } from './auth/rules.ts';
import { shortFormPolicy } from './auth/short-form.ts';
import { cachedUserGroupResolver } from './auth/usergroups.ts';
import type { Config } from './config.ts';
import type { CampaignGroups } from './core/groups.ts';
import type { Outbox } from './core/outbox.ts';
import type { RequestStore } from './core/store.ts';
import { createAuditExport } from './doors/http/audit/export.ts';
import { createHooksApi } from './doors/http/hooks/api.ts';
import type { HookRule } from './doors/http/hooks/rules.ts';
import { createRunbookAuth } from './doors/http/kit/tokens.ts';
import { createRunbookApi } from './doors/http/runbook/api.ts';
import { withCallbacks } from './doors/http/runbook/callbacks.ts';
import { registerListeners } from './doors/slack/index.ts';
import { slackListeners } from './doors/slack/listeners.ts';
import { createUnhandledErrorReply } from './doors/slack/unhandled.ts';
import type { HttpLimits } from './http/server.ts';
import type { ChangeFeed } from './lifecycle/changes.ts';
import { type CampaignExecutor, createLifecycle } from './lifecycle/lifecycle.ts';
import type { CampaignLookup } from './lifecycle/lookup.ts';
import { createOutboxDrainer, type DrainTimings } from './lifecycle/outbox-drainer.ts';
import { startSweeps } from './lifecycle/sweeps.ts';
import { createMetrics } from './metrics.ts';
import { MoEngageClient, type MoEngageClientOptions } from './moengage/client.ts';
import { credentialProbe, watchCredentials } from './moengage/credential-check.ts';
import type { CallLimiter } from './moengage/limiter.ts';
import { CampaignSearch } from './moengage/search.ts';
import { opsHandlers, readinessOf } from './ops.ts';
import { createSlackApp, startServer } from './server.ts';
import { createSlackNotifier } from './slack/notifier.ts';
import { classifySlackFailure, slackDelivery } from './slack/outbox-delivery.ts';
import { type PaceOptions, pacedPort } from './slack/paced-port.ts';
import { webClientPort } from './slack/web-port.ts';
import type { AuditTrail } from './stores/audit-trail.ts';
import { createMemoryDeduper, type Deduper } from './stores/dedupe.ts';
import { createMemoryIdempotency, type IdempotencyStore } from './stores/idempotency.ts';
import { createMemoryStore } from './stores/memory-store.ts';
import { createMemoryOutbox } from './stores/outbox-memory.ts';

export { StartupError } from './server.ts';

export interface BotOptions {
  /** Defaults to a MoEngageClient built from the config (with `limiter` and `moengageOptions`, when given). */
  moengage?: CampaignExecutor;
  moengageOptions?: Pick<MoEngageClientOptions, 'retryPolicy' | 'requestTimeoutMs' | 'maxRequestTimeoutMs'>;
  /** Shared state for replicas (see shared-state.ts); defaults to the in-memory store and in-process limiter. */
  store?: RequestStore;
  limiter?: CallLimiter;
  /** MoEngage's campaign search for the look before confirming: built from the config by default; false: none. */
  search?: CampaignLookup | false;
  searchLimiter?: CallLimiter;
  dedupe?: Deduper;
  changes?: ChangeFeed;
  /** Where the audit trail is kept beside the log (SQLite or Redis; see shared-state.ts). */
  auditTrail?: AuditTrail;
  /** Where Slack posts and edits wait for Slack (SQLite or Redis; see shared-state.ts); memory by default. */
  outbox?: Outbox;
  /** The outbox drainer's timings (see outbox-drainer.ts); tests shorten them. */
  outboxTimings?: Partial<DrainTimings>;
  /** Whether another runner can continue a run this one hands back on shutdown (see shared-state.ts). */
  handBack?: boolean;
  /** The store is this process's alone (a SQLite file): at start, its unfinished runs are resumed at once. */
  exclusiveStore?: boolean;
  /** A runner's lease on a run (how soon a crashed run is taken over); tests shorten it. */
  leaseMs?: number;
  /** The per-channel pacing of Slack posts (see paced-port.ts); tests change the rate with the simulator's. */
  slackPace?: Partial<Pick<PaceOptions, 'postsPerSecond' | 'burst' | 'maxAttempts'>>;
  /** ESCALATE_AFTER_MINUTES in ms; tests shorten it. */
  escalateAfterMs?: number;
  /** Slack's life of a Workflow step's token (15 min); tests shorten it with the simulator's. */
  stepTokenLifeMs?: number;
  /** A lookup older than this when a run starts has its flagged ids looked at again (default 30 s). */
  staleLookupMs?: number;
  /** How often a long run's message shows its progress (default 5 s); tests shorten it. */
  progressMs?: number;
  /** Named lists of campaign ids (`group:NAME`), loaded from CAMPAIGN_GROUPS_FILE. */
  groups?: CampaignGroups;
  /** The rules from ACCESS_POLICY_FILE; without it, the short form read from the config. */
  policy?: AccessPolicy;
  /** Where Idempotency-Key answers of the runbook API are kept (Redis for replicas). */
  idempotency?: IdempotencyStore;
  /** Extra readiness checks, e.g. Redis taking a write (see shared-state.ts). */
  readinessChecks?: Record<string, () => Promise<boolean>>;
  /** False once a dependency's client has given up for good (see shared-state.ts): /healthz then fails. */
  alive?: () => boolean;
  /**
   * MoEngage's acceptance of the credentials, checked at start and every `everyMs` (default 10 minutes) with
   * the bot's own client (see moengage/credential-check.ts): readiness check `moengage_credentials`. false: off.
   */
  credentialCheck?: false | { everyMs?: number };
  /** How often pending requests are checked for expiry. */
  expirySweepMs?: number;
  /** Slack Web API retries (the client's default retries for ~30 minutes; tests want 0). */
  slackRetries?: number;
  /** How long shutdown lets running executions finish before cutting them short. */
  shutdownGraceMs?: number;
  host?: string;
  httpLimits?: Partial<HttpLimits>;
  /** The lifecycle's clock; tests move it forward (a PAUSE for two hours, in a moment). */
  now?: () => number;
  /** HOOK_RULES_FILE's rules (index.ts loads the file). */
  hookRules?: readonly HookRule[];
  /** The first wait before a callback is sent again (default 1 s); tests shorten it. */
  callbackBackoffMs?: number;
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
    tokens: config.runbookTokens.map((t) => ({
      name: t.name,
      actions: t.actions ?? [],
      channels: t.channels ?? [],
      autoExecute: t.auto_execute ?? [],
    })),
  });
}

/**
 * Composes the bot from a parsed config and starts it: clients first (Slack's, MoEngage's), then the policy and
 * the lifecycle over them, then the doors (Slack listeners, the runbook API), then the server. The only callers
 * besides tests and the demo are index.ts.
 */
export async function startBot(
  config: Config,
  logger: Logger,
  options: BotOptions = {},
): Promise<RunningBot> {
  const state = { alive: true, slackAuthenticated: false };
  const metrics = createMetrics();
  const dedupe = options.dedupe ?? createMemoryDeduper();
  const groups = options.groups ?? new Map();

  const { app, receiver } = createSlackApp(config, logger, options);
  const slack = pacedPort(webClientPort(app.client, { teamId: config.slack.teamId }), {
    log: logger.child({ module: 'slack-pacer' }),
    onGivenUp: metrics.slackGivenUp,
    ...options.slackPace,
  });
  const ownClient =
    options.moengage === undefined
      ? new MoEngageClient({
          baseUrl: config.moengage.baseUrl,
          workspaceId: config.moengage.workspaceId,
          apiKey: config.moengage.apiKey,
          apiVersion: config.moengage.apiVersion,
          logger,
          ...(options.limiter ? { limiter: options.limiter } : {}),
          ...options.moengageOptions,
          onRequest: metrics.moengage,
        })
      : undefined;
  if (ownClient) metrics.watchLimiter(() => ownClient.limiter.stats());
  const ownSearch =
    options.search === undefined && config.moengage.lookup
      ? new CampaignSearch({
          baseUrl: config.moengage.baseUrl,
          workspaceId: config.moengage.workspaceId,
          apiKey: config.moengage.apiKey,
          apiVersion: config.moengage.apiVersion,
          logger,
          ...(options.searchLimiter ? { limiter: options.searchLimiter } : {}),
        })
      : undefined;
  const search = options.search === false ? undefined : (options.search ?? ownSearch);
  const credentials =
    ownClient && options.credentialCheck !== false
      ? watchCredentials({
          probe: credentialProbe({
            ...config.moengage,
            statusLimiter: ownClient.limiter,
            ...((options.searchLimiter ?? ownSearch?.limiter)
              ? { searchLimiter: options.searchLimiter ?? ownSearch?.limiter }
              : {}),
          }),
          logger,
          where: config.moengage.baseUrl,
          ...(options.credentialCheck?.everyMs ? { everyMs: options.credentialCheck.everyMs } : {}),
        })
      : undefined;

  const proposalRules = {
    maxIds: config.maxCampaignsPerCommand,
    requireReasonFor: config.requireReasonActions,
  };
  const store = options.store ?? createMemoryStore();
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
    // A replica that dies mid-send lets go of its queues as soon as it would of its runs.
    timings: { leaseMs: options.leaseMs ?? config.runLeaseSeconds * 1000, ...options.outboxTimings },
  });
  metrics.watchOutbox(() => outbox.stats());
  const usageOf = (options.limiter ?? ownClient?.limiter)?.usage;
  const quotaOf = usageOf ? () => usageOf.call(options.limiter ?? ownClient?.limiter) : undefined;
  const userGroups = cachedUserGroupResolver((id) => slack.groupMembers(id));
  const policy = options.policy ?? shortFormOf(config);
  const runbookAuth = createRunbookAuth(config.runbookTokens, {
    seenSignature: (signature) => dedupe.firstTime(`signature:${signature}`, 10 * 60_000),
  });
  const lifecycle = createLifecycle({
    store,
    moengage: options.moengage ?? (ownClient as MoEngageClient),
    // A runbook's callback_url is called once its request settles, after Slack is told.
    notifier: withCallbacks(
      createSlackNotifier(slack, logger, (id) => store.get(id), outbox, drainer.kick),
      {
        store,
        keyOf: runbookAuth.keyOf,
        logger,
        allowLoopback: config.callbackAllowLoopback,
        ...(options.callbackBackoffMs !== undefined ? { backoffMs: options.callbackBackoffMs } : {}),
      },
    ),
    authorize: createAuthorizer(policy, userGroups),
    groups,
    proposalRules,
    ttlMs: config.confirmationTtlSeconds * 1000,
    logger,
    observe: metrics.event,
    onRepeated: metrics.repeated,
    handBack: options.handBack ?? false,
    resumeWindowMs: config.resumeWindowMinutes * 60_000,
    undoWindowHours: config.undoWindowHours,
    ...(quotaOf ? { quota: quotaOf } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(config.escalateTo ? { escalateTo: config.escalateTo } : {}),
    escalateAfterMs: options.escalateAfterMs ?? config.escalateAfterMinutes * 60_000,
    leaseMs: options.leaseMs ?? config.runLeaseSeconds * 1000,
    ...(options.progressMs ? { progressMs: options.progressMs } : {}),
    ...(options.staleLookupMs !== undefined ? { staleLookupMs: options.staleLookupMs } : {}),
    ...(options.changes ? { changes: options.changes } : {}),
    ...(options.auditTrail ? { auditTrail: options.auditTrail } : {}),
    ...(search
      ? { lookup: search, lookupRules: { stopBeyondScheduled: config.moengage.apiVersion === 'v5' } }
      : {}),
  });

  const slackDoors = slackListeners({
    lifecycle,
    slack,
    logger,
    dedupe,
    proposalRules,
    onCommand: metrics.command,
    timeZone: config.timeZone,
    invalidateGroups: userGroups.invalidate,
    ...(options.now ? { now: options.now } : {}),
    ...(options.stepTokenLifeMs ? { stepTokenLifeMs: options.stepTokenLifeMs } : {}),
  });
  registerListeners(app, slackDoors.listeners);
  // Unhandled listener errors reach the person (the payload's response_url, or an ephemeral), not only the log.
  app.error(createUnhandledErrorReply({ slack, logger }));

  const ops = opsHandlers({
    alive: () => state.alive && (options.alive?.() ?? true),
    readiness: readinessOf(
      () => ({ slack: state.slackAuthenticated, accepting: state.alive }),
      {
        ...options.readinessChecks,
        ...(credentials ? { moengage_credentials: credentials.check } : {}),
      },
      logger,
    ),
    metrics,
  });
  const hookIdempotency = options.idempotency ?? createMemoryIdempotency();
  const api = runbookAuth.configured
    ? createRunbookApi({
        auth: runbookAuth,
        lifecycle,
        idempotency: options.idempotency ?? createMemoryIdempotency(),
        logger,
        allowLoopbackCallback: config.callbackAllowLoopback,
        timeZone: config.timeZone,
        ...(options.now ? { now: options.now } : {}),
      })
    : undefined;
  const server = await startServer({
    config,
    logger,
    app,
    receiver,
    handlers: {
      ...ops,
      ...(api ? { proposeAction: api.proposeAction, actionStatus: api.actionStatus } : {}),
      ...(config.hookSecrets.size > 0
        ? {
            hook: createHooksApi({
              secrets: config.hookSecrets,
              grafana: config.hookGrafana,
              rules: options.hookRules ?? [],
              lifecycle,
              idempotency: hookIdempotency,
              logger,
              ...(options.now ? { now: options.now } : {}),
            }),
          }
        : {}),
      ...(api
        ? {
            auditExport: createAuditExport({
              auth: runbookAuth,
              readers: new Set(config.runbookTokens.filter((t) => t.read_audit).map((t) => t.name)),
              trail: options.auditTrail,
              retentionDays: config.auditRetentionDays,
              logger,
              ...(options.now ? { now: options.now } : {}),
            }),
          }
        : {}),
    },
    bearer: api?.bearer ?? (() => ({ ok: true })),
    onAck: metrics.ack,
    host: options.host ?? '0.0.0.0',
    ...(options.httpLimits ? { limits: options.httpLimits } : {}),
  });
  state.slackAuthenticated = true;

  const sweepMs = options.expirySweepMs ?? Math.min(2_000, config.confirmationTtlSeconds * 250);
  // Pending requests past their time expire; runs whose runner has gone are taken over; reminders are sent.
  // Each one round at a time (the next waits for the last), so a backlog cannot pile rounds up.
  const sweeps = startSweeps(
    { expiry: lifecycle.expireDue, resume: () => lifecycle.resumeDue(), reminders: lifecycle.remindDue },
    { everyMs: sweepMs, log: logger.child({ module: 'sweeps' }) },
  );
  // Runs this bot (or a replica) left unfinished before it started: taken over now, not at the first sweep.
  void lifecycle
    .resumeDue(options.exclusiveStore ?? false)
    .catch((error: unknown) => logger.error({ err: String(error) }, 'resume failed'));
  if (!options.store) {
    logger.warn(
      'pending confirmations are kept in memory: they do not survive a restart, and replicas do not share them (set REDIS_URL or SQLITE_PATH)',
    );
  }
  logger.info(
    {
      mode: config.slack.mode,
      port: server.port,
      policy: policy.source,
      rules: policy.rules.map((r) => r.name),
      moengageApi:
        config.moengage.apiVersion === 'v5'
          ? 'v5 (PATCH /v5/campaigns/{id}/status, one campaign per request, Idempotency-Key)'
          : 'v1 (POST /core-services/v1/campaigns/status, 10 per request; API-created campaigns only)',
    },
    'campaign bot ready',
  );

  return {
    port: server.port,
    ...(server.opsPort === undefined ? {} : { opsPort: server.opsPort }),
    app,
    async stop() {
      if (!state.alive) return;
      state.alive = false;
      await sweeps.stop();
      credentials?.stop();
      slackDoors.close();
      // Stop taking new work first: Slack retries elsewhere (another replica) or later.
      await server.stop();
      const drained = await lifecycle.drain(options.shutdownGraceMs ?? config.shutdownGraceSeconds * 1000);
      logger.info(drained, 'executions drained');
      // What the runs reported is queued; sent within the grace, else left for a replica or the next start.
      await drainer.stop();
      await ownClient?.close();
      await ownSearch?.close();
    },
  };
}
