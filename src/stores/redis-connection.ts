import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config.ts';

/**
 * The one place a Redis connection of the bot is made: a plain REDIS_URL (a server, or a managed endpoint whose
 * address moves to the new primary), or the master the sentinels of REDIS_SENTINELS name. Every other
 * connection (the change feed's and the limiter's subscribers) is a `duplicate()` of this one, so it carries the
 * same options. Cluster mode is not supported: see docs/operating.md ("Redis as operators run it").
 */
export type RedisTarget = Pick<Config, 'redisUrl' | 'redisSentinel'>;

export const REDIS_CLIENT_NAME = 'campaign-bot';

/** No command waits longer than this for an answer, queued or sent: the caller hears of an outage at once. */
export const COMMAND_TIMEOUT_MS = 3_000;

/**
 * After a failover the old master (or a demoted node behind a plain URL) answers writes with READONLY. The first
 * READONLY of an episode reconnects and resends (2): with sentinels, or a managed endpoint whose DNS has moved,
 * the new connection reaches the new master. READONLY answers of the same burst (commands already in flight)
 * are resent after that one reconnect. If the node still refuses after the reconnect, the command fails
 * (false) instead of reconnecting in a loop, until `coolDownMs` has passed and the next one may try again.
 */
export function readonlyReconnect(
  now: () => number = Date.now,
  { burstMs = 250, coolDownMs = 2_000 } = {},
): (error: Error) => false | 2 {
  let since = Number.NEGATIVE_INFINITY;
  return (error) => {
    if (!error.message.includes('READONLY')) return false;
    const t = now();
    if (t - since <= burstMs) return 2;
    if (t - since < coolDownMs) return false;
    since = t;
    return 2;
  };
}

/** The ioredis options of a target: pure, so what is asked of ioredis is tested without a server. */
export function redisOptions(target: RedisTarget, now: () => number = Date.now): RedisOptions {
  const common: RedisOptions = {
    // A command fails after two reconnects or COMMAND_TIMEOUT_MS, whichever first, instead of queueing forever.
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    connectTimeout: 5_000,
    commandTimeout: COMMAND_TIMEOUT_MS,
    reconnectOnError: readonlyReconnect(now),
    // CLIENT LIST on a node shows which connections are the bot's (its duplicates carry the name too).
    connectionName: REDIS_CLIENT_NAME,
  };
  const sentinel = target.redisSentinel;
  if (!sentinel) return common;
  const dataTls = target.redisUrl?.startsWith('rediss://') ?? false;
  return {
    ...common,
    sentinels: sentinel.sentinels.map((s) => ({ ...s })),
    name: sentinel.name,
    ...(sentinel.password ? { sentinelPassword: sentinel.password } : {}),
    ...(sentinel.tls ? { sentinelTLS: {} } : {}),
    // rediss:// in REDIS_URL: the data nodes the sentinels name are reached over TLS too.
    ...(dataTls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    // A sweep of every sentinel is tried three times, then the connection counts one failed attempt (so the
    // commands waiting on it fail as above) and starts again.
    sentinelRetryStrategy: (times: number) => (times > 3 ? null : Math.min(times * 200, 1_000)),
    // Subscribes to the sentinels' +switch-master: the client moves at a failover, not at the first READONLY.
    failoverDetector: true,
  };
}

/** A connection to the target (REDIS_URL's credentials, db and TLS apply in both modes). */
export function connectRedis(target: RedisTarget): Redis {
  const options = redisOptions(target);
  return target.redisUrl ? new Redis(target.redisUrl, options) : new Redis(options);
}

/** Where the connection goes, for logs and errors: never a password. */
export function describeTarget(target: RedisTarget): string {
  if (target.redisSentinel) {
    const s = target.redisSentinel;
    return `master "${s.name}" via sentinels ${s.sentinels.map((x) => `${x.host}:${x.port}`).join(',')}`;
  }
  if (!target.redisUrl) return 'no Redis';
  const url = new URL(target.redisUrl);
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

/**
 * Why Redis could not be used at start, in the words of the cause: ioredis's own (a command given up after its
 * retries) says nothing of the connection, so the connection's last error is told instead. Neither carries the
 * URL, so no password.
 */
export function startFailure(error: Error, connectionError: Error | undefined): string {
  const cause = connectionError ?? error;
  if (/^(WRONGPASS|NOAUTH|NOPERM)\b/.test(cause.message)) {
    return `refused the credentials (REDIS_URL's user and password): ${cause.message}`;
  }
  if (
    (cause as NodeJS.ErrnoException).code?.startsWith('E') ||
    /connect|closed|unreachable/i.test(cause.message)
  ) {
    return `is unreachable: ${cause.message}`;
  }
  return `did not answer: ${cause.message}`;
}
