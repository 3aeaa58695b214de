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
  close(): void;
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
  return {
    db,
    transaction(fn) {
      db.exec('BEGIN IMMEDIATE');
      try {
        const out = fn();
        db.exec('COMMIT');
        return out;
      } catch (error) {
        // SQLite has rolled back already on some errors (SQLITE_FULL, IOERR, BUSY): a ROLLBACK then throws "no
        // transaction is active" and would hide the cause (a full disk told as a bug).
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
    close: () => db.close(),
  };
}
