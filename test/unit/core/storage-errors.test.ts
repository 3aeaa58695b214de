import { DatabaseSync } from 'node:sqlite';
import { Redis, ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { StorageUnavailableError, storageUnavailable } from '../../../src/core/storage-errors.ts';
import { failureText } from '../../../src/doors/slack/respond.ts';
import { replyTargetOf } from '../../../src/doors/slack/unhandled.ts';
import { RecordedThenFailedError } from '../../../src/lifecycle/errors.ts';

/** A real SQLITE_FULL from node:sqlite: a database that may not grow past two pages. */
function sqliteFull(): unknown {
  const db = new DatabaseSync(':memory:');
  db.exec('CREATE TABLE t (x); PRAGMA max_page_count = 2');
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  try {
    for (let i = 0; i < 100; i++) insert.run('x'.repeat(1_000));
  } catch (error) {
    return error;
  } finally {
    db.close();
  }
  throw new Error('the database never filled');
}

const CONFIRM = {
  could: 'record your approval',
  unchanged: 'Nothing was sent to MoEngage; press Confirm again in a moment',
  unknown: 'Check the message before trying again',
};

describe('recognising the storage being down', () => {
  it('knows a full SQLite file', () => {
    const found = storageUnavailable(sqliteFull());
    expect(found).toBeInstanceOf(StorageUnavailableError);
    expect(found).toMatchObject({ code: 'storage_unavailable', store: 'sqlite', reason: 'SQLITE_FULL' });
  });

  it('knows a SQLite error that is a bug, not an outage, and leaves it alone', () => {
    const db = new DatabaseSync(':memory:');
    let error: unknown;
    try {
      db.exec('SELECT * FROM nowhere');
    } catch (e) {
      error = e;
    }
    db.close();
    expect(storageUnavailable(error)).toBeUndefined();
  });

  it("knows Redis's demoted, loading and out-of-memory answers, bare or inside a script's error", () => {
    for (const message of [
      "READONLY You can't write against a read only replica.",
      'LOADING Redis is loading the dataset in memory',
      "OOM command not allowed when used memory > 'maxmemory'.",
      "ERR Error running script (call to f_1): @user_script:2: -READONLY You can't write against a read only replica.",
    ]) {
      expect(storageUnavailable(new ReplyError(message))?.store, message).toBe('redis');
    }
    expect(storageUnavailable(new ReplyError('ERR wrong number of arguments'))).toBeUndefined();
  });

  it('knows a command ioredis gave up on because Redis is not there', async () => {
    const redis = new Redis({
      port: 1,
      host: '127.0.0.1',
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    redis.on('error', () => {});
    const error = await redis.get('x').catch((e: unknown) => e);
    redis.disconnect();
    expect(storageUnavailable(error)).toMatchObject({ store: 'redis' });
  });

  it('leaves anything else alone', () => {
    expect(storageUnavailable(new Error('disk on fire'))).toBeUndefined();
    expect(storageUnavailable('a string')).toBeUndefined();
  });
});

describe('the words a failed click or command is told in', () => {
  it('says the storage is down and that nothing was sent, for a Confirm that could not be recorded', () => {
    expect(failureText(sqliteFull(), CONFIRM)).toBe(
      "I could not record your approval: the bot's storage is unavailable. Nothing was sent to MoEngage; press Confirm again in a moment.",
    );
  });

  it('is cautious about a failure it does not know', () => {
    expect(failureText(new Error('bug'), CONFIRM)).toBe(
      "I could not record your approval: something went wrong on my side (the details are in the bot's log). Check the message before trying again.",
    );
  });

  it('never says nothing changed once the decision was recorded', () => {
    const approval = failureText(new RecordedThenFailedError('approval', sqliteFull()), CONFIRM);
    expect(approval).toContain('Your approval is recorded');
    expect(approval).not.toContain('Nothing was sent');
    const cancel = failureText(new RecordedThenFailedError('cancel', new Error('x')), CONFIRM);
    expect(cancel).toContain('The request is cancelled');
  });
});

describe('who an unhandled error is told to', () => {
  it('reads a command payload and a click payload', () => {
    expect(replyTargetOf({ response_url: 'https://x/y', channel_id: 'C1', user_id: 'U1' })).toEqual({
      responseUrl: 'https://x/y',
      channelId: 'C1',
      userId: 'U1',
    });
    expect(replyTargetOf({ user: { id: 'U2' }, container: { channel_id: 'C2' } })).toEqual({
      channelId: 'C2',
      userId: 'U2',
    });
    expect(replyTargetOf(undefined)).toEqual({});
  });
});
