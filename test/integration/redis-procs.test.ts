import { afterAll, describe, expect, it } from 'vitest';
import {
  redisCommand,
  type SentinelGroup,
  startRedisServer,
  startSentinelGroup,
  waitUntil,
} from '../support/redis-procs.ts';

// The test support that starts and fails real Redis processes, checked on its own.
let group: SentinelGroup | undefined;
afterAll(async () => {
  await group?.stop();
});

describe('test Redis processes', () => {
  it('starts a server on a free port and stops it by pid', async () => {
    const r = await startRedisServer();
    expect(await redisCommand(r.port, 'SET', 'k', 'v')).toBe('OK');
    await r.stop();
    await expect(redisCommand(r.port, 'PING')).rejects.toThrow();
  });

  it('starts a master, a replica and three sentinels, and fails over to the replica', async () => {
    const g = await startSentinelGroup();
    group = g;
    expect(await g.masterPort()).toBe(g.master.port);
    const now = await g.failover();
    expect(now).toBe(g.replica.port);
    // The old master is turned into a replica of the new one (about 10 s later: the sentinels wait to see it
    // still claim to be master), and from then on its writes are refused.
    await waitUntil(
      'the old master to refuse writes',
      () =>
        redisCommand(g.master.port, 'SET', 'k', 'v').then(
          () => false,
          (e: Error) => /READONLY/.test(e.message),
        ),
      30_000,
      200,
    );
  }, 60_000);
});
