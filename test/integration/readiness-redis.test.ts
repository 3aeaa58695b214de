import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { connectSharedState } from '../../src/stores/connect.ts';
import { type Harness, startHarness } from '../support/bot-harness.ts';
import { memoryLogger } from '../support/fixtures.ts';
import { uniquePrefix } from '../support/redis.ts';
import { type RedisProc, redisCommand, startRedisServer, waitUntil } from '../support/redis-procs.ts';

/** Redis servers of this file's own (real processes on free ports), so they can be killed and demoted. */
let h: Harness | undefined;
const servers: RedisProc[] = [];
afterEach(async () => {
  await h?.stop().catch(() => undefined);
  h = undefined;
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function server(options: Parameters<typeof startRedisServer>[0] = {}) {
  const s = await startRedisServer(options);
  servers.push(s);
  return s;
}

interface ReadyBody {
  ready: boolean;
  checks: Record<string, boolean>;
  failing?: Record<string, string>;
}

async function get(port: number, path: string) {
  const res = await request(`http://127.0.0.1:${port}${path}`);
  return { status: res.statusCode, body: (await res.body.json()) as ReadyBody };
}

const readyz = (port: number) => get(port, '/readyz');

/** Enough of an environment for loadConfig; nothing is called. */
const baseEnv = () => ({
  SLACK_BOT_TOKEN: 'xoxb-test-0000',
  SLACK_SIGNING_SECRET: 'test-signing-secret',
  MOENGAGE_WORKSPACE_ID: 'TESTWS01',
  MOENGAGE_API_KEY: 'moe-test-key-0000',
  MOENGAGE_BASE_URL: 'http://127.0.0.1:9',
});

/** The number of connections a server has accepted since it started. */
async function connectionsReceived(port: number): Promise<number> {
  const info = String(await redisCommand(port, 'INFO', 'stats'));
  return Number(/total_connections_received:(\d+)/.exec(info)?.[1]);
}

describe('/readyz with Redis', () => {
  it('turns unready when Redis goes away, names why, and ready again when it returns', async () => {
    const redis = await server();
    h = await startHarness({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: uniquePrefix('readyz') });
    const bot = h.bot;
    expect(await readyz(bot.port)).toEqual({
      status: 200,
      body: { ready: true, checks: { slack: true, accepting: true, redis: true } },
    });

    redis.kill('SIGKILL');
    await redis.exited;
    const down = await waitUntil('readiness to turn false', async () => {
      const r = await readyz(bot.port);
      return r.status === 503 && r;
    });
    expect(down.body.checks).toMatchObject({ redis: false, slack: true });
    expect(down.body.failing?.redis).toMatch(/Redis/);
    // Liveness is not readiness: the process is fine (its client retries), it just should not get traffic.
    expect((await get(bot.port, '/healthz')).status).toBe(200);

    servers.push(await startRedisServer({ port: redis.port }));
    await waitUntil('readiness to turn true again', async () => (await readyz(bot.port)).status === 200);
  }, 40_000);

  it('turns unready when the node REDIS_URL names is demoted to a replica (READONLY), without a reconnect storm', async () => {
    const other = await server();
    const node = await server();
    h = await startHarness({ REDIS_URL: node.url, REDIS_KEY_PREFIX: uniquePrefix('readyz-demoted') });
    const bot = h.bot;
    expect((await readyz(bot.port)).status).toBe(200);

    // What Sentinel does to an old master: it answers PING still, but refuses every write.
    await redisCommand(node.port, 'REPLICAOF', '127.0.0.1', other.port);
    await waitUntil('the node to refuse writes', () =>
      redisCommand(node.port, 'SET', 'probe', '1').then(
        () => false,
        (e: Error) => e.message.includes('READONLY'),
      ),
    );
    const down = await waitUntil('readiness to turn false', async () => {
      const r = await readyz(bot.port);
      return r.status === 503 && r;
    });
    expect(down.body.failing?.redis).toMatch(/READONLY/);

    // Every READONLY reconnects once (a managed endpoint may have moved), then the command fails: polled 20
    // times, the client reconnects a bounded number of times instead of in a loop.
    const before = await connectionsReceived(node.port);
    for (let i = 0; i < 20; i++) expect((await readyz(bot.port)).status).toBe(503);
    const reconnects = (await connectionsReceived(node.port)) - before;
    expect(reconnects).toBeLessThan(30);

    await redisCommand(node.port, 'REPLICAOF', 'NO', 'ONE');
    await waitUntil(
      'readiness to turn true again',
      async () => (await readyz(bot.port)).status === 200,
      15_000,
    );
    console.log(`demoted node: ${reconnects} connections over 20 readiness probes`);
  }, 40_000);

  it('refuses a cluster-mode endpoint at start, saying what to use instead', async () => {
    const cluster = await server({ args: ['--cluster-enabled', 'yes'] });
    const config = loadConfig({
      ...baseEnv(),
      REDIS_URL: cluster.url,
      REDIS_KEY_PREFIX: uniquePrefix('cluster'),
    });
    await expect(connectSharedState(config, memoryLogger().logger)).rejects.toThrow(
      /is a cluster-mode endpoint, which the bot does not support: use a primary with replicas/,
    );
  });
});
