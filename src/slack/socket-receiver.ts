import type { App, Logger, Receiver, ReceiverEvent } from '@slack/bolt';
import { defaultProcessEventErrorHandler } from '@slack/bolt';
// Bolt's own dependency (3.1.0 here): the client and its WebSocket, used as they are. Only what happens on
// Slack's `disconnect` and on a lost connection is ours (see below).
import { SocketModeClient, type SocketModeOptions } from '@slack/socket-mode';

/**
 * Socket Mode without the gap at each refresh. `@slack/socket-mode` before 3.2.0 closes its connection as soon as
 * Slack sends `disconnect` (`warning`, `refresh_requested`, every few hours), waits `clientPingTimeout` (5 s) times
 * its failures, then opens a new one: 5–12 s with no connection, and every command or click Slack sends then fails
 * in Slack with `dispatch_failed` (Slack does not hold envelopes). 3.2.0 opens the new connection first; the registry
 * here has up to 3.1.0, so this receiver does the same around 3.1's client, without patching it:
 * - it keeps `connections` (2) open, so a refresh of one never leaves none (Slack allows 10 per app, and spreads
 *   envelopes over them);
 * - on `disconnect` it opens the replacement first; after `refresh_requested` it closes the old connection once the
 *   new one said hello and the envelopes it was handed are acknowledged (or after `drainMs`); a `warning`ed one
 *   still takes envelopes, so Slack closes it;
 * - a connection lost without a word is replaced at once, then after 1, 2, 5, 10, 30 s while that keeps failing.
 * Each client acknowledges on its own connection, so an envelope is answered where it came from.
 */
export interface RefreshingSocketModeOptions {
  appToken: string;
  logger: Logger;
  clientOptions?: SocketModeOptions['clientOptions'];
  /** Connections kept open (default 2). */
  connections?: number;
  /** How long an old connection may keep working on what it was handed before it is closed (default 3 s, Slack's ack time). */
  drainMs?: number;
  /** Waits before each new attempt while connecting keeps failing. */
  retryMs?: readonly number[];
}

const RETRY_MS = [0, 1_000, 2_000, 5_000, 10_000, 30_000];
/** A warned connection Slack has not closed itself by then is closed here. */
const WARNED_CLOSE_MS = 30_000;

/** 3.1's client, except that Slack's `disconnect` is reported (`refresh`) instead of closing the connection there. */
class RefreshAwareClient extends SocketModeClient {
  protected override async onWebSocketMessage(data: string | ArrayBuffer, isBinary: boolean): Promise<void> {
    if (!isBinary) {
      const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
      if (text.includes('"disconnect"')) {
        const message = parse(text);
        if (message?.type === 'disconnect') {
          this.emit('refresh', String(message.reason ?? ''));
          return;
        }
      }
    }
    return super.onWebSocketMessage(data, isBinary);
  }
}

function parse(text: string): { type?: string; reason?: string } | undefined {
  try {
    return JSON.parse(text) as { type?: string; reason?: string };
  } catch {
    return undefined;
  }
}

interface Connection {
  client: RefreshAwareClient;
  /** Envelopes handed to the app and not acknowledged yet. */
  inFlight: number;
  /** Slack asked it to go: a replacement is open or on its way. */
  leaving: boolean;
  /** Said hello: until then a failure is its opener's to handle, not a lost connection's. */
  ready: boolean;
}

export class RefreshingSocketModeReceiver implements Receiver {
  #app: App | undefined;
  readonly #options: RefreshingSocketModeOptions;
  readonly #live = new Set<Connection>();
  #stopping = false;
  #failures = 0;
  #timers = new Set<NodeJS.Timeout>();

  constructor(options: RefreshingSocketModeOptions) {
    this.#options = options;
  }

  init(app: App): void {
    this.#app = app;
  }

  async start(): Promise<void> {
    this.#stopping = false;
    // The first must connect (start-up fails loudly otherwise); the others follow in the background.
    await this.#open();
    for (let i = 1; i < (this.#options.connections ?? 2); i += 1) this.#replace();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const all = [...this.#live];
    this.#live.clear();
    await Promise.all(all.map((c) => c.client.disconnect().catch(() => undefined)));
  }

  /** Opens one connection; resolves once Slack said hello on it. */
  async #open(): Promise<Connection> {
    const client = new RefreshAwareClient({
      appToken: this.#options.appToken,
      logger: this.#options.logger,
      // Ours: a lost connection is replaced by this receiver, which knows about the others.
      autoReconnectEnabled: false,
      ...(this.#options.clientOptions ? { clientOptions: this.#options.clientOptions } : {}),
    });
    const connection: Connection = { client, inFlight: 0, leaving: false, ready: false };
    client.on('slack_event', (args) => {
      this.#dispatch(connection, args).catch((error: unknown) =>
        this.#options.logger.error(`Socket Mode envelope not handled (${errorText(error)})`),
      );
    });
    client.on('refresh', (reason: string) => this.#refresh(connection, reason));
    client.on('disconnected', () => this.#lost(connection));
    this.#live.add(connection);
    try {
      await client.start();
    } catch (error) {
      this.#live.delete(connection);
      throw error;
    }
    connection.ready = true;
    this.#failures = 0;
    return connection;
  }

  /** Opens a connection to stand in for one that went or is going, retrying with waits while it fails. */
  #replace(): void {
    if (this.#stopping) return;
    const wait = (this.#options.retryMs ?? RETRY_MS)[Math.min(this.#failures, RETRY_MS.length - 1)] ?? 0;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#stopping) return;
      this.#open().then(
        (c) => {
          if (this.#stopping) void c.client.disconnect();
        },
        (error: unknown) => {
          this.#failures += 1;
          this.#options.logger.warn(`Socket Mode connection failed (${errorText(error)}); trying again`);
          this.#replace();
        },
      );
    }, wait);
    this.#timers.add(timer);
  }

  /** Slack's `disconnect`: the replacement first, then this one closed once it has answered what it was handed. */
  #refresh(connection: Connection, reason: string): void {
    if (connection.leaving || this.#stopping) return;
    connection.leaving = true;
    this.#options.logger.info(`Slack asked for a new Socket Mode connection (${reason}); opening it first`);
    this.#open().then(
      // After `refresh_requested` Slack sends nothing more on it: closed once it has answered what it was handed.
      // After a `warning` Slack still sends on it until Slack closes it (about 10 s later): closing it from here
      // could cross an envelope already on its way, so it is left to Slack, with a late close as a safety net.
      () => this.#retire(connection, reason === 'warning' ? WARNED_CLOSE_MS : 0),
      (error: unknown) => {
        this.#failures += 1;
        this.#options.logger.warn(`Socket Mode replacement failed (${errorText(error)}); trying again`);
        // The old one serves until Slack closes it; meanwhile the replacement is tried again with waits.
        this.#replace();
      },
    );
  }

  #retire(connection: Connection, afterMs: number): void {
    const until = Date.now() + afterMs + (this.#options.drainMs ?? 3_000);
    const check = () => {
      if (!this.#live.has(connection)) return;
      const waiting = Date.now() < until - (this.#options.drainMs ?? 3_000) || connection.inFlight > 0;
      if (waiting && Date.now() < until && !this.#stopping) {
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          check();
        }, 50);
        this.#timers.add(timer);
        return;
      }
      this.#live.delete(connection);
      void connection.client.disconnect().catch(() => undefined);
    };
    check();
  }

  /** A connection closed: by us (retired), by Slack after a refresh (replaced already), or lost (replace it). */
  #lost(connection: Connection): void {
    if (!connection.ready) return;
    const known = this.#live.delete(connection);
    if (!known || this.#stopping) return;
    if (connection.leaving) return;
    this.#options.logger.warn('Socket Mode connection lost; opening another');
    this.#replace();
  }

  async #dispatch(
    connection: Connection,
    args: {
      ack: (response?: Record<string, unknown>) => Promise<void>;
      body: Record<string, unknown>;
      retry_num?: number;
      retry_reason?: string;
    },
  ): Promise<void> {
    connection.inFlight += 1;
    let acked = false;
    const ack = async (response?: Record<string, unknown>) => {
      if (acked) return;
      acked = true;
      connection.inFlight -= 1;
      await args.ack(response);
    };
    const event: ReceiverEvent = {
      body: args.body,
      ack: ack as ReceiverEvent['ack'],
      ...(args.retry_num !== undefined ? { retryNum: args.retry_num } : {}),
      ...(args.retry_reason !== undefined ? { retryReason: args.retry_reason } : {}),
    };
    try {
      await this.#app?.processEvent(event);
    } catch (error) {
      const shouldAck = await defaultProcessEventErrorHandler({
        error: error as Parameters<typeof defaultProcessEventErrorHandler>[0]['error'],
        logger: this.#options.logger,
        event,
      });
      if (shouldAck) await ack();
    } finally {
      // Never acknowledged (no listener): it no longer holds the connection open.
      if (!acked) {
        acked = true;
        connection.inFlight -= 1;
      }
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
