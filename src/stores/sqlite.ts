import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { StartupError } from '../config.ts';

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

/**
 * The file's schema as ordered steps; `PRAGMA user_version` in the file says how many it has had. A start applies
 * the ones it lacks, in order, in one write transaction (all or none), and refuses a file whose version is past
 * the last it knows: a newer bot's file may mean something this one would misread. Append a step for any change;
 * never edit or reorder one that has shipped.
 *
 * Files made before the version (user_version 0) already have some of these tables, the outbox's and the
 * catalog's included (those stores made their own then): so the first steps are idempotent (IF NOT EXISTS, a
 * column added only when missing) and such a file ends at the same version as a new one.
 */
export const MIGRATIONS: readonly { name: string; up: (db: DatabaseSync) => void }[] = [
  {
    name: 'requests, deliveries, holds, Idempotency-Keys, the audit trail, the readiness probe',
    up: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY,
  json TEXT NOT NULL,
  pending INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  forget_at INTEGER NOT NULL
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
`),
  },
  {
    name: 'the run journal: requests.run_due (NULL: no run to take over)',
    up: (db) => {
      const columns = db.prepare('PRAGMA table_info(requests)').all() as { name: string }[];
      if (!columns.some((c) => c.name === 'run_due'))
        db.exec('ALTER TABLE requests ADD COLUMN run_due INTEGER');
      db.exec('CREATE INDEX IF NOT EXISTS requests_runs ON requests (run_due) WHERE run_due IS NOT NULL');
    },
  },
  {
    // `waiting` counts a queue's entries, so a claim reads an index, not the rows.
    name: 'the Slack outbox',
    up: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  target TEXT,
  rank INTEGER,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_queue ON outbox (queue, seq);
CREATE TABLE IF NOT EXISTS outbox_queues (
  queue TEXT PRIMARY KEY,
  waiting INTEGER NOT NULL DEFAULT 0,
  due_at INTEGER NOT NULL,
  holder TEXT,
  lease_until INTEGER NOT NULL DEFAULT 0,
  dropped INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  ranks TEXT NOT NULL DEFAULT '{}',
  touched_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox_queues (due_at) WHERE waiting > 0;
`),
  },
  {
    name: 'the campaign catalog',
    up: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS catalog (
  workspace TEXT NOT NULL,
  id TEXT NOT NULL,
  json TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (workspace, id)
);
CREATE TABLE IF NOT EXISTS catalog_meta (
  workspace TEXT PRIMARY KEY,
  full_at INTEGER,
  version INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_until INTEGER
);
`),
  },
];

/** The schema version this bot writes: the number of its migrations. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The file's schema version (`PRAGMA user_version`). */
export function schemaVersion(db: DatabaseSync): number {
  return (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
}

/**
 * Brings the file to SCHEMA_VERSION: the steps it lacks, in one write transaction (another process opening the
 * same file at once waits, then finds them done). A file from a newer bot is refused before anything is written.
 */
function migrate(db: DatabaseSync, path: string): void {
  const tooNew = (found: number) =>
    new StartupError(
      `SQLITE_PATH: ${path} has schema version ${found}, written by a newer campaign bot; this one knows versions up to ${SCHEMA_VERSION}. Run the newer version, or restore a backup this version made (docs/operating.md, "Back up and restore the SQLite file")`,
    );
  if (schemaVersion(db) > SCHEMA_VERSION) throw tooNew(schemaVersion(db));
  if (schemaVersion(db) === SCHEMA_VERSION) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    const found = schemaVersion(db);
    if (found > SCHEMA_VERSION) throw tooNew(found);
    for (const step of MIGRATIONS.slice(found)) step.up(db);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

export function openSqlite(path: string): Sqlite {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  try {
    db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;');
    migrate(db, path);
  } catch (error) {
    db.close();
    throw error;
  }
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
