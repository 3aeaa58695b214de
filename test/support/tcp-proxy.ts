import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  /** The port on 127.0.0.1 that clients connect to instead of the target's. */
  port: number;
  /** Cuts every open connection (both sides reset) and refuses new ones until `restore()`. */
  cut(): void;
  /** Takes connections again (to the same target). */
  restore(): void;
  /** Closes the proxy and every connection through it. */
  close(): Promise<void>;
}

/**
 * A TCP proxy on a free port of 127.0.0.1 in front of `127.0.0.1:targetPort`, which a test cuts and restores: a
 * Redis (or anything else) that "goes away" for the clients behind the proxy without stopping the real server
 * that other tests share. While cut, a new connection is accepted and reset at once (as a dead host's load
 * balancer does), so a client sees errors quickly rather than hanging.
 */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let cut = false;
  const track = (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (cut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tcp proxy: no port');
  return {
    port: address.port,
    cut() {
      cut = true;
      for (const socket of open) socket.resetAndDestroy();
    },
    restore() {
      cut = false;
    },
    close() {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
