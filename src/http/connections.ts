import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface SocketState {
  /** When the socket last had nothing being handled: its connect time, or the end of its last response. */
  since: number;
  /** Requests whose headers arrived and whose response has not ended. */
  open: number;
  /** Of those, the ones whose body was read in full and are with a handler. */
  handling: number;
  /** Of those, the ones only waiting for something to change (a long poll): what to call to answer them now. */
  waiting: Set<() => void>;
}

/** How long a long poll that was told to answer now may take to do so before its socket is cut. */
const SHED_GRACE_MS = 2_000;

/** What the server does with a request once its headers are in. */
export interface RequestTracking {
  /**
   * Its body is read and it goes to its handler: from then on the socket is not shed (unless it waits). False
   * when the request is not on a reserved route and the sockets left for the others are all with handlers.
   */
  toHandler(): boolean;
  /**
   * Runs `wait` as a wait the server may cut short: when a socket is needed (for Slack's requests above all)
   * `signal` aborts, the handler answers with what it has, and the connection is closed after that answer.
   */
  waiting<T>(wait: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

/**
 * Every open socket of the server, and the cap on how many there may be. At the cap a newcomer does not get
 * refused: the oldest socket that is idle or still sending headers or a body is shed instead, so a slow-upload
 * flood only sheds itself while a quick request gets through; failing that, the oldest long poll is answered now
 * and its socket closed. Only when every socket is with a handler doing work is the newcomer the one closed.
 * `reserve` sockets are kept for reserved routes (Slack's): the other routes may have at most `max - reserve`
 * requests with a handler at once.
 */
export function trackConnections(max: number, onShed: (count: number) => void, reserve = 0) {
  const sockets = new Map<Socket, SocketState>();
  let closing = false;
  let emptied: (() => void) | undefined;
  /** Requests with a handler on routes that are not reserved. */
  let unreserved = 0;

  const oldest = (except: Socket, fits: (s: SocketState) => boolean): Socket | undefined => {
    let found: [Socket, SocketState] | undefined;
    for (const entry of sockets) {
      if (entry[0] === except || !fits(entry[1])) continue;
      if (!found || entry[1].since < found[1].since) found = entry;
    }
    return found?.[0];
  };
  const idleOrSending = (s: SocketState) => s.handling === 0;
  /** Every request on it that is with a handler is only waiting. */
  const onlyWaiting = (s: SocketState) => s.waiting.size > 0 && s.waiting.size === s.handling;

  /** Answers the long polls on `socket` now and closes it once they are answered (or after a grace). */
  const shedWaiting = (socket: Socket, state: SocketState) => {
    for (const answerNow of [...state.waiting]) answerNow();
    setTimeout(() => socket.destroy(), SHED_GRACE_MS).unref();
  };

  return {
    add(socket: Socket): void {
      sockets.set(socket, { since: performance.now(), open: 0, handling: 0, waiting: new Set() });
      socket.once('close', () => {
        sockets.delete(socket);
        if (sockets.size === 0) emptied?.();
      });
      if (closing) return void socket.destroy();
      if (sockets.size <= max) return;
      const idle = oldest(socket, idleOrSending);
      const waiter = idle ? undefined : oldest(socket, onlyWaiting);
      const victim = idle ?? waiter ?? socket;
      const state = sockets.get(victim);
      // Forgotten at once, so a burst of newcomers sheds one socket each rather than the same one again.
      sockets.delete(victim);
      if (waiter && state) shedWaiting(waiter, state);
      else victim.destroy();
      onShed(sockets.size);
    },
    /** A request's headers arrived on `socket`; its response `res` ends it. */
    requestStarted(socket: Socket, res: ServerResponse, reserved: boolean): RequestTracking {
      const state = sockets.get(socket) ?? {
        since: performance.now(),
        open: 0,
        handling: 0,
        waiting: new Set<() => void>(),
      };
      state.open += 1;
      let handling = false;
      res.once('close', () => {
        state.open -= 1;
        if (handling) {
          state.handling -= 1;
          if (!reserved) unreserved -= 1;
        }
        if (state.open > 0) return;
        state.since = performance.now();
        if (closing) socket.destroy();
      });
      return {
        toHandler() {
          if (handling) return true;
          if (!reserved && unreserved >= max - reserve) {
            // Over the others' share: a long poll gives way (it answers now) before this one is refused.
            const waiter = oldest(socket, (s) => s.waiting.size > 0);
            const waits = waiter ? sockets.get(waiter)?.waiting : undefined;
            const answerNow = waits?.values().next().value;
            if (!answerNow) return false;
            answerNow();
          }
          handling = true;
          state.handling += 1;
          if (!reserved) unreserved += 1;
          return true;
        },
        async waiting(wait) {
          const shed = new AbortController();
          const answerNow = () => {
            state.waiting.delete(answerNow);
            // The answer carries `Connection: close`: the socket is wanted for someone else.
            if (!res.headersSent) res.setHeader('connection', 'close');
            shed.abort();
          };
          state.waiting.add(answerNow);
          try {
            return await wait(shed.signal);
          } finally {
            state.waiting.delete(answerNow);
          }
        },
      };
    },
    size: () => sockets.size,
    /** Requests with a handler now, and of those on routes that are not reserved (for tests and gauges). */
    handling: () => ({
      all: [...sockets.values()].reduce((n, s) => n + s.handling, 0),
      unreserved,
    }),
    /**
     * Stops taking sockets, closes the ones with no request in progress (and each later one as its last response
     * ends), waits up to `graceMs` for the rest, then destroys what is left.
     */
    async drain(graceMs: number): Promise<void> {
      closing = true;
      for (const [socket, state] of sockets) {
        if (state.open === 0) socket.destroy();
        // A long poll is answered now with what it has rather than cut at the end of the grace.
        for (const answerNow of [...state.waiting]) answerNow();
      }
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
