import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite, type Sqlite } from '../../../src/stores/sqlite.ts';

// Write errors injected through SQLite itself (the tests run as root, so a chmod would not stop a write; the
// integration test fills a real small disk where the machine allows a mount).
let dir: string;
let sqlite: Sqlite | undefined;
afterEach(() => {
  sqlite?.close();
  sqlite = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function open(): Sqlite {
  dir = mkdtempSync(join(tmpdir(), 'sqlite-ready-'));
  sqlite = openSqlite(join(dir, 'bot.sqlite'));
  return sqlite;
}

describe('the SQLite readiness check', () => {
  it('passes on a writable file', () => {
    expect(() => open().checkWritable()).not.toThrow();
  });

  it('fails, saying so, when the file refuses writes', () => {
    const db = open();
    db.db.exec('PRAGMA query_only = ON');
    expect(() => db.checkWritable()).toThrow('SQLITE_PATH cannot be written: the file is read-only');
  });

  it('fails for a while after a write of the stores failed for want of space, though a small write still fits', () => {
    const db = open();
    db.db.exec('CREATE TABLE bulk (x TEXT)');
    const pages = (db.db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count;
    db.db.exec(`PRAGMA max_page_count = ${pages}`);
    expect(() =>
      db.transaction(() => db.db.prepare('INSERT INTO bulk VALUES (?)').run('x'.repeat(100_000))),
    ).toThrow(/full/);
    const now = Date.now();
    expect(() => db.checkWritable({ now })).toThrow(
      /a write failed 0 s ago: the disk \(or the database\) is full/,
    );
    expect(() => db.checkWritable({ now: now + 31_000 })).not.toThrow();
  });

  it('does not count a failure of the statement itself (a constraint) as the disk', () => {
    const db = open();
    db.db.exec('CREATE TABLE uniq (x TEXT PRIMARY KEY)');
    db.transaction(() => db.db.prepare('INSERT INTO uniq VALUES (?)').run('a'));
    expect(() => db.transaction(() => db.db.prepare('INSERT INTO uniq VALUES (?)').run('a'))).toThrow();
    expect(() => db.checkWritable()).not.toThrow();
  });
});
