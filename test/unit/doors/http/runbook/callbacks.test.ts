import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Notifier } from '../../../../../src/core/notifier.ts';
import type { CampaignActionRequest } from '../../../../../src/core/request.ts';
import { withCallbacks } from '../../../../../src/doors/http/runbook/callbacks.ts';
import { createMemoryStore } from '../../../../../src/stores/memory-store.ts';
import { memoryLogger } from '../../../../support/fixtures.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A callback receiver on loopback that holds every answer until `release`; `got` lists the tokens' paths. */
async function holdingReceiver() {
  const got: string[] = [];
  const held: ServerResponse[] = [];
  let holding = true;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      got.push(req.url ?? '');
      if (holding) held.push(res);
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const release = () => {
    holding = false;
    for (const res of held.splice(0)) res.writeHead(204).end();
  };
  return { base, got, release };
}

/** A notifier that shows nothing: only the callbacks are under test (post is never expected). */
const silent: Notifier = {
  post: () => {
    throw new Error('post was not expected');
  },
  update: async () => {},
};

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function settledWithCallback(url: string, token: string): CampaignActionRequest {
  const now = Date.now();
  return {
    id: randomUUID(),
    action: 'PAUSE',
    campaignIds: ['camp_001'],
    reason: 'INC-1',
    requestedBy: `runbook:${token}`,
    channelId: 'CINCIDENT',
    source: 'runbook_api',
    grants: [],
    approvals: [],
    createdAt: now,
    expiresAt: now + 60_000,
    messageTs: undefined,
    state: 'cancelled',
    decidedBy: 'UALICE',
    decidedAt: now,
    callback: { url, token },
  };
}

describe('callbacks in flight', () => {
  it("queues callbacks past the bound instead of failing them, and one token's burst does not hold up another's", async () => {
    const receiver = await holdingReceiver();
    const store = createMemoryStore();
    const log = memoryLogger('debug');
    const notifier = withCallbacks(silent, {
      store,
      keyOf: (token) => Buffer.from(`key-of-${token}`),
      logger: log.logger,
      allowLoopback: true,
    });
    const requests = [
      ...Array.from({ length: 60 }, () => settledWithCallback(`${receiver.base}/flood`, 'flood')),
      ...Array.from({ length: 5 }, () => settledWithCallback(`${receiver.base}/other`, 'other')),
    ];
    for (const r of requests) {
      await store.create(r);
      await notifier.update(r, { kind: 'cancelled' });
    }
    // The other token's five arrive while the flood's first ten are still held; the rest of the flood waits.
    await until(() => receiver.got.filter((p) => p === '/other').length === 5, "the other token's callbacks");
    expect(receiver.got.filter((p) => p === '/flood')).toHaveLength(10);
    expect(log.lines().filter((l) => l.msg === 'callback not delivered')).toEqual([]);
    receiver.release();
    await until(async () => {
      const all = await Promise.all(requests.map((r) => store.get(r.id)));
      return all.every((r) => r?.callback?.deliveredAt !== undefined);
    }, 'every callback to be delivered');
    expect(receiver.got).toHaveLength(65);
    expect(log.lines().filter((l) => l.msg === 'callback not delivered')).toEqual([]);
  });

  it("fails a callback for good only when its token's queue is full, and says so", async () => {
    const receiver = await holdingReceiver();
    const store = createMemoryStore();
    const log = memoryLogger('debug');
    const notifier = withCallbacks(silent, {
      store,
      keyOf: (token) => Buffer.from(`key-of-${token}`),
      logger: log.logger,
      allowLoopback: true,
      queue: { maxInFlight: 2, perToken: 1, maxQueuedPerToken: 2 },
    });
    const requests = Array.from({ length: 4 }, () => settledWithCallback(`${receiver.base}/a`, 'a'));
    for (const r of requests) {
      await store.create(r);
      await notifier.update(r, { kind: 'cancelled' });
    }
    // One in flight, two queued: the fourth is refused.
    const last = requests[3] as CampaignActionRequest;
    await until(async () => (await store.get(last.id))?.callback?.failed !== undefined, 'the refusal');
    expect((await store.get(last.id))?.callback?.failed).toBe('too many callbacks queued for the token "a"');
    expect(log.lines().filter((l) => l.msg === 'callback not delivered')).toHaveLength(1);
    receiver.release();
    await until(async () => {
      const all = await Promise.all(requests.slice(0, 3).map((r) => store.get(r.id)));
      return all.every((r) => r?.callback?.deliveredAt !== undefined);
    }, 'the three queued ones to be delivered');
  });
});
