import { once } from 'node:events';
import type { Server } from 'node:http';
import { App, HTTPReceiver, type Receiver, SocketModeReceiver } from '@slack/bolt';
import type { Logger } from 'pino';
import { cachedUserGroupResolver } from './auth/usergroups.ts';
import { createCampaignCommand } from './commands/campaign-command.ts';
import { createDecisionAction } from './commands/decision-action.ts';
import { registerListeners } from './commands/index.ts';
import { createWorkflowStep } from './commands/workflow-step.ts';
import type { Config } from './config.ts';
import type { CampaignGroups } from './groups.ts';
import { createMetrics } from './metrics.ts';
import { MoEngageClient, type MoEngageClientOptions } from './moengage/client.ts';
import type { CallLimiter } from './moengage/limiter.ts';
import { opsRoutes } from './ops.ts';
import { createMemoryDeduper, type Deduper } from './requests/dedupe.ts';
import { type CampaignExecutor, createLifecycle, type Lifecycle } from './requests/lifecycle.ts';
import { createMemoryStore } from './requests/memory-store.ts';
import type { RequestStore } from './requests/model.ts';
import { createRunbookApi } from './runbook/api.ts';
import { createMemoryIdempotency, type IdempotencyStore } from './runbook/idempotency.ts';
import { createRunbookAuth } from './runbook/tokens.ts';
import { boltLogger } from './slack/bolt-logger.ts';
import { webClientPort } from './slack/web-port.ts';

export interface BotOptions {
  /** Defaults to a MoEngageClient built from the config (with `limiter` and `moengageOptions`, when given). */
  moengage?: CampaignExecutor;
  moengageOptions?: Pick<MoEngageClientOptions, 'retryPolicy' | 'requestTimeoutMs'>;
  /** Shared state for replicas (see shared-state.ts); defaults to the in-memory store and in-process limiter. */
  store?: RequestStore;
  limiter?: CallLimiter;
  dedupe?: Deduper;
  /** Named lists of campaign ids (`group:NAME`), loaded from CAMPAIGN_GROUPS_FILE. */
  groups?: CampaignGroups;
  /** How often a Workflow Builder step checks on its request (tests shorten it). */
  workflowPollMs?: number;
  /** Where Idempotency-Key answers of the runbook API are kept (Redis for replicas). */
  idempotency?: IdempotencyStore;
  /** Extra readiness check, e.g. Redis answering. */
  readinessChecks?: Record<string, () => Promise<boolean>>;
  /** How often pending requests are checked for expiry. */
  expirySweepMs?: number;
  /** Slack Web API retries (the client's default retries for ~30 minutes; tests want 0). */
  slackRetries?: number;
  /** How long shutdown lets running executions finish before cutting them short. */
  shutdownGraceMs?: number;
  host?: string;
}

/** Start-up failed for a reason a person can fix; the message says which. */
export class StartupError extends Error {
  readonly code = 'startup_failed';
}

export interface RunningBot {
  /** The HTTP port: Slack's endpoint (HTTP mode), /healthz, /readyz and /metrics. */
  port: number;
  app: App;
  /** Stops taking work, lets running executions finish (bounded), reports every id, then closes. */
  stop(): Promise<void>;
}

/** Composes the bot from a parsed config and starts it. The only caller besides tests and the demo is index.ts. */
export async function startBot(
  config: Config,
  logger: Logger,
  options: BotOptions = {},
): Promise<RunningBot> {
  let alive = true;
  let slackAuthenticated = false;
  const metrics = createMetrics();
  const checks = options.readinessChecks ?? {};
  const routes = opsRoutes({
    alive: () => alive,
    async readiness() {
      const results: Record<string, boolean> = { slack: slackAuthenticated, accepting: alive };
      for (const [name, check] of Object.entries(checks)) results[name] = await check().catch(() => false);
      return { ready: Object.values(results).every(Boolean), checks: results };
    },
    metrics,
  });
  // The runbook API is served beside Slack's endpoint; its handlers reach the lifecycle built below.
  const later: { lifecycle?: Lifecycle } = {};
  const dedupe = options.dedupe ?? createMemoryDeduper();
  const groups = options.groups ?? new Map();
  const runbookAuth = createRunbookAuth(config.runbookTokens, {
    seenSignature: (signature) => dedupe.firstTime(`signature:${signature}`, 10 * 60_000),
  });
  if (runbookAuth.configured) {
    routes.push(
      ...createRunbookApi({
        auth: runbookAuth,
        lifecycle: {
          propose: (input) => (later.lifecycle as Lifecycle).propose(input),
          autoConfirm: (id, by) => (later.lifecycle as Lifecycle).autoConfirm(id, by),
          get: (id) => (later.lifecycle as Lifecycle).get(id),
        },
        idempotency: options.idempotency ?? createMemoryIdempotency(),
        groups,
        maxCampaignsPerCommand: config.maxCampaignsPerCommand,
        requireReasonFor: config.requireReasonActions,
        logger,
      }),
    );
  }
  const blog = boltLogger(logger);
  const clientOptions = {
    slackApiUrl: config.slack.apiUrl,
    // Bounded: about a minute of retries with jitter (Slack's 429s carry Retry-After, which the client honours),
    // and no call hangs past 10 s. The client's default retries for ~30 minutes.
    retryConfig: {
      retries: options.slackRetries ?? 5,
      factor: 2,
      minTimeout: 1_000,
      maxTimeout: 30_000,
      randomize: true,
    },
    timeout: 10_000,
  };
  const receiver: Receiver =
    config.slack.mode === 'socket'
      ? new SocketModeReceiver({
          appToken: config.slack.appToken as string,
          logger: blog,
          customRoutes: routes,
          installerOptions: { port: config.port, clientOptions },
        })
      : new HTTPReceiver({
          signingSecret: config.slack.signingSecret as string,
          endpoints: '/slack/events',
          customRoutes: routes,
          logger: blog,
          // Answer Slack as soon as a listener acks; work continues after (Slack wants an answer within 3 s).
          processBeforeResponse: false,
        });
  const app = new App({
    token: config.slack.botToken,
    receiver,
    logger: blog,
    clientOptions,
    deferInitialization: true,
  });

  const slack = webClientPort(app.client);
  const ownClient =
    options.moengage === undefined
      ? new MoEngageClient({
          baseUrl: config.moengage.baseUrl,
          workspaceId: config.moengage.workspaceId,
          apiKey: config.moengage.apiKey,
          logger,
          ...(options.limiter ? { limiter: options.limiter } : {}),
          ...options.moengageOptions,
          onRequest: metrics.moengage,
        })
      : undefined;
  if (ownClient) metrics.watchLimiter(() => ownClient.limiter.stats());
  const lifecycle = createLifecycle({
    store: options.store ?? createMemoryStore(),
    moengage: options.moengage ?? (ownClient as MoEngageClient),
    slack,
    policy: { allowedUserIds: config.allowedUserIds, allowedChannelIds: config.allowedChannelIds },
    groups: cachedUserGroupResolver((id) => slack.groupMembers(id)),
    secondApproverActions: config.secondApproverActions,
    ttlMs: config.confirmationTtlSeconds * 1000,
    logger,
    observe: metrics.event,
  });
  later.lifecycle = lifecycle;
  registerListeners(app, {
    campaignCommand: createCampaignCommand({
      lifecycle,
      maxCampaignsPerCommand: config.maxCampaignsPerCommand,
      groups,
      requireReasonFor: config.requireReasonActions,
      logger,
      onOutcome: metrics.command,
      dedupe,
    }),
    confirm: createDecisionAction({ decide: lifecycle.confirm, slack, logger, dedupe }),
    cancel: createDecisionAction({ decide: lifecycle.cancel, slack, logger, dedupe }),
    workflowStep: createWorkflowStep({
      lifecycle,
      groups,
      maxCampaignsPerCommand: config.maxCampaignsPerCommand,
      requireReasonFor: config.requireReasonActions,
      dedupe,
      logger,
      ...(options.workflowPollMs ? { pollMs: options.workflowPollMs } : {}),
      waitMs: config.confirmationTtlSeconds * 1000 + 10 * 60_000,
    }),
  });
  app.error(async (error) => {
    logger.error(
      { module: 'bolt', err: `${error.name}: ${error.message}`, code: error.code },
      'unhandled listener error',
    );
  });

  // auth.test: a bad token or unreachable Slack is a clear error here, not an unhandled rejection later.
  try {
    await app.init();
    slackAuthenticated = true;
  } catch (error) {
    const e = error as { code?: string; data?: { error?: string }; message?: string };
    const why = e.data?.error ?? e.code ?? e.message ?? 'unknown error';
    throw new StartupError(`Slack auth.test failed (${why}): check SLACK_BOT_TOKEN and SLACK_API_URL`);
  }
  let server: Server | undefined;
  try {
    if (config.slack.mode === 'http') {
      server = await app.start({ port: config.port, host: options.host ?? '0.0.0.0' });
      timeAcknowledgements(server, metrics.ack);
    } else {
      await app.start();
      // Bolt's Socket Mode receiver serves the custom routes on an HTTP server of its own.
      server = (receiver as unknown as { httpServer?: Server }).httpServer;
      if (server && !server.listening) await once(server, 'listening');
    }
  } catch (error) {
    const e = error as { code?: string; message?: string };
    throw new StartupError(`could not start listening on port ${config.port} (${e.code ?? e.message})`);
  }
  const address = server?.address();
  const port = address && typeof address === 'object' ? address.port : config.port;

  const sweepMs = options.expirySweepMs ?? Math.min(5_000, config.confirmationTtlSeconds * 250);
  const sweep = setInterval(() => {
    lifecycle
      .expireDue()
      .catch((error: unknown) => logger.error({ err: String(error) }, 'expiry sweep failed'));
  }, sweepMs);
  sweep.unref();
  if (!options.store) {
    logger.warn(
      'pending confirmations are kept in memory: they do not survive a restart, and replicas do not share them (set REDIS_URL)',
    );
  }
  logger.info({ mode: config.slack.mode, port }, 'campaign bot ready');

  return {
    port,
    app,
    async stop() {
      if (!alive) return;
      alive = false;
      clearInterval(sweep);
      // Stop taking new work first: Slack retries elsewhere (another replica) or later.
      await app.stop().catch((error: unknown) => logger.warn({ err: String(error) }, 'receiver stop failed'));
      const drained = await lifecycle.drain(options.shutdownGraceMs ?? config.shutdownGraceSeconds * 1000);
      logger.info(drained, 'executions drained');
      await ownClient?.close();
    },
  };
}

/** Observes how long each Slack request to /slack/events takes to be answered: what Slack sees as the ack. */
function timeAcknowledgements(server: Server, observe: (seconds: number) => void): void {
  server.on('request', (req, res) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/slack/events')) return;
    const started = performance.now();
    res.once('finish', () => observe((performance.now() - started) / 1000));
  });
}
