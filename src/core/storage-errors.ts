/**
 * The bot's own storage (Redis, or the SQLite file) could not take or give what was asked: unreachable, demoted
 * to a read-only replica, out of memory or disk, or locked. Nothing a person did is wrong; the same step works
 * again once the storage is back. Recognised in one place (`storageUnavailable`), rendered by each door's one
 * error boundary.
 */
export class StorageUnavailableError extends Error {
  readonly code = 'storage_unavailable';
  /** Which storage, and the short reason (READONLY, SQLITE_FULL, connection…), for the log and the metric. */
  readonly store: 'redis' | 'sqlite';
  readonly reason: string;
  constructor(store: 'redis' | 'sqlite', reason: string, options?: { cause?: unknown }) {
    super(`the bot's storage (${store}) is unavailable: ${reason}`, options);
    this.name = 'StorageUnavailableError';
    this.store = store;
    this.reason = reason;
  }
}

// SQLite's primary result codes (errcode & 0xff) that say the file cannot be used now, not that the query is wrong.
const SQLITE_UNAVAILABLE: Record<number, string> = {
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  8: 'SQLITE_READONLY',
  10: 'SQLITE_IOERR',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
};

// Redis replies that mean "not now, not here": a demoted master, a node loading or without quorum, no memory.
const REDIS_REPLIES =
  /^(?:ERR .*?)?-?(READONLY|LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|OOM|NOREPLICAS|BUSY)\b/;
// ioredis's own words when it has no usable connection (a socket's ECONNREFUSED is only an 'error' event; the
// command itself fails with one of these). Plain network codes are not matched: a Slack call has them too.
const REDIS_CONNECTION = [
  /Reached the max retries per request limit/,
  /Connection is closed/,
  /Stream isn't writeable/,
  /Command timed out/,
  /connect ETIMEDOUT/,
  /All sentinels are unreachable/,
  /None of the sentinels are available/,
];

/**
 * The error as a StorageUnavailableError when it says the storage cannot be used now (the one place that knows
 * ioredis's and node:sqlite's errors); undefined for anything else (a bug, a bad request), which stays as it is.
 */
export function storageUnavailable(error: unknown): StorageUnavailableError | undefined {
  if (error instanceof StorageUnavailableError) return error;
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & { code?: unknown; errcode?: unknown; errstr?: unknown };
  if (e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number') {
    const reason = SQLITE_UNAVAILABLE[e.errcode & 0xff];
    return reason ? new StorageUnavailableError('sqlite', reason, { cause: error }) : undefined;
  }
  if (e.name === 'MaxRetriesPerRequestError') return redis('connection lost', error);
  const reply = e.name === 'ReplyError' ? REDIS_REPLIES.exec(e.message) : null;
  if (reply) return redis(reply[1] as string, error);
  // A write script run on a demoted master: Redis wraps the READONLY in the script's error.
  if (e.name === 'ReplyError' && /-READONLY\b|\bREADONLY You can't write/.test(e.message))
    return redis('READONLY', error);
  if (REDIS_CONNECTION.some((pattern) => pattern.test(e.message))) return redis('connection lost', error);
  return undefined;
}

function redis(reason: string, cause: Error): StorageUnavailableError {
  return new StorageUnavailableError('redis', reason, { cause });
}
