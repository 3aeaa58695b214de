import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestStore } from '../../src/core/store.ts';
import { HOME_UNAVAILABLE } from '../../src/doors/slack/home.ts';
import { openSqlite } from '../../src/stores/sqlite.ts';
import { createSqliteStore } from '../../src/stores/sqlite-store.ts';
import { CHANNEL, type Harness, hasButtons, startHarness } from '../support/bot-harness.ts';
import { cleanup, connectRedis, redisUrl, uniquePrefix } from '../support/redis.ts';
import { freePort, startRedisServer } from '../support/redis-procs.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

/** The words the issue asks for, for a Confirm whose approval could not be recorded. */
const CONFIRM_WORDS =
  "I could not record your approval: the bot's storage is unavailable. Nothing was sent to MoEngage; press Confirm again in a moment";
const COMMAND_WORDS =
  "I could not record the request: the bot's storage is unavailable. Nothing was proposed and nothing was sent to MoEngage; try again in a moment";
const CANCEL_WORDS =
  "I could not record your cancel: the bot's storage is unavailable. The request is unchanged";

let h: Harness | undefined;
let proxy: TcpProxy | undefined;
let prefix: string | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  proxy?.restore();
  if (h) {
    expect(h.slack.unexpected).toEqual([]);
    await h.stop();
  }
  await proxy?.close();
  if (prefix) {
    const redis = connectRedis();
    await cleanup(redis, prefix).finally(() => redis.quit());
  }
  for (const fn of cleanups.splice(0)) fn();
  h = undefined;
  proxy = undefined;
  prefix = undefined;
});

/** A confirmation up in CHANNEL, proposed by Alice while the storage works. */
async function confirmationUp(harness: Harness) {
  await harness.command('UALICE', 'pause camp_001 camp_002');
  const message = await harness.latestMessage();
  expect(hasButtons(message)).toBe(true);
  return message;
}

/** Clicks and a command while the storage is down: each told in its own words, nothing sent to MoEngage. */
async function answeredWhileDown(harness: Harness, message: Awaited<ReturnType<typeof confirmationUp>>) {
  const click = await harness.click('UBOB', message, 'campaign_confirm');
  expect(click.status).toBe(200);
  const confirm = await harness.slack.waitFor(
    () => harness.slack.ephemerals('UBOB').find((e) => e.text.includes(CONFIRM_WORDS)),
    15_000,
  );
  expect(confirm.channel).toBe(CHANNEL);

  const cancel = await harness.click('UALICE', message, 'campaign_cancel');
  expect(cancel.status).toBe(200);
  await harness.slack.waitFor(
    () => harness.slack.ephemerals('UALICE').find((e) => e.text.includes(CANCEL_WORDS)),
    15_000,
  );

  const before = harness.slack.responses.length;
  const ack = await harness.command('UALICE', 'stop camp_003');
  expect(ack.status).toBe(200);
  const answer = await harness.slack.waitFor(
    () => harness.slack.responses.slice(before).find((r) => JSON.stringify(r.body).includes(COMMAND_WORDS)),
    15_000,
  );
  expect(answer.refused).toBeUndefined();

  expect(harness.moengage.statusRequests()).toHaveLength(0);
  // The message still offers its buttons: nothing was decided.
  expect(hasButtons(harness.slack.message(CHANNEL, message.ts) as never)).toBe(true);
}

describe('when Redis cannot be reached', () => {
  it('answers a Confirm, a Cancel and a command with what could not be done, and sends nothing', async () => {
    proxy = await startTcpProxy(Number(new URL(redisUrl()).port || 6379));
    prefix = uniquePrefix('storage-down');
    h = await startHarness({
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      REDIS_KEY_PREFIX: prefix,
    });
    const message = await confirmationUp(h);

    proxy.cut();
    await answeredWhileDown(h, message);
    const harness = h;

    // The Home tab says it cannot be drawn, rather than showing nothing or stale data.
    await harness.slack.openAppHome(harness.url, 'UBOB');
    await harness.slack.waitFor(
      () => JSON.stringify(harness.slack.homeViews('UBOB').at(-1) ?? []).includes(HOME_UNAVAILABLE),
      15_000,
    );
    // A Workflow step fails with the words, instead of hanging.
    const run = await harness.slack.runFunction(harness.url, {
      callbackId: 'change_campaign_status',
      inputs: {
        action: 'pause',
        campaign_ids: 'camp_004',
        reason: 'INC-9',
        channel_id: CHANNEL,
        requested_by: { id: 'UALICE', secret: 'dXNlcl9jb250ZXh0' },
      },
    });
    const failed = await harness.slack.waitFor(
      () => harness.slack.completions.find((c) => c.functionExecutionId === run.functionExecutionId),
      15_000,
    );
    expect(failed.kind).toBe('error');
    expect(failed.error).toContain("the bot's storage is unavailable. Nothing was proposed");
    expect(harness.moengage.statusRequests()).toHaveLength(0);

    const down = h.log.lines().filter((l) => l.msg === 'failed after the acknowledgement');
    expect(down.length).toBeGreaterThan(0);
    expect(down.every((l) => l.code === 'storage_unavailable')).toBe(true);

    // Back: the same Confirm works.
    proxy.restore();
    const deadline = Date.now() + 15_000;
    while (harness.moengage.statusRequests().length === 0 && Date.now() < deadline) {
      await harness.click('UBOB', message, 'campaign_confirm');
      await harness.slack
        .waitFor(() => harness.moengage.statusRequests().length > 0, 1_000)
        .catch(() => undefined);
    }
    expect(harness.moengage.statusRequests().length).toBeGreaterThan(0);
  });
});

describe('when the Redis master is demoted to a read-only replica', () => {
  it('answers a Confirm, a Cancel and a command (READONLY), and sends nothing', async () => {
    // A redis-server of this test's own (the shared one is never demoted), stopped by pid.
    const own = await startRedisServer();
    cleanups.push(() => own.kill('SIGKILL'));
    h = await startHarness({ REDIS_URL: `redis://127.0.0.1:${own.port}`, REDIS_KEY_PREFIX: 'demoted:' });
    const message = await confirmationUp(h);

    // What a failover does to the old master: it follows another (here one that is gone) and refuses writes.
    const admin = new Redis({ port: own.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    await admin.replicaof('127.0.0.1', String(await freePort()));
    admin.disconnect();
    await answeredWhileDown(h, message);
    const down = h.log.lines().filter((l) => l.msg === 'failed after the acknowledgement');
    expect(down.map((l) => l.reason)).toContain('READONLY');
  });
});

/** A real SQLITE_FULL from node:sqlite: what a store on a full disk throws. */
function realSqliteFull(): unknown {
  const db = new DatabaseSync(':memory:');
  db.exec('CREATE TABLE t (x); PRAGMA max_page_count = 2');
  try {
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    for (let i = 0; i < 100; i++) insert.run('x'.repeat(1_000));
  } catch (error) {
    return error;
  } finally {
    db.close();
  }
  throw new Error('never filled');
}

describe('when the SQLite file cannot be written', () => {
  it('answers a Confirm, a Cancel and a command (writes refused with SQLITE_FULL), and sends nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'storage-down-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const sqlite = openSqlite(join(dir, 'bot.sqlite'));
    cleanups.push(() => sqlite.close());
    const real = createSqliteStore(sqlite);
    let full = false;
    const refuse = <A extends unknown[], T>(write: (...args: A) => Promise<T>) =>
      (async (...args: A) => {
        if (full) throw realSqliteFull();
        return write(...args);
      }) as (...args: A) => Promise<T>;
    const store: RequestStore = {
      ...real,
      create: refuse(real.create),
      setMessageTs: refuse(real.setMessageTs),
      decide: refuse(real.decide),
      approve: refuse(real.approve),
      update: refuse(real.update) as RequestStore['update'],
    };
    h = await startHarness({}, { store });
    const message = await confirmationUp(h);

    full = true;
    await answeredWhileDown(h, message);
    expect(
      h.log.lines().some((l) => l.msg === 'failed after the acknowledgement' && l.reason === 'SQLITE_FULL'),
    ).toBe(true);
  });

  // A really full disk: a 1 MiB tmpfs holding the SQLite file, filled up. Needs root (mount); elsewhere the
  // injected SQLITE_FULL above stands in for it.
  it.skipIf(process.getuid?.() !== 0)(
    'answers a Confirm, a Cancel and a command on a really full disk (1 MiB tmpfs), and sends nothing',
    async (ctx) => {
      const dir = mountTmpfs();
      if (dir === undefined) return ctx.skip('tmpfs could not be mounted here');
      cleanups.push(() => {
        execFileSync('umount', [dir]);
        rmSync(dir, { recursive: true, force: true });
      });
      h = await startHarness({ SQLITE_PATH: join(dir, 'bot.sqlite') });
      const message = await confirmationUp(h);
      fillDisk(dir);
      await answeredWhileDown(h, message);
      const down = h.log.lines().filter((l) => l.msg === 'failed after the acknowledgement');
      expect(down.map((l) => l.code)).toContain('storage_unavailable');
    },
  );
});

function mountTmpfs(): string | undefined {
  const dir = join(tmpdir(), `storage-full-${process.pid}-${Date.now()}`);
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1M', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

/** Writes filler files until the filesystem has no block left. */
function fillDisk(dir: string): void {
  for (let i = 0; ; i++) {
    try {
      writeFileSync(join(dir, `filler-${i}`), Buffer.alloc(64 * 1024));
    } catch {
      break;
    }
  }
  for (let i = 0; ; i++) {
    try {
      writeFileSync(join(dir, `crumb-${i}`), Buffer.alloc(512));
    } catch {
      return;
    }
  }
}
