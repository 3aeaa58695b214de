import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Outbox } from './core/outbox.ts';
import { type ChangeFeed, createRedisChangeFeed } from './lifecycle/changes.ts';
import type { CallLimiter } from './moengage/limiter.ts';
import { createRedisSlidingLimiter } from './moengage/redis-limiter.ts';
import { type AuditTrail, createRedisAuditTrail, createSqliteAuditTrail } from './requests/audit-trail.ts';
import { createRedisDeduper, createSqliteDeduper, type Deduper } from './requests/dedupe.ts';
import type { RequestStore } from './requests/model.ts';
import { createRedisOutbox } from './requests/outbox-redis.ts';
import { createSqliteOutbox } from './requests/outbox-sqlite.ts';
import { createRedisStore } from './requests/redis-store.ts';
import { createSqliteStore } from './requests/sqlite-store.ts';
import {
  createRedisIdempotency,
  createSqliteIdempotency,
  type IdempotencyStore,
} from './runbook/idempotency.ts';
import { StartupError } from './server.ts';
import { openSqlite } from './state/sqlite.ts';

export interface SharedState {
  store?: RequestStore;
  limiter?: CallLimiter;
  /** The campaign search's own limit (it has its own 10/s, 100/min, 6,000/h), shared by replicas too. */
  searchLimiter?: CallLimiter;
  dedupe?: Deduper;
  idempotency?: IdempotencyStore;
  changes?: ChangeFeed;
  auditTrail?: AuditTrail;
  /** What waits for Slack (thread results, summaries, edits), drained by any replica. */
  outbox?: Outbox;
  /** Whether a run handed back on shutdown can be continued: by a replica (Redis) or after a restart (a file). */
  handBack: boolean;
  /** Only this process uses the store (a SQLite file): runs left unfinished are its own, resumed at start. */
  exclusiveStore?: boolean;
  readinessChecks: Record<string, () => Promise<boolean>>;
  close(): Promise<void>;
}

/**
 * With REDIS_URL, everything replicas must agree on lives in Redis: pending requests, their approvals and
 * single-use claim, repeated deliveries, Idempotency-Keys and MoEngage's rate limit. Without it, in the embedded
 * database at SQLITE_PATH (one process; it survives a restart), and MoEngage's rate limit in memory.
 */
export async function connectSharedState(config: Config, logger: Logger): Promise<SharedState> {
  if (!config.redisUrl) return openEmbeddedState(config.sqlitePath, logger, config.auditRetentionDays);
  const log = logger.child({ module: 'redis' });
  // Commands fail fast while Redis is away (readiness says so) instead of queueing without bound.
  const redis = new Redis(config.redisUrl, {
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    connectTimeout: 5_000,
  });
  redis.on('error', (error: Error) => log.warn({ err: error.message }, 'redis connection error'));
  const prefix = config.redisKeyPrefix;
  const limiter = createRedisSlidingLimiter({
    redis,
    id: `${prefix}moengage:${config.moengage.workspaceId}`,
    onError: (error) => log.warn({ err: String(error) }, 'shared limiter background error'),
  });
  const searchLimiter = createRedisSlidingLimiter({
    redis,
    id: `${prefix}moengage-search:${config.moengage.workspaceId}`,
    onError: (error) => log.warn({ err: String(error) }, 'shared search limiter background error'),
  });
  try {
    await redis.ping();
    await limiter.ready();
    await searchLimiter.ready();
  } catch (error) {
    redis.disconnect();
    throw new StartupError(`Redis at REDIS_URL did not answer (${(error as Error).message})`);
  }
  log.info({ prefix }, 'shared state in Redis: pending requests, claims, deliveries and the MoEngage limit');
  const changes = createRedisChangeFeed(redis, prefix);
  return {
    changes,
    auditTrail: createRedisAuditTrail(redis, prefix, { retainDays: config.auditRetentionDays }),
    handBack: true,
    store: createRedisStore({ redis, keyPrefix: prefix }),
    outbox: createRedisOutbox({ redis, keyPrefix: prefix }),
    limiter,
    searchLimiter,
    dedupe: createRedisDeduper(redis, prefix),
    idempotency: createRedisIdempotency(redis, prefix),
    readinessChecks: {
      redis: () =>
        Promise.race([
          redis.ping().then((pong) => pong === 'PONG'),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1_000).unref()),
        ]),
    },
    async close() {
      await changes.close();
      await limiter.stop();
      await searchLimiter.stop();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

function openEmbeddedState(path: string, logger: Logger, retainDays: number): SharedState {
  let sqlite: ReturnType<typeof openSqlite>;
  try {
    sqlite = openSqlite(path);
  } catch (error) {
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
    outbox: createSqliteOutbox(sqlite),
    dedupe: createSqliteDeduper(sqlite),
    idempotency: createSqliteIdempotency(sqlite),
    auditTrail: createSqliteAuditTrail(sqlite, { retainDays }),
    handBack: path !== ':memory:',
    exclusiveStore: true,
    readinessChecks: {},
    async close() {
      sqlite.close();
    },
  };
}
