import { App, HTTPReceiver, type Receiver } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Preauth } from './http/routes.ts';
import { type HttpLimits, type RunningHttpServer, startHttpServer } from './http/server.ts';
import { SLACK_EVENTS_PATH, slackEventsHandler } from './http/slack-route.ts';
import { buildRoutes, type Handler, type HandlerName, type PreauthName } from './routes.ts';

/** The runbook API's bodies are a few ids and a reason; a default-sized request is well under 8 KiB. */
export const API_BODY_LIMIT = 16 * 1024;
export const SLACK_BODY_LIMIT = 256 * 1024;

import { StartupError } from './config.ts';
import { boltLogger } from './slack/bolt-logger.ts';
import { RefreshingSocketModeReceiver } from './slack/socket-receiver.ts';

export { StartupError };

/**
 * Bolt's App with its receiver, built first so its Web API client exists before anything that needs it.
 * Bolt's receivers serve no HTTP of their own: our server (src/http) owns every route, with bodies, time and
 * sockets bounded. The HTTPReceiver is never started; it only verifies and dispatches /slack/events.
 */
export function createSlackApp(config: Config, logger: Logger, options: { slackRetries?: number } = {}) {
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
    // A 429 comes back to the caller (src/slack/paced-port.ts waits it out for that channel) instead of pausing
    // every Slack call of the process.
    rejectRateLimitedCalls: true,
  };
  const receiver: Receiver =
    config.slack.mode === 'socket'
      ? // Not Bolt's SocketModeReceiver: @slack/socket-mode 3.1 leaves 5–12 s without a connection at each refresh
        // (commands then fail with dispatch_failed); this one opens the new connection before the old one goes.
        new RefreshingSocketModeReceiver({
          appToken: config.slack.appToken as string,
          logger: blog,
          clientOptions,
        })
      : new HTTPReceiver({
          signingSecret: config.slack.signingSecret as string,
          endpoints: SLACK_EVENTS_PATH,
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
    // app.error gets the body too, so an unhandled error can be told to the person (bot.ts).
    extendedErrorHandler: true,
  });
  return { app, receiver };
}

export interface ServerParts {
  config: Config;
  logger: Logger;
  app: App;
  receiver: Receiver;
  /** The ops endpoints and the runbook API (src/routes.ts names them); /slack/events comes from the receiver. */
  handlers: Partial<Record<Exclude<HandlerName, 'slackEvents'>, Handler>>;
  /** The bearer-token check of the API routes, run on the headers before a body is read. */
  bearer: Preauth;
  /** The checks routes name for themselves (the agent door's Origin and token), also before a body is read. */
  preauths?: Partial<Record<PreauthName, Preauth>>;
  onAck: (seconds: number) => void;
  host: string;
  limits?: Partial<HttpLimits>;
}

/**
 * Checks Slack's credentials (auth.test), then serves every HTTP route and, in Socket Mode, connects to Slack.
 * `stop` stops taking work: the Socket Mode connection, then the HTTP server (in-flight answers finish).
 */
export async function startServer(
  parts: ServerParts,
): Promise<{ port: number; opsPort?: number; stop(): Promise<void> }> {
  const { config, logger, app, receiver } = parts;
  try {
    await app.init();
  } catch (error) {
    const e = error as { code?: string; data?: { error?: string }; message?: string };
    const why = e.data?.error ?? e.code ?? e.message ?? 'unknown error';
    throw new StartupError(`Slack auth.test failed (${why}): check SLACK_BOT_TOKEN and SLACK_API_URL`);
  }
  let http: RunningHttpServer | undefined;
  let ops: RunningHttpServer | undefined;
  const handlers = {
    ...parts.handlers,
    ...(receiver instanceof HTTPReceiver ? { slackEvents: slackEventsHandler(receiver) } : {}),
  };
  // The API's sized for the most ids a request may carry (64 characters each, quoted), never below 16 KiB.
  const bodyLimits = {
    slack: SLACK_BODY_LIMIT,
    api: Math.max(API_BODY_LIMIT, config.maxCampaignsPerCommand * 70 + 4096),
  };
  const split = config.metricsPort !== undefined;
  try {
    if (split) {
      ops = await startHttpServer({
        port: config.metricsPort as number,
        host: parts.host,
        logger,
        routes: buildRoutes(handlers, bodyLimits, parts.bearer, 'ops', parts.preauths),
      });
    }
    http = await startHttpServer({
      port: config.port,
      host: parts.host,
      logger,
      ...(parts.limits ? { limits: parts.limits } : {}),
      routes: buildRoutes(handlers, bodyLimits, parts.bearer, split ? 'main' : 'all', parts.preauths),
      // What Slack sees as the acknowledgement: how long /slack/events took to answer.
      onResponse: (path, seconds) => {
        if (path === SLACK_EVENTS_PATH) parts.onAck(seconds);
      },
    });
    if (config.slack.mode === 'socket') await app.start();
  } catch (error) {
    await http?.close();
    await ops?.close();
    const e = error as { code?: string; message?: string };
    const ports = split
      ? `ports ${config.port} and METRICS_PORT ${config.metricsPort}`
      : `port ${config.port}`;
    throw new StartupError(`could not start listening on ${ports} (${e.code ?? e.message})`);
  }
  const server = http;
  const opsServer = ops;
  return {
    port: server.port,
    ...(opsServer ? { opsPort: opsServer.port } : {}),
    async stop() {
      if (config.slack.mode === 'socket') {
        await app
          .stop()
          .catch((error: unknown) => logger.warn({ err: String(error) }, 'receiver stop failed'));
      }
      await server
        .close()
        .catch((error: unknown) => logger.warn({ err: String(error) }, 'HTTP close failed'));
      await opsServer
        ?.close()
        .catch((error: unknown) => logger.warn({ err: String(error) }, 'ops close failed'));
    },
  };
}
