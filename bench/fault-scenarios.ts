import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildBot } from '../src/sandbox/child-bot.ts';
import { type RedisProc, startRedisServer, startSentinelGroup } from '../test/support/redis-procs.ts';
import { startTcpProxy } from '../test/support/tcp-proxy.ts';
import { deletePrefix } from './redis-keys.ts';

/**
 * The faults the faults bench injects mid-run, each with the store its replicas use. `prepare` gives the bots'
 * Redis environment (a fresh key prefix on the shared Redis, or a Redis of the bench's own); `inject` makes the
 * fault and resolves when it is over (the moment "time to recover" counts from); `close` undoes everything,
 * also after a failure (processes by pid, keys of the prefix only).
 */
export const FAULT_NAMES = ['kill', 'stall', 'redis-cut', 'redis-empty', 'sentinel-failover'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export interface Replicas {
  /** The replica the run was confirmed on (its runner). */
  a: ChildBot;
  b: ChildBot;
}

export interface PreparedFault {
  /** REDIS_URL (or the Sentinel variables) and REDIS_KEY_PREFIX for both replicas. */
  env: Record<string, string>;
  inject(replicas: Replicas): Promise<void>;
  close(): Promise<void>;
}

export interface FaultScenario {
  name: FaultName;
  /** What is done, for the printout. */
  what: string;
  /** Why this fault cannot run here (the row says so), or undefined. */
  skipped?(): string | undefined;
  prepare(options: { redisUrl: string; prefix: string; leaseSeconds: number }): Promise<PreparedFault>;
}

/** SIGSTOP for this many leases: long enough for the other replica to take the run over. */
const STALL_LEASES = 3;
const CUT_MS = 20_000;

/** A run on the shared Redis under its own prefix; `inject` works on the replicas only. */
function onSharedRedis(redisUrl: string, prefix: string, inject: PreparedFault['inject']): PreparedFault {
  return {
    env: { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix },
    inject,
    close: async () => {
      await deletePrefix(redisUrl, prefix);
    },
  };
}

export const FAULTS: readonly FaultScenario[] = [
  {
    name: 'kill',
    what: 'SIGKILL the runner (A)',
    prepare: async ({ redisUrl, prefix }) =>
      // Over the moment the signal is sent: a SIGKILLed process does nothing more.
      onSharedRedis(redisUrl, prefix, async ({ a }) => a.kill('SIGKILL')),
  },
  {
    name: 'stall',
    what: `SIGSTOP the runner (A) for ${STALL_LEASES} leases, then SIGCONT`,
    prepare: async ({ redisUrl, prefix, leaseSeconds }) =>
      onSharedRedis(redisUrl, prefix, async ({ a }) => {
        a.kill('SIGSTOP');
        try {
          await sleep(STALL_LEASES * leaseSeconds * 1_000);
        } finally {
          a.kill('SIGCONT');
        }
      }),
  },
  {
    name: 'redis-cut',
    what: `both replicas reach Redis through a TCP proxy, cut for ${CUT_MS / 1000} s, then restored`,
    prepare: async ({ redisUrl, prefix }) => {
      const target = new URL(redisUrl);
      const proxy = await startTcpProxy(Number(target.port || 6379), target.hostname);
      // The same URL (credentials, database, TLS) with the proxy's address.
      const through = new URL(redisUrl);
      through.hostname = '127.0.0.1';
      through.port = String(proxy.port);
      return {
        env: { REDIS_URL: through.toString(), REDIS_KEY_PREFIX: prefix },
        async inject() {
          proxy.cut();
          try {
            await sleep(CUT_MS);
          } finally {
            proxy.restore();
          }
        },
        async close() {
          await proxy.close();
          await deletePrefix(redisUrl, prefix);
        },
      };
    },
  },
  {
    name: 'redis-empty',
    what: "the bench's own redis-server SIGKILLed and a new, empty one started on its port",
    prepare: async ({ prefix }) => {
      let redis: RedisProc | undefined = await startRedisServer();
      const port = redis.port;
      return {
        env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix },
        async inject() {
          redis?.kill('SIGKILL');
          await redis?.exited;
          redis = undefined;
          redis = await startRedisServer({ port });
        },
        async close() {
          await redis?.stop();
        },
      };
    },
  },
  {
    name: 'sentinel-failover',
    what: 'a master, a replica and three sentinels of the bench; SENTINEL FAILOVER mid-run',
    skipped: () => (sentinelsSupported() ? undefined : 'REDIS_SENTINELS not supported yet'),
    prepare: async ({ prefix }) => {
      const group = await startSentinelGroup();
      return {
        env: {
          REDIS_SENTINELS: group.sentinelsEnv,
          REDIS_SENTINEL_NAME: group.name,
          REDIS_KEY_PREFIX: prefix,
        },
        async inject() {
          await group.failover();
        },
        close: () => group.stop(),
      };
    },
  },
];

/**
 * Whether the bot reads REDIS_SENTINELS. Asked of the config's source rather than of a started bot: a bot that
 * ignored the variable would run on its in-memory store and the row would measure the wrong thing.
 */
function sentinelsSupported(): boolean {
  return readFileSync(new URL('../src/config.ts', import.meta.url), 'utf8').includes('REDIS_SENTINELS');
}
