import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/bot-harness.ts';
import { uniquePrefix } from '../support/redis.ts';

/** A Redis server of this test's own, on a free port, so it can be stopped and started again. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'pipe',
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('Ready to accept connections')) resolve();
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  return child;
}

let h: Harness | undefined;
let redis: ChildProcess | undefined;
afterEach(async () => {
  await h?.stop().catch(() => undefined);
  redis?.kill('SIGKILL');
});

async function readyz(port: number) {
  const res = await request(`http://127.0.0.1:${port}/readyz`);
  return {
    status: res.statusCode,
    body: (await res.body.json()) as { ready: boolean; checks: Record<string, boolean> },
  };
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}

describe('/readyz with Redis', () => {
  it('turns unready when Redis goes away and ready again when it returns', async () => {
    const port = await freePort();
    redis = await startRedis(port);
    h = await startHarness({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      REDIS_KEY_PREFIX: uniquePrefix('readyz'),
    });
    const bot = h.bot;
    expect(await readyz(bot.port)).toEqual({
      status: 200,
      body: { ready: true, checks: { slack: true, accepting: true, redis: true } },
    });

    redis.kill('SIGKILL');
    await once(redis, 'exit');
    await until(async () => (await readyz(bot.port)).status === 503);
    expect((await readyz(bot.port)).body.checks).toMatchObject({ redis: false, slack: true });
    // Liveness is not readiness: the process is fine, it just should not get traffic.
    const health = await request(`http://127.0.0.1:${bot.port}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.text();

    redis = await startRedis(port);
    await until(async () => (await readyz(bot.port)).status === 200, 15_000);
  }, 40_000);
});
