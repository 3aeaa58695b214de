import { once } from 'node:events';
import type { Server } from 'node:http';
import { App, HTTPReceiver, type Receiver, SocketModeReceiver } from '@slack/bolt';
import type { Logger } from 'pino';
import { cachedUserGroupResolver } from './auth/usergroups.ts';
import { createCampaignCommand } from './commands/campaign-command.ts';
import { createDecisionAction } from './commands/decision-action.ts';
import { registerListeners } from './commands/index.ts';
import type { Config } from './config.ts';
import { MoEngageClient } from './moengage/client.ts';
import { type CampaignExecutor, createLifecycle } from './requests/lifecycle.ts';
import { createMemoryStore } from './requests/memory-store.ts';
import type { RequestStore } from './requests/model.ts';
import { boltLogger } from './slack/bolt-logger.ts';
import { webClientPort } from './slack/web-port.ts';

export interface BotOptions {
  /** Defaults to a MoEngageClient built from the config. */
  moengage?: CampaignExecutor & { close?: () => Promise<void> };
  store?: RequestStore;
  /** How often pending requests are checked for expiry. */
  expirySweepMs?: number;
  /** Slack Web API retries (the client's default retries for ~30 minutes; tests want 0). */
  slackRetries?: number;
  host?: string;
}

/** Start-up failed for a reason a person can fix; the message says which. */
export class StartupError extends Error {
  readonly code = 'startup_failed';
}

export interface RunningBot {
  /** The HTTP port: Slack's endpoint (HTTP mode) and /healthz. */
  port: number;
  app: App;
  stop(): Promise<void>;
}

/** Composes the bot from a parsed config and starts it. The only caller besides tests and the demo is index.ts. */
export async function startBot(
  config: Config,
  logger: Logger,
  options: BotOptions = {},
): Promise<RunningBot> {
  let ready = false;
  const health = {
    path: '/healthz',
    method: ['GET'],
    handler: (_req: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: ready }));
    },
  };
  const blog = boltLogger(logger);
  const clientOptions = {
    slackApiUrl: config.slack.apiUrl,
    retryConfig: { retries: options.slackRetries ?? 10, factor: 1.96 },
  };
  let receiver: Receiver;
  if (config.slack.mode === 'socket') {
    receiver = new SocketModeReceiver({
      appToken: config.slack.appToken as string,
      logger: blog,
      customRoutes: [health],
      installerOptions: { port: config.port, clientOptions },
    });
  } else {
    receiver = new HTTPReceiver({
      signingSecret: config.slack.signingSecret as string,
      endpoints: '/slack/events',
      customRoutes: [health],
      logger: blog,
      // Answer Slack as soon as a listener acks; work continues after (Slack wants an answer within 3 s).
      processBeforeResponse: false,
    });
  }
  const app = new App({
    token: config.slack.botToken,
    receiver,
    logger: blog,
    clientOptions,
    deferInitialization: true,
  });

  const slack = webClientPort(app.client);
  const moengage =
    options.moengage ??
    new MoEngageClient({
      baseUrl: config.moengage.baseUrl,
      workspaceId: config.moengage.workspaceId,
      apiKey: config.moengage.apiKey,
      logger,
    });
  const lifecycle = createLifecycle({
    store: options.store ?? createMemoryStore(),
    moengage,
    slack,
    policy: { allowedUserIds: config.allowedUserIds, allowedChannelIds: config.allowedChannelIds },
    groups: cachedUserGroupResolver((id) => slack.groupMembers(id)),
    secondApproverActions: config.secondApproverActions,
    ttlMs: config.confirmationTtlSeconds * 1000,
    logger,
  });
  registerListeners(app, {
    campaignCommand: createCampaignCommand({
      lifecycle,
      maxCampaignsPerCommand: config.maxCampaignsPerCommand,
      logger,
    }),
    confirm: createDecisionAction({ decide: lifecycle.confirm, slack, logger }),
    cancel: createDecisionAction({ decide: lifecycle.cancel, slack, logger }),
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
  } catch (error) {
    const e = error as { code?: string; data?: { error?: string }; message?: string };
    const why = e.data?.error ?? e.code ?? e.message ?? 'unknown error';
    throw new StartupError(`Slack auth.test failed (${why}): check SLACK_BOT_TOKEN and SLACK_API_URL`);
  }
  let server: Server | undefined;
  try {
    if (config.slack.mode === 'http') {
      server = await app.start({ port: config.port, host: options.host ?? '0.0.0.0' });
    } else {
      await app.start();
      // Bolt's Socket Mode receiver serves the custom routes (/healthz) on an HTTP server of its own.
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
  ready = true;
  logger.info({ mode: config.slack.mode, port }, 'campaign bot ready');

  return {
    port,
    app,
    async stop() {
      ready = false;
      clearInterval(sweep);
      await app.stop();
      if (!options.moengage && moengage instanceof MoEngageClient) await moengage.close();
    },
  };
}
