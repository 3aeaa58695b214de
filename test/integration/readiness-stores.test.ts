import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/bot-harness.ts';
import { waitUntil } from '../support/redis-procs.ts';

interface ReadyBody {
  ready: boolean;
  checks: Record<string, boolean>;
  failing?: Record<string, string>;
}

let h: Harness | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await h?.stop();
  h = undefined;
  for (const f of cleanups.splice(0).reverse()) f();
});

async function get(port: number, path: string) {
  const res = await request(`http://127.0.0.1:${port}${path}`);
  return { status: res.statusCode, body: (await res.body.json()) as ReadyBody };
}
const readyz = (port: number) => get(port, '/readyz');

/** A real 512 KiB filesystem (tmpfs), where the machine lets the tests mount one (root, a mount namespace). */
function smallDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  cleanups.push(() => {
    execFileSync('umount', [dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Fills the disk to the last byte; returns how to free it again. */
function fill(dir: string): () => void {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  try {
    const block = Buffer.alloc(4096);
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return () => rmSync(path, { force: true });
}

describe('/readyz and the SQLite file', () => {
  it('turns unready when the disk under SQLITE_PATH is full, and ready again once there is room', async (ctx) => {
    const disk = smallDisk();
    // Without a mount (no root, no namespace) the write error is injected instead:
    // test/unit/stores/sqlite-readiness.test.ts.
    if (!disk) return ctx.skip();
    h = await startHarness({ SQLITE_PATH: join(disk, 'bot.sqlite') });
    const bot = h.bot;
    expect(await readyz(bot.port)).toEqual({
      status: 200,
      body: { ready: true, checks: { slack: true, accepting: true, sqlite: true } },
    });
    const free = fill(disk);
    const down = await readyz(bot.port);
    expect(down.status).toBe(503);
    expect(down.body.failing).toEqual({
      sqlite: 'SQLITE_PATH cannot be written: the disk (or the database) is full',
    });
    // The process itself is fine: a restart would not make room.
    expect((await get(bot.port, '/healthz')).status).toBe(200);
    expect(
      h.log
        .lines()
        .some((l) => l.module === 'readiness' && l.check === 'sqlite' && /full/.test(String(l.reason))),
    ).toBe(true);
    free();
    expect((await readyz(bot.port)).status).toBe(200);
  });
});

describe('/readyz and MoEngage credentials', () => {
  const refusal = (h: Harness) =>
    h.log.lines().find((l) => l.module === 'moengage-credentials' && /MoEngage refused/.test(String(l.msg)));

  it('turns unready at start when MoEngage refuses the key (401), with a log line that names what to fix but not the key', async () => {
    const wrongKey = 'wrong-moengage-key-123456';
    h = await startHarness(
      { MOENGAGE_API_KEY: wrongKey },
      { credentialCheck: true, timings: { credentialCheckMs: 600_000 } },
    );
    const harness = h;
    const down = await waitUntil('readiness to turn false', async () => {
      const r = await readyz(harness.bot.port);
      return r.status === 503 && r;
    });
    expect(down.body.checks).toMatchObject({ moengage_credentials: false, slack: true });
    expect(down.body.failing?.moengage_credentials).toMatch(/MoEngage refused the credentials \(HTTP 401\)/);
    const line = refusal(harness);
    expect(line?.msg).toMatch(/MOENGAGE_API_KEY is wrong or revoked.*MOENGAGE_DATA_CENTER/);
    expect(harness.log.raw()).not.toContain(wrongKey);
    // One search call at the lowest priority, nothing sent to the status API.
    expect(harness.moengage.searchRequests()).toHaveLength(1);
    expect(harness.moengage.statusRequests()).toHaveLength(0);
  });

  it('stays ready with the right key, when MoEngage cannot be reached, and turns unready when the key is refused later', async () => {
    h = await startHarness({}, { credentialCheck: true, timings: { credentialCheckMs: 100 } });
    const harness = h;
    await waitUntil('the first check', async () => harness.moengage.searchRequests().length >= 1);
    expect((await readyz(harness.bot.port)).status).toBe(200);
    // A reset and a 503 say nothing about the key: still ready.
    harness.moengage.inject({ kind: 'reset', api: 'search' });
    harness.moengage.inject({ kind: 'status', status: 503, api: 'search' });
    const seen = harness.moengage.searchRequests().length;
    await waitUntil('two more checks', async () => harness.moengage.searchRequests().length >= seen + 3);
    expect((await readyz(harness.bot.port)).status).toBe(200);
    expect(refusal(harness)).toBeUndefined();
    // The key is revoked: the next check sees it.
    harness.moengage.inject({ kind: 'status', status: 401, api: 'search' }, 100);
    await waitUntil('readiness to turn false', async () => (await readyz(harness.bot.port)).status === 503);
    expect(refusal(harness)).toBeDefined();
  });

  it('asks the status API, with a request that changes nothing, when the search answers 403; its 401 refuses', async () => {
    h = await startHarness({}, { credentialCheck: true, timings: { credentialCheckMs: 100 } });
    const harness = h;
    await waitUntil('the first check', async () => harness.moengage.searchRequests().length >= 1);
    expect((await readyz(harness.bot.port)).status).toBe(200);
    // An account without search (403) says nothing about the key; the status API's answer does.
    harness.moengage.inject({ kind: 'status', status: 403, api: 'search' }, 100);
    harness.moengage.inject({ kind: 'status', status: 401, api: 'status' }, 100);
    await waitUntil('readiness to turn false', async () => (await readyz(harness.bot.port)).status === 503);
    expect(harness.moengage.statusRequests().length).toBeGreaterThan(0);
    expect(harness.moengage.statusRequests().every((r) => r.outcome !== 'applied')).toBe(true);
    expect(refusal(harness)).toBeDefined();
  });

  it('takes a 400 from the status API as the key accepted (search not enabled, right key): nothing changes', async () => {
    h = await startHarness(
      {},
      { credentialCheck: true, timings: { credentialCheckMs: 600_000 }, moengage: { searchEnabled: false } },
    );
    const harness = h;
    await waitUntil('the status call', async () => harness.moengage.statusRequests().length === 1);
    const [call] = harness.moengage.statusRequests();
    expect(call?.status).toBe(400);
    expect((await readyz(harness.bot.port)).status).toBe(200);
    expect(call?.outcome).not.toBe('applied');
  });

  it('asks the V5 APIs with MOENGAGE_API_VERSION=v5: a refused key, and an accepted one on an account without search', async () => {
    h = await startHarness(
      { MOENGAGE_API_VERSION: 'v5', MOENGAGE_API_KEY: 'wrong-v5-key-000000' },
      { credentialCheck: true, timings: { credentialCheckMs: 600_000 } },
    );
    const refused = h;
    await waitUntil('readiness to turn false', async () => (await readyz(refused.bot.port)).status === 503);
    expect(refused.moengage.searchRequests().map((r) => [r.api, r.status])).toEqual([['v5-search', 401]]);
    await h.stop();

    h = await startHarness(
      { MOENGAGE_API_VERSION: 'v5' },
      { credentialCheck: true, timings: { credentialCheckMs: 600_000 }, moengage: { searchEnabled: false } },
    );
    const accepted = h;
    await waitUntil('the status call', async () => accepted.moengage.statusRequests().length === 1);
    const [call] = accepted.moengage.statusRequests();
    expect(call?.api).toBe('v5-status');
    expect([400, 404, 422]).toContain(call?.status);
    expect((await readyz(accepted.bot.port)).status).toBe(200);
  });
});
