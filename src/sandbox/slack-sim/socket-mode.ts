import type { Server } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import type { SlackSimResponse } from './types.ts';
import { APP_ID, parseJson } from './util.ts';

/** Pass as `botUrl` to deliver a command or click over the Socket Mode connection instead of HTTP. */
export const SOCKET_MODE = 'socket-mode';

export type SocketMode = ReturnType<typeof attachSocketMode>;

/** One Socket Mode connection: when it opened and closed (in one sequence), and whether Slack closed it. */
export interface ConnectionRecord {
  opened: number;
  closed?: number;
  closedBySlack: boolean;
}

// Socket Mode: the bot opens a WebSocket at the URL apps.connections.open gave it; Slack says hello, then sends
// envelopes, and the bot acknowledges each by envelope_id (its ack payload rides along).
export function attachSocketMode(server: Server, nextId: (prefix: string) => string) {
  const sockets = new WebSocketServer({ noServer: true });
  // The order connections opened and closed in (one counter for both), and whether Slack closed them.
  let seq = 0;
  const history: ConnectionRecord[] = [];
  const records = new WeakMap<WebSocket, ConnectionRecord>();
  const waitingAcks = new Map<string, (payload: unknown) => void>();
  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith('/socket')) {
      socket.destroy();
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
      seq += 1;
      const record: ConnectionRecord = { opened: seq, closedBySlack: false };
      history.push(record);
      records.set(ws, record);
      ws.on('close', () => {
        seq += 1;
        record.closed = seq;
      });
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

  // A connection Slack asked to go (disconnect refresh_requested) takes no new envelopes; Slack sends to the app's
  // others. One only warned (`warning`) still takes them until it is closed.
  const leaving = new WeakSet<WebSocket>();
  const live = () => [...sockets.clients].filter((c) => c.readyState === WebSocket.OPEN && !leaving.has(c));
  // Envelopes go round the app's connections, as Slack spreads them.
  let turn = 0;
  const open = () => {
    const all = live();
    turn += 1;
    return all[turn % Math.max(1, all.length)];
  };
  /** Envelopes Slack could not send: no connection was open. Slack does not hold them; the person sees an error. */
  const dropped: { type: string; at: number }[] = [];

  const deliver = async (
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: Record<string, unknown>,
    responseUrlId: string,
    triggerId: string,
    retry: { attempt: number; reason: string } | undefined = undefined,
    /**
     * `acceptsResponsePayload`: the ack may carry an answer (options, a submission's response_action), as Slack
     * marks such envelopes. `timeout: 'answer'`: no ack within 3 s answers `timedOut` instead of throwing (Slack
     * gave up and showed the person an error).
     */
    how: { acceptsResponsePayload?: boolean; timeout?: 'throw' | 'answer' } = {},
  ): Promise<SlackSimResponse> => {
    const started = performance.now();
    const ws = open();
    if (!ws) {
      // What Slack does with no connection open: the command or click fails at once (`dispatch_failed` in the
      // client); an event is retried later by Slack's own schedule, not held.
      dropped.push({ type, at: Date.now() });
      return {
        status: 0,
        headers: {},
        body: 'dispatch_failed',
        json: undefined,
        ms: performance.now() - started,
        responseUrlId,
        triggerId,
        dispatchFailed: true,
      };
    }
    const envelopeId = nextId('envelope');
    const TIMED_OUT = Symbol('timed out');
    const acked = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        waitingAcks.delete(envelopeId);
        if (how.timeout === 'answer') resolve(TIMED_OUT);
        else reject(new Error(`slack-sim: envelope ${envelopeId} was not acknowledged within 3 s`));
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
        accepts_response_payload: type === 'slash_commands' || how.acceptsResponsePayload === true,
        // Events are redelivered by Slack (an ack it did not get); commands and clicks never are.
        ...(type === 'events_api'
          ? { retry_attempt: retry?.attempt ?? 0, retry_reason: retry?.reason ?? '' }
          : {}),
      }),
    );
    const ack = await acked;
    if (ack === TIMED_OUT) {
      return {
        status: 0,
        headers: {},
        body: '',
        json: undefined,
        ms: performance.now() - started,
        responseUrlId,
        triggerId,
        timedOut: true,
      };
    }
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

  /**
   * Slack's routine `disconnect` (refresh_requested, link_disabled, …): the app is to open a new connection;
   * Slack closes this one a little later (here after `graceMs`) and sends nothing more on it meanwhile.
   */
  const disconnect = (reason = 'refresh_requested', graceMs = 1_000, options: { count?: number } = {}) => {
    // The oldest first (Slack refreshes each connection on its own clock); all of them unless `count` says.
    for (const ws of [...sockets.clients].slice(0, options.count ?? sockets.clients.size)) {
      if (reason !== 'warning') leaving.add(ws);
      ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'sim' } }));
      setTimeout(() => {
        if (ws.readyState !== WebSocket.OPEN) return;
        const record = records.get(ws);
        if (record) record.closedBySlack = true;
        ws.close();
      }, graceMs).unref();
    }
  };

  /** Every connection dropped without a word (a network blip, a Slack host going away). */
  const drop = () => {
    for (const ws of sockets.clients) ws.terminate();
  };

  const close = () => {
    for (const ws of sockets.clients) ws.terminate();
    sockets.close();
  };

  return {
    deliver,
    disconnect,
    drop,
    connections: () => live().length,
    dropped: () => [...dropped],
    history: () => history.map((r) => ({ ...r })),
    close,
  };
}
