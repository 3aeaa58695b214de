import type { Server } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import type { SlackSimResponse } from './types.ts';
import { APP_ID, parseJson } from './util.ts';

/** Pass as `botUrl` to deliver a command or click over the Socket Mode connection instead of HTTP. */
export const SOCKET_MODE = 'socket-mode';

export type SocketMode = ReturnType<typeof attachSocketMode>;

// Socket Mode: the bot opens a WebSocket at the URL apps.connections.open gave it; Slack says hello, then sends
// envelopes, and the bot acknowledges each by envelope_id (its ack payload rides along).
export function attachSocketMode(server: Server, nextId: (prefix: string) => string) {
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

  // A connection Slack asked to go (disconnect) takes no new envelopes; Slack sends to the app's others.
  const leaving = new WeakSet<WebSocket>();
  const open = () => [...sockets.clients].find((c) => c.readyState === WebSocket.OPEN && !leaving.has(c));

  /** Waits (as Slack holds an envelope while the app reconnects) up to 10 s for a connection to send on. */
  const connection = async (): Promise<WebSocket> => {
    const until = Date.now() + 10_000;
    for (;;) {
      const ws = open();
      if (ws) return ws;
      if (Date.now() > until) throw new Error('slack-sim: no Socket Mode connection is open');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const deliver = async (
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: Record<string, unknown>,
    responseUrlId: string,
    triggerId: string,
    retry: { attempt: number; reason: string } | undefined = undefined,
  ): Promise<SlackSimResponse> => {
    const ws = await connection();
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
        // Events are redelivered by Slack (an ack it did not get); commands and clicks never are.
        ...(type === 'events_api'
          ? { retry_attempt: retry?.attempt ?? 0, retry_reason: retry?.reason ?? '' }
          : {}),
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

  /**
   * Slack's routine `disconnect` (refresh_requested, link_disabled, …): the app is to open a new connection;
   * Slack closes this one a little later (here after `graceMs`) and sends nothing more on it meanwhile.
   */
  const disconnect = (reason = 'refresh_requested', graceMs = 1_000) => {
    for (const ws of sockets.clients) {
      leaving.add(ws);
      ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'sim' } }));
      setTimeout(() => ws.close(), graceMs).unref();
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
    connections: () =>
      [...sockets.clients].filter((c) => c.readyState === WebSocket.OPEN && !leaving.has(c)).length,
    close,
  };
}
