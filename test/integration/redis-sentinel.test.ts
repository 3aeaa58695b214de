import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, REDIS_CLIENT_NAME } from '../../src/stores/redis-connection.ts';
import { CHANNEL, type Harness, hasButtons, messageText, startHarness } from '../support/bot-harness.ts';
import { uniquePrefix } from '../support/redis.ts';
import { redisCommand, type SentinelGroup, startSentinelGroup, waitUntil } from '../support/redis-procs.ts';

/**
 * The bot on Redis run as operators run it: a master, a replica and three sentinels, each a real process this
 * file starts on free ports and stops by pid. The master moves under the bot mid-use.
 */
let group: SentinelGroup;
let h: Harness | undefined;
beforeAll(async () => {
  group = await startSentinelGroup();
}, 60_000);
afterAll(async () => {
  await group?.stop();
});
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** The bot's connections to a node (named campaign-bot: see redis-connection.ts). */
async function botClients(port: number): Promise<number> {
  const list = String(await redisCommand(port, 'CLIENT', 'LIST'));
  return list.split('\n').filter((line) => line.includes(` name=${REDIS_CLIENT_NAME} `)).length;
}

async function readyz(port: number) {
  const res = await request(`http://127.0.0.1:${port}/readyz`);
  return { status: res.statusCode, body: (await res.body.json()) as { ready: boolean; failing?: object } };
}

/** Asks for a pause and waits for its confirmation; undefined if none came (the store refused it). */
async function propose(harness: Harness, id: string) {
  const before = harness.slack.messages(CHANNEL).length;
  await harness.command('UALICE', `pause ${id}`);
  return harness.slack
    .waitFor(() => {
      const m = harness.slack.messages(CHANNEL).at(-1);
      return harness.slack.messages(CHANNEL).length > before && m && hasButtons(m) && m;
    }, 5_000)
    .catch(() => undefined);
}

async function confirmAndWait(harness: Harness, message: Awaited<ReturnType<typeof propose>> & object) {
  await harness.click('UBOB', message, 'campaign_confirm');
  return harness.slack.waitFor(() => {
    const m = harness.slack.message(CHANNEL, message.ts);
    return m && messageText(m).includes('details in the thread') && m;
  }, 20_000);
}

describe('Redis through Sentinel', () => {
  it('keeps working across a SENTINEL FAILOVER: a request made before it is confirmed after it, and new ones work', async () => {
    const env = {
      REDIS_SENTINELS: group.sentinelsEnv,
      REDIS_SENTINEL_NAME: group.name,
      REDIS_KEY_PREFIX: uniquePrefix('sentinel'),
    };
    h = await startHarness(env);
    const harness = h;
    expect((await readyz(harness.bot.port)).status).toBe(200);
    const before = await propose(harness, 'camp_001');
    expect(before).toBeDefined();
    const oldMaster = await group.masterPort();

    const failoverAt = Date.now();
    const newMaster = await group.failover();
    expect(newMaster).not.toBe(oldMaster);
    // The old master takes writes for ~10 s more (until the sentinels demote it), and what it takes then is lost:
    // the bot leaves it at the sentinels' +switch-master, well before that.
    await waitUntil(
      'the bot to leave the old master',
      async () => (await botClients(oldMaster)) === 0,
      4_000,
    );
    await waitUntil('the bot to reach the new master', async () => (await botClients(newMaster)) > 0, 4_000);

    // The confirmation made before the move was replicated; it is confirmed and run through the new master.
    await confirmAndWait(harness, before as NonNullable<typeof before>);
    expect(harness.moengage.campaign('camp_001')?.status).toBe('PAUSED');
    // A new request works too, within a bounded wait after the failover.
    const after = await waitUntil(
      'a request to work after the failover',
      () => propose(harness, 'camp_002'),
      20_000,
      200,
    );
    const recoveredMs = Date.now() - failoverAt;
    await confirmAndWait(harness, after);
    expect(harness.moengage.campaign('camp_002')?.status).toBe('PAUSED');
    expect((await readyz(harness.bot.port)).status).toBe(200);
    await waitUntil(
      'the old master to be demoted',
      async () => ((await redisCommand(oldMaster, 'ROLE')) as unknown[])[0] === 'slave',
      30_000,
      200,
    );
    // Still ready and still working once the old master refuses writes (READONLY): nothing points at it.
    expect((await readyz(harness.bot.port)).status).toBe(200);
    const last = await propose(harness, 'camp_003');
    expect(last).toBeDefined();
    console.log(`sentinel failover: a new request worked ${recoveredMs} ms after SENTINEL FAILOVER`);
  }, 90_000);

  it('follows the master when it is killed: readiness turns false, then true on the new master, and requests work', async () => {
    h = await startHarness({
      REDIS_SENTINELS: group.sentinelsEnv,
      REDIS_SENTINEL_NAME: group.name,
      REDIS_KEY_PREFIX: uniquePrefix('sentinel-kill'),
    });
    const harness = h;
    expect((await readyz(harness.bot.port)).status).toBe(200);
    const masterPort = await group.masterPort();
    const master = [group.master, group.replica].find((p) => p.port === masterPort);
    if (!master) throw new Error('no master process');
    const killedAt = Date.now();
    master.kill('SIGKILL');
    await master.exited;
    const body = await waitUntil('readiness to turn false', async () => {
      const r = await readyz(harness.bot.port);
      return r.status === 503 && r.body;
    });
    expect(body.failing).toHaveProperty('redis');
    await group.failover({ force: false });
    await waitUntil(
      'readiness to turn true again',
      async () => (await readyz(harness.bot.port)).status === 200,
      60_000,
      200,
    );
    const after = await waitUntil(
      'a request to work on the new master',
      () => propose(harness, 'camp_004'),
      40_000,
      200,
    );
    const recoveredMs = Date.now() - killedAt;
    await confirmAndWait(harness, after);
    expect(harness.moengage.campaign('camp_004')?.status).toBe('PAUSED');
    console.log(`sentinel kill: a new request worked ${recoveredMs} ms after the master was killed`);
  }, 150_000);

  it('takes only the db (and credentials) from REDIS_URL when the sentinels name the master', async () => {
    const redis = connectRedis({
      redisUrl: 'redis://not-the-master.invalid:1/3',
      redisSentinel: {
        sentinels: group.sentinels.map((p) => ({ host: '127.0.0.1', port: p.port })),
        name: group.name,
        password: undefined,
        tls: false,
      },
    });
    try {
      const key = `${uniquePrefix('sentinel-db')}k`;
      expect(await redis.set(key, 'v', 'PX', 60_000)).toBe('OK');
      expect(
        await redisCommand(
          await group.masterPort(),
          'EVAL',
          `redis.call('SELECT', 3) return redis.call('GET', KEYS[1])`,
          1,
          key,
        ),
      ).toBe('v');
    } finally {
      redis.disconnect();
    }
  });
});
