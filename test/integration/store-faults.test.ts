import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildBot } from '../../src/sandbox/child-bot.ts';
import { allStarted, CHANNEL, messageText } from '../support/bot-harness.ts';
import { type RedisProc, startRedisServer } from '../support/redis-procs.ts';
import { CHUNKS, faultFleet, IDS, IN_FLIGHT, N } from '../support/store-faults.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

/**
 * A run whose replica or store fails under it (see ../support/store-faults.ts): a runner stalled, the store behind
 * a TCP proxy the test cuts, or a redis-server of the test's own that it kills and starts again empty. Failovers
 * under Sentinel are in store-failover.test.ts.
 */
let proxy: TcpProxy | undefined;
let ownRedis: RedisProc | undefined;
afterEach(async () => {
  await proxy?.close();
  await ownRedis?.stop();
  proxy = undefined;
  ownRedis = undefined;
});
// Registered after the hook above, so it runs first: the bots stop before their store does.
const f = faultFleet(() => ownRedis === undefined);

describe('a run under a failing replica or store', () => {
  it('a stalled runner (SIGSTOP) taken over sends nothing more after SIGCONT beyond what it had in flight', async () => {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const [a, b] = (await allStarted([f.replica(url), f.replica(url)])) as [ChildBot, ChildBot];
    f.moengage.delayNext(CHUNKS, 300);
    const message = await f.confirmOn(a, IDS(N));
    await f.slack.waitFor(() => f.appliedRequests().length >= 5, 60_000);
    a.kill('SIGSTOP');
    // The survivor takes the run over and is sending when the stalled runner wakes: both are alive at once.
    await f.slack.waitFor(() => f.sendsBy(b, 0).length >= 3, 30_000);
    const resumedAt = Date.now();
    const sentBefore = new Set(f.moengage.statusRequests().map((r) => r.requestId));
    a.kill('SIGCONT');
    await f.finished(message);
    // The woken runner has seen it was taken over: by its lease's renewal, or by a chunk it was about to send
    // (whichever comes first; the first aborts the run, and the other then says nothing).
    await f.slack.waitFor(
      () =>
        a
          .lines()
          .some((l) =>
            /another runner took this run over|run taken over by another runner/.test(String(l.msg)),
          ),
      60_000,
    );
    // The woken runner may finish only the sends it had started before the stall; it starts none.
    const byAAfter = f.sendsBy(a, resumedAt);
    expect(byAAfter.length).toBeLessThanOrEqual(IN_FLIGHT);
    for (const id of byAAfter) expect(sentBefore.has(id)).toBe(true);
    expect(new Set(f.moengage.statusRequests().map((r) => r.requestId)).size).toBe(CHUNKS);
    expect(f.repeats()).toBeLessThanOrEqual(IN_FLIGHT);
    f.expectAllAppliedAndTold(message);
    expect(f.slack.unexpected).toEqual([]);
  }, 120_000);

  it('Redis cut for longer than the lease mid-run: nothing is reported failed, the summary is what MoEngage applied, and the bot works after', async () => {
    proxy = await startTcpProxy(
      Number(new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').port || 6379),
    );
    const url = `redis://127.0.0.1:${proxy.port}`;
    const [a, b] = (await allStarted([f.replica(url), f.replica(url)])) as [ChildBot, ChildBot];
    f.moengage.delayNext(CHUNKS, 300);
    const message = await f.confirmOn(a, IDS(N));
    await f.slack.waitFor(() => f.appliedRequests().length >= 8, 60_000);
    proxy.cut();
    const cutAt = Date.now();
    // Both replicas lose Redis for three leases: what the runner learns meanwhile it keeps, and sends nothing new.
    await sleep(6_000);
    const sentWhileCut = f.moengage.statusRequests().filter((r) => r.at > cutAt + 1_000);
    proxy.restore();
    await f.finished(message);
    expect(sentWhileCut).toEqual([]);
    f.expectAllAppliedAndTold(message);
    expect(f.repeats()).toBeLessThanOrEqual(IN_FLIGHT);
    // The runner saw the cut (its connection's errors), whether or not a write of the run fell into it.
    expect(a.lines().some((l) => /redis connection error|store is unavailable/.test(String(l.msg)))).toBe(
      true,
    );
    // Retry failed is offered only for what did not apply: here nothing.
    expect(f.threadText(message)).not.toMatch(/Retry failed/);
    // The bot takes a command after the outage.
    await f.slack.slashCommand(b.url, { userId: 'UALICE', channelId: CHANNEL, text: 'resume camp_001' });
    await f.slack.waitFor(
      () =>
        f.slack.messages(CHANNEL).find((m) => m.ts !== message.ts && /RESUME|resume/i.test(messageText(m))),
      60_000,
    );
  }, 120_000);

  it('Redis restarted empty mid-run: the run still finishes, and the replica that ran it reports it', async () => {
    ownRedis = await startRedisServer();
    const [a] = (await allStarted([f.replica(ownRedis.url), f.replica(ownRedis.url)])) as [
      ChildBot,
      ChildBot,
    ];
    f.moengage.delayNext(CHUNKS, 300);
    const message = await f.confirmOn(a, IDS(N));
    await f.slack.waitFor(() => f.appliedRequests().length >= 8, 60_000);
    ownRedis.kill('SIGKILL');
    await ownRedis.exited;
    ownRedis = await startRedisServer({ port: ownRedis.port });
    await f.finished(message);
    f.expectAllAppliedAndTold(message);
    expect(f.repeats()).toBeLessThanOrEqual(IN_FLIGHT);
    expect(a.lines().some((l) => /record had vanished/.test(String(l.msg)))).toBe(true);
  }, 120_000);
});
