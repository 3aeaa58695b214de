import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type Config, StartupError } from '../config.ts';
import type { Outbox } from '../core/outbox.ts';
import type { CatalogStore, ChangeFeed } from '../core/ports.ts';
import type { RequestStore } from '../core/store.ts';
import type { CallLimiter } from '../moengage/limiter.ts';
import { type AuditTrail, createRedisAuditTrail, createSqliteAuditTrail } from './audit-trail.ts';
import { createRedisCatalogStore, createSqliteCatalogStore } from './catalog.ts';
import { createRedisChangeFeed } from './change-feed.ts';
import { createRedisDeduper, createSqliteDeduper, type Deduper } from './dedupe.ts';
import { createRedisIdempotency, createSqliteIdempotency, type IdempotencyStore } from './idempotency.ts';
import { createRedisOutbox } from './outbox-redis.ts';
import { createSqliteOutbox } from './outbox-sqlite.ts';
import { connectRedis, describeTarget, startFailure } from './redis-connection.ts';
import { createRedisSlidingLimiter } from './redis-limiter.ts';
import { createRedisStore } from './redis-store.ts';
import { openSqlite } from './sqlite.ts';
import { createSqliteStore } from './sqlite-store.ts';

export interface SharedState {
  store?: RequestStore;
  limiter?: CallLimiter;
  /** The campaign search's own limit (it has its own 10/s, 100/min, 6,000/h), shared by replicas too. */
  searchLimiter?: CallLimiter;
  dedupe?: Deduper;
  idempotency?: IdempotencyStore;
  changes?: ChangeFeed;
  auditTrail?: AuditTrail;
  /** The campaign catalog (names for the picker, links, names in commands), shared by replicas. */
  catalogStore?: CatalogStore;
  /** What waits for Slack (thread results, summaries, edits), drained by any replica. */
  outbox?: Outbox;
  /** Whether a run handed back on shutdown can be continued: by a replica (Redis) or after a restart (a file). */
  handBack: boolean;
  /** Only this process uses the store (a SQLite file): runs left unfinished are its own, resumed at start. */
  exclusiveStore?: boolean;
  /** Each resolves true when ready, false or a rejection (its message says why) when not. */
  readinessChecks: Record<string, () => Promise<boolean>>;
  /** False once a client has given up for good (nothing left to retry): liveness fails, a restart is due. */
  alive?: () => boolean;
  close(): Promise<void>;
}

/**
 * With REDIS_URL, everything replicas must agree on lives in Redis: pending requests, their approvals and
 * single-use claim, repeated deliveries, Idempotency-Keys and MoEngage's rate limit. Without it, in the embedded
 * database at SQLITE_PATH (one process; it survives a restart), and MoEngage's rate limit in memory.
 */
export async function connectSharedState(config: Config, logger: Logger): Promise<SharedState> {
  if (!config.redisUrl && !config.redisSentinel)
    return openEmbeddedState(config.sqlitePath, logger, config.auditRetentionDays);
  const log = logger.child({ module: 'redis' });
  const where = describeTarget(config);
  // Commands fail fast while Redis is away (readiness says so) instead of queueing without bound; a READONLY
  // answer (a failover) reconnects to the current master. See redis-connection.ts.
  const redis = connectRedis(config);
  // Until Redis first answers, a refused connection is one fact for the start-up error, not a warning per retry:
  // ioredis retries, and each limiter's subscriber too, a dozen lines before the one that said why. Once up,
  // every error is logged (an outage is readiness's business; see redisWritable).
  let starting = true;
  let lastConnectionError: Error | undefined;
  redis.on('error', (error: Error) => {
    if (starting) lastConnectionError = error;
    else log.warn({ err: error.message }, 'redis connection error');
  });
  logRedisMoves(redis, log);
  const background = (what: string) => (error: unknown) => {
    if (!starting) log.warn({ err: String(error) }, `${what} background error`);
  };
  const prefix = config.redisKeyPrefix;
  const limiter = createRedisSlidingLimiter({
    redis,
    id: `${prefix}moengage:${config.moengage.workspaceId}`,
    onError: background('shared limiter'),
  });
  const searchLimiter = createRedisSlidingLimiter({
    redis,
    id: `${prefix}moengage-search:${config.moengage.workspaceId}`,
    onError: background('shared search limiter'),
  });
  try {
    await redis.ping();
    await refuseClusterMode(redis, where);
    await limiter.ready();
    await searchLimiter.ready();
  } catch (error) {
    redis.disconnect();
    await Promise.allSettled([limiter.stop(), searchLimiter.stop()]);
    if (error instanceof StartupError) throw error;
    throw new StartupError(`Redis (${where}) ${startFailure(error as Error, lastConnectionError)}`);
  }
  starting = false;
  log.info(
    { prefix, redis: where },
    'shared state in Redis: pending requests, claims, deliveries and the MoEngage limit',
  );
  const changes = createRedisChangeFeed(redis, prefix);
  return {
    changes,
    auditTrail: createRedisAuditTrail(redis, prefix, { retainDays: config.auditRetentionDays }),
    handBack: true,
    store: createRedisStore({ redis, keyPrefix: prefix }),
    catalogStore: createRedisCatalogStore(redis, prefix),
    outbox: createRedisOutbox({ redis, keyPrefix: prefix }),
    limiter,
    searchLimiter,
    dedupe: createRedisDeduper(redis, prefix),
    idempotency: createRedisIdempotency(redis, prefix),
    readinessChecks: { redis: redisWritable(redis, `${prefix}readiness:${randomUUID()}`) },
    // ioredis ends a connection only when told to (quit) or when its retry strategy says stop: then nothing
    // will bring it back but a restart.
    alive: () => redis.status !== 'end',
    async close() {
      await changes.close();
      await limiter.stop();
      await searchLimiter.stop();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * Ready only when Redis takes a write: a replica (READONLY), a full Redis (OOM), a cut connection or a master
 * that has gone all fail here, where a PING would still answer from a replica. The key is this process's own
 * and vanishes by itself; one second at most.
 */
export function redisWritable(redis: Redis, key: string, deadlineMs = 1_000): () => Promise<boolean> {
  return () =>
    new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Redis did not take a write within ${deadlineMs} ms`)),
        deadlineMs,
      );
      redis.set(key, String(Date.now()), 'PX', 60_000).then(
        (answer) => {
          clearTimeout(timer);
          resolve(answer === 'OK');
        },
        (error: Error) => {
          clearTimeout(timer);
          reject(new Error(`Redis refused a write: ${error.message}`));
        },
      );
    });
}

/**
 * The scripts read and write several keys of the prefix at once, some named inside the script: on a cluster-mode
 * endpoint they would fail (CROSSSLOT, MOVED) at the first request, not at start. Said now, plainly. A server
 * that does not let INFO through is let be.
 */
async function refuseClusterMode(redis: Redis, where: string): Promise<void> {
  const info = await redis.info('cluster').catch(() => '');
  if (/cluster_enabled:1/.test(info)) {
    throw new StartupError(
      `Redis (${where}) is a cluster-mode endpoint, which the bot does not support: use a primary with replicas (REDIS_SENTINELS, or a managed service's primary endpoint with cluster mode disabled)`,
    );
  }
}

/** A failover or an outage seen by the client, in the log: where it is connected now, never a password. */
function logRedisMoves(redis: Redis, log: Logger): void {
  let wasReady = false;
  redis.on('ready', () => {
    const node = `${redis.stream?.remoteAddress ?? '?'}:${redis.stream?.remotePort ?? '?'}`;
    if (wasReady) log.info({ node }, 'redis connection ready again');
    wasReady = true;
  });
}

function openEmbeddedState(path: string, logger: Logger, retainDays: number): SharedState {
  let sqlite: ReturnType<typeof openSqlite>;
  try {
    sqlite = openSqlite(path);
  } catch (error) {
    if (error instanceof StartupError) throw error;
    throw new StartupError(`SQLITE_PATH: cannot open ${path} (${(error as Error).message})`);
  }
  logger
    .child({ module: 'sqlite' })
    .info(
      { path },
      'state in the embedded database: pending requests, approvals, claims, deliveries and Idempotency-Keys survive a restart',
    );
  return {
    store: createSqliteStore(sqlite),
    catalogStore: createSqliteCatalogStore(sqlite),
    outbox: createSqliteOutbox(sqlite),
    dedupe: createSqliteDeduper(sqlite),
    idempotency: createSqliteIdempotency(sqlite),
    auditTrail: createSqliteAuditTrail(sqlite, { retainDays }),
    handBack: path !== ':memory:',
    exclusiveStore: true,
    // A file that cannot be written (full disk, read-only mount, I/O errors) makes the bot unready.
    readinessChecks:
      path === ':memory:'
        ? {}
        : {
            sqlite: async () => {
              sqlite.checkWritable();
              return true;
            },
          },
    async close() {
      sqlite.close();
    },
  };
}
