import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * Redis processes a test starts, fails and stops itself: a plain server, or a master, a replica and three
 * sentinels (`redis-server conf --sentinel`; no separate package). Each listens on 127.0.0.1 on a free port,
 * keeps nothing on disk (`--save "" --appendonly no`, its files in a temp dir) and is stopped by pid — never the
 * shared Redis on 6379, never by name.
 *
 *   const r = await startRedisServer();                 // r.url, r.port, r.pid
 *   r.kill('SIGKILL'); await r.exited;                  // an outage; startRedisServer({ port: r.port }) brings it back empty
 *   const g = await startSentinelGroup();               // g.sentinelsEnv → REDIS_SENTINELS, g.name → REDIS_SENTINEL_NAME
 *   await g.failover();                                 // SENTINEL FAILOVER, resolved once the replica is master
 *   await g.stop();                                     // in afterAll (also SIGKILLed when the test process exits)
 */
export interface RedisProc {
  port: number;
  pid: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** Sends a signal (SIGKILL for a crash, SIGSTOP/SIGCONT for a stall). */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the process has exited (at once if it already has). */
  exited: Promise<void>;
  /** SIGTERM, then SIGKILL after 3 s; resolves once it has exited and its temp dir is gone. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// A test that fails before its afterAll must not leave servers behind for the next file.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A port nothing listens on now (bound to 0, read, released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Polls `check` until it is truthy; throws naming `what` after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** One command on a short-lived connection that never retries: for probing processes under test. */
export async function redisCommand(port: number, ...args: (string | number)[]): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const [name, ...rest] = args;
    return await client.call(String(name), ...rest.map(String));
  } finally {
    client.disconnect();
  }
}

function spawnRedis(args: string[], port: number, dir: string): RedisProc {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (child.pid === undefined) throw new Error('redis-server did not start (is it installed?)');
  running.add(child);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => {
      running.delete(child);
      resolve();
    });
  });
  return {
    port,
    pid: child.pid,
    url: `redis://127.0.0.1:${port}`,
    exited,
    kill: (signal = 'SIGKILL') => {
      child.kill(signal);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT'); // a stopped process cannot act on SIGTERM
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(force);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A redis-server on a free port (or `port`, to bring one back on the same address), answering PING when this
 * resolves. `replicaOf`: the port of a master on 127.0.0.1 to replicate (resolves once the sync is done).
 */
export async function startRedisServer(
  options: { port?: number; replicaOf?: number; args?: string[] } = {},
): Promise<RedisProc> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'redis-proc-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    // A master waits 5 s (Redis's default) before a diskless sync, for more replicas to share it: a replica here
    // is in sync at once instead.
    '--repl-diskless-sync-delay',
    '0',
    ...(options.replicaOf === undefined ? [] : ['--replicaof', '127.0.0.1', String(options.replicaOf)]),
    ...(options.args ?? []),
  ];
  const proc = spawnRedis(args, port, dir);
  try {
    await waitUntil(`redis-server on ${port}`, async () => (await redisCommand(port, 'PING')) === 'PONG');
    if (options.replicaOf !== undefined) {
      await waitUntil(`replica on ${port} in sync`, async () =>
        String(await redisCommand(port, 'INFO', 'replication')).includes('master_link_status:up'),
      );
    }
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return proc;
}

export interface SentinelGroup {
  /** The monitored master's name (REDIS_SENTINEL_NAME). */
  name: string;
  /** The node that was master at start, and the one that was its replica (roles swap on a failover). */
  master: RedisProc;
  replica: RedisProc;
  sentinels: RedisProc[];
  /** `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`: the value of REDIS_SENTINELS. */
  sentinelsEnv: string;
  /** The port the sentinels name as master now. */
  masterPort(): Promise<number>;
  /**
   * `SENTINEL FAILOVER`: resolves with the new master's port once the sentinels name it and it answers as
   * master. Also usable after killing the master (`force: false`: only waits for the sentinels' own failover).
   * A forced failover leaves the old master taking writes for about 10 s more (split brain) until the sentinels
   * turn it into a replica; from then on it answers READONLY.
   */
  failover(options?: { force?: boolean; timeoutMs?: number }): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A master, one replica and three sentinels (quorum 2), with `down-after-milliseconds` of `downAfterMs`
 * (default 1000) so a killed master is failed over in a few seconds. Resolves once the replica is in sync and
 * every sentinel knows the replica and the two other sentinels (so both SENTINEL FAILOVER and a kill work).
 */
export async function startSentinelGroup(
  options: { name?: string; downAfterMs?: number } = {},
): Promise<SentinelGroup> {
  const name = options.name ?? 'botmaster';
  const master = await startRedisServer();
  const replica = await startRedisServer({ replicaOf: master.port });
  const sentinels: RedisProc[] = [];
  const stop = async () => {
    await Promise.all([...sentinels, replica, master].map((p) => p.stop()));
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'redis-sentinel-'));
      const conf = join(dir, 'sentinel.conf');
      // Sentinel rewrites its config file as it learns: it must be its own, writable one.
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1_000}`,
          `sentinel failover-timeout ${name} 10000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const proc = spawnRedis([conf, '--sentinel'], port, dir);
      sentinels.push(proc);
      await waitUntil(`sentinel on ${port}`, async () => (await redisCommand(port, 'PING')) === 'PONG');
    }
    for (const s of sentinels) {
      await waitUntil(`sentinel ${s.port} to know the replica and its peers`, async () => {
        const replicas = (await redisCommand(s.port, 'SENTINEL', 'REPLICAS', name)) as unknown[];
        const peers = (await redisCommand(s.port, 'SENTINEL', 'SENTINELS', name)) as unknown[];
        return replicas.length >= 1 && peers.length >= 2;
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const first = sentinels[0] as RedisProc;
  const masterPort = async () => {
    // Any sentinel that answers: the first may be the one a test killed.
    for (const s of sentinels) {
      try {
        const addr = (await redisCommand(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as string[];
        return Number(addr[1]);
      } catch {}
    }
    throw new Error('no sentinel answered');
  };
  return {
    name,
    master,
    replica,
    sentinels,
    sentinelsEnv: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
    masterPort,
    async failover({ force = true, timeoutMs = 30_000 } = {}) {
      const before = await masterPort();
      if (force) {
        // Right after a previous failover the sentinels may refuse (INPROG / NOGOODSLAVE): try until they take it.
        await waitUntil(
          'SENTINEL FAILOVER to be accepted',
          async () => (await redisCommand(first.port, 'SENTINEL', 'FAILOVER', name)) === 'OK',
          timeoutMs,
          250,
        );
      }
      return waitUntil(
        'the new master',
        async () => {
          const now = await masterPort();
          if (now === before) return undefined;
          const role = (await redisCommand(now, 'ROLE')) as unknown[];
          return role[0] === 'master' ? now : undefined;
        },
        timeoutMs,
        100,
      );
    },
    stop,
  };
}
