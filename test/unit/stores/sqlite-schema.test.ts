import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, StartupError } from '../../../src/config.ts';
import { connectSharedState } from '../../../src/stores/connect.ts';
import { createSqliteOutbox } from '../../../src/stores/outbox-sqlite.ts';
import { MIGRATIONS, openSqlite, SCHEMA_VERSION, schemaVersion } from '../../../src/stores/sqlite.ts';
import { createSqliteStore } from '../../../src/stores/sqlite-store.ts';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'campaign-bot-schema-'));
  file = join(dir, 'bot.sqlite');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tables = (db: DatabaseSync) =>
  (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  )
    .map((t) => t.name)
    .filter((n) => !n.startsWith('sqlite_'));
const columns = (db: DatabaseSync, table: string) =>
  (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);

/** A file as the bot made it before its schema had a version: no run_due yet, the outbox's own tables. */
function fileFromBeforeVersions(path: string) {
  const db = new DatabaseSync(path);
  db.exec(`
CREATE TABLE requests (id TEXT PRIMARY KEY, json TEXT NOT NULL, pending INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  forget_at INTEGER NOT NULL);
CREATE TABLE seen (key TEXT PRIMARY KEY, until INTEGER NOT NULL);
CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, target TEXT, rank INTEGER,
  payload TEXT NOT NULL, created_at INTEGER NOT NULL);
INSERT INTO requests VALUES ('r1', '{}', 1, 10, 20);
INSERT INTO seen VALUES ('delivery-1', 99);
`);
  db.close();
}

const EVERY_TABLE = [
  'audit',
  'catalog',
  'catalog_meta',
  'holds',
  'idempotency',
  'outbox',
  'outbox_queues',
  'readiness',
  'requests',
  'seen',
];

describe('the SQLite file’s schema version', () => {
  it('gives a new file every table and the current version, one step a migration', () => {
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    const sqlite = openSqlite(file);
    expect(schemaVersion(sqlite.db)).toBe(SCHEMA_VERSION);
    expect(tables(sqlite.db)).toEqual(EVERY_TABLE);
    expect(columns(sqlite.db, 'requests')).toContain('run_due');
    sqlite.close();
  });

  it('brings a file from before versions to the current one, keeping its rows', async () => {
    fileFromBeforeVersions(file);
    const sqlite = openSqlite(file);
    expect(schemaVersion(sqlite.db)).toBe(SCHEMA_VERSION);
    expect(tables(sqlite.db)).toEqual(EVERY_TABLE);
    expect(columns(sqlite.db, 'requests')).toContain('run_due');
    expect(sqlite.db.prepare('SELECT id, run_due FROM requests').all()).toEqual([
      { id: 'r1', run_due: null },
    ]);
    expect(sqlite.db.prepare('SELECT key FROM seen').all()).toEqual([{ key: 'delivery-1' }]);
    // The stores work on it: the outbox on its old table and the new one beside it.
    const outbox = createSqliteOutbox(sqlite);
    await outbox.enqueue('q1', [{ payload: { text: 'hello' } }]);
    expect((await outbox.stats()).depth).toBe(1);
    expect(await createSqliteStore(sqlite).runsDue(Number.MAX_SAFE_INTEGER)).toEqual([]);
    sqlite.close();
  });

  it('applies nothing twice: a second open of a current file changes nothing', () => {
    openSqlite(file).close();
    const sqlite = openSqlite(file);
    expect(schemaVersion(sqlite.db)).toBe(SCHEMA_VERSION);
    expect(tables(sqlite.db)).toEqual(EVERY_TABLE);
    sqlite.close();
  });

  it('refuses a file from a newer bot with a StartupError that says what to do, and leaves it as it was', async () => {
    const db = new DatabaseSync(file);
    db.exec(`CREATE TABLE future (x); PRAGMA user_version = ${SCHEMA_VERSION + 3}`);
    db.close();
    let refused: unknown;
    try {
      openSqlite(file);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(StartupError);
    expect((refused as Error).message).toBe(
      `SQLITE_PATH: ${file} has schema version ${SCHEMA_VERSION + 3}, written by a newer campaign bot; this one knows versions up to ${SCHEMA_VERSION}. Run the newer version, or restore a backup this version made (docs/operating.md, "Back up and restore the SQLite file")`,
    );
    const after = new DatabaseSync(file, { readOnly: true });
    expect(schemaVersion(after)).toBe(SCHEMA_VERSION + 3);
    expect(tables(after)).toEqual(['future']);
    after.close();

    // At start, as main.ts meets it: the same words, not "cannot open".
    const config = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdefabcdef',
      SLACK_SIGNING_SECRET: 'signing-secret-0123456789',
      MOENGAGE_WORKSPACE_ID: 'WS12345',
      MOENGAGE_API_KEY: 'api-key-very-secret',
      MOENGAGE_DATA_CENTER: '02',
      SQLITE_PATH: file,
    });
    await expect(connectSharedState(config, pino({ level: 'silent' }))).rejects.toThrow(
      `SQLITE_PATH: ${file} has schema version ${SCHEMA_VERSION + 3}, written by a newer campaign bot`,
    );
  });

  it('is kept by a backup taken while the bot has the file open, as docs/operating.md says (backup, VACUUM INTO)', async () => {
    const sqlite = openSqlite(file);
    const outbox = createSqliteOutbox(sqlite);
    await outbox.enqueue('q1', [{ payload: { text: 'kept' } }]);
    // The container's way (Node's own SQLite), then sqlite3's VACUUM INTO, from another connection.
    const reader = new DatabaseSync(file);
    await backup(reader, join(dir, 'backup.sqlite'));
    reader.exec(`VACUUM INTO '${join(dir, 'vacuumed.sqlite')}'`);
    reader.close();
    sqlite.close();
    for (const copy of ['backup.sqlite', 'vacuumed.sqlite']) {
      const restored = openSqlite(join(dir, copy));
      expect(schemaVersion(restored.db)).toBe(SCHEMA_VERSION);
      expect((await createSqliteOutbox(restored).stats()).depth).toBe(1);
      restored.close();
    }
  });
});
