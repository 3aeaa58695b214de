import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface SocketState {
  /** When the socket last had nothing being handled: its connect time, or the end of its last response. */
  since: number;
  /** Requests whose headers arrived and whose response has not ended. */
  open: number;
  /** Of those, the ones whose body was read in full and are with a handler. */
  handling: number;
}

/**
 * Every open socket of the server, and the cap on how many there may be. At the cap a newcomer does not get
 * refused: the oldest socket that is idle or still sending headers or a body is shed instead, so a slow-upload
 * flood only sheds itself while a quick request gets through. Only when every socket is with a handler is the
 * newcomer the one closed.
 */
export function trackConnections(max: number, onShed: (count: number) => void) {
  const sockets = new Map<Socket, SocketState>();
  let closing = false;
  let emptied: (() => void) | undefined;

  const oldestSheddable = (except: Socket): Socket | undefined => {
    let oldest: [Socket, SocketState] | undefined;
    for (const entry of sockets) {
      if (entry[0] === except || entry[1].handling > 0) continue;
      if (!oldest || entry[1].since < oldest[1].since) oldest = entry;
    }
    return oldest?.[0];
  };

  return {
    add(socket: Socket): void {
      sockets.set(socket, { since: performance.now(), open: 0, handling: 0 });
      socket.once('close', () => {
        sockets.delete(socket);
        if (sockets.size === 0) emptied?.();
      });
      if (closing) return void socket.destroy();
      if (sockets.size <= max) return;
      const victim = oldestSheddable(socket) ?? socket;
      // Forgotten at once, so a burst of newcomers sheds one socket each rather than the same one again.
      sockets.delete(victim);
      victim.destroy();
      onShed(sockets.size);
    },
    /**
     * A request's headers arrived on `socket`; its response `res` ends it. Returns what to call once its body
     * is read and it goes to its handler: from then on the socket is not shed.
     */
    requestStarted(socket: Socket, res: ServerResponse): () => void {
      const state = sockets.get(socket);
      if (!state) return () => {};
      state.open += 1;
      let handling = false;
      res.once('close', () => {
        state.open -= 1;
        if (handling) state.handling -= 1;
        if (state.open > 0) return;
        state.since = performance.now();
        if (closing) socket.destroy();
      });
      return () => {
        if (handling) return;
        handling = true;
        state.handling += 1;
      };
    },
    size: () => sockets.size,
    /**
     * Stops taking sockets, closes the ones with no request in progress (and each later one as its last response
     * ends), waits up to `graceMs` for the rest, then destroys what is left.
     */
    async drain(graceMs: number): Promise<void> {
      closing = true;
      for (const [socket, state] of sockets) if (state.open === 0) socket.destroy();
      if (sockets.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          emptied = resolve;
          timer = setTimeout(resolve, graceMs);
        });
        clearTimeout(timer);
      }
      for (const socket of sockets.keys()) socket.destroy();
    },
  };
}
