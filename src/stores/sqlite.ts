import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * The embedded database (Node 24's built-in `node:sqlite`, no dependency): one file holds what must survive a
 * restart when there is no Redis. Every read-modify-write runs inside `BEGIN IMMEDIATE`, which takes the write
 * lock first, so it is atomic within this process (one thread) and against another process opening the same
 * file (WAL mode, a busy timeout instead of an immediate SQLITE_BUSY).
 */
export interface Sqlite {
  db: DatabaseSync;
  /** Runs `fn` as one write transaction; rolls back if it throws. */
  transaction<T>(fn: () => T): T;
  /**
   * Whether the file takes a write now: one small write in a transaction (waiting at most `busyMs` for a lock),
   * failing too while a transaction of the stores failed for want of disk within the last `recentMs` (a small
   * write may still fit where a new request does not). Throws with why.
   */
  checkWritable(options?: { busyMs?: number; recentMs?: number; now?: number }): void;
  close(): void;
}

/** SQLite's primary result codes that mean the file cannot be written (full, I/O, read-only, cannot open). */
const DISK_ERRORS = new Map([
  [13, 'the disk (or the database) is full'],
  [10, 'a disk I/O error'],
  [8, 'the file is read-only'],
  [14, 'the file cannot be opened'],
]);

/** The words for a write failure that is about the file, not about the statement; undefined otherwise. */
export function diskProblem(error: unknown): string | undefined {
  const code = (error as { errcode?: unknown })?.errcode;
  return typeof code === 'number' ? DISK_ERRORS.get(code & 0xff) : undefined;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY,
  json TEXT NOT NULL,
  pending INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  forget_at INTEGER NOT NULL,
  run_due INTEGER
);
CREATE INDEX IF NOT EXISTS requests_due ON requests (pending, expires_at);
CREATE INDEX IF NOT EXISTS requests_forget ON requests (forget_at);
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, until INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS holds (key TEXT PRIMARY KEY, request_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, json TEXT NOT NULL, until INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  event TEXT NOT NULL,
  request_id TEXT,
  json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE INDEX IF NOT EXISTS audit_request ON audit (request_id);
CREATE TABLE IF NOT EXISTS readiness (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);
`;

export function openSqlite(path: string): Sqlite {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;');
  db.exec(SCHEMA);
  // Files made before the run journal have no run_due column: add it (NULL: no run to take over).
  const columns = db.prepare('PRAGMA table_info(requests)').all() as { name: string }[];
  if (!columns.some((c) => c.name === 'run_due')) db.exec('ALTER TABLE requests ADD COLUMN run_due INTEGER');
  db.exec('CREATE INDEX IF NOT EXISTS requests_runs ON requests (run_due) WHERE run_due IS NOT NULL');
  const probe = db.prepare(
    'INSERT INTO readiness (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at',
  );
  /** The last write of the stores that failed for want of disk: readiness says so for a while. */
  let lastDiskFailure: { at: number; problem: string } | undefined;
  const inTransaction = <T>(fn: () => T): T => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      db.exec('COMMIT');
      return out;
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
  };
  return {
    db,
    transaction(fn) {
      try {
        return inTransaction(fn);
      } catch (error) {
        const problem = diskProblem(error);
        if (problem) lastDiskFailure = { at: Date.now(), problem };
        throw error;
      }
    },
    checkWritable({ busyMs = 250, recentMs = 30_000, now = Date.now() } = {}) {
      // Readiness must not hold the (single) thread for the stores' 5 s busy timeout.
      db.exec(`PRAGMA busy_timeout = ${Math.round(busyMs)}`);
      try {
        inTransaction(() => probe.run(now));
      } catch (error) {
        throw new Error(`SQLITE_PATH cannot be written: ${diskProblem(error) ?? (error as Error).message}`);
      } finally {
        db.exec('PRAGMA busy_timeout = 5000');
      }
      if (lastDiskFailure && now - lastDiskFailure.at < recentMs) {
        throw new Error(
          `SQLITE_PATH: a write failed ${Math.round((now - lastDiskFailure.at) / 1000)} s ago: ${lastDiskFailure.problem}`,
        );
      }
    },
    close: () => db.close(),
  };
}
