import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisUrl } from '../support/redis.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

let proxy: TcpProxy | undefined;
let client: Redis | undefined;
afterEach(async () => {
  client?.disconnect();
  await proxy?.close();
  client = undefined;
  proxy = undefined;
});

describe('the TCP proxy the fault tests cut', () => {
  it('passes Redis through, fails every command while cut, and passes again once restored', async () => {
    proxy = await startTcpProxy(Number(new URL(redisUrl()).port || 6379));
    client = new Redis({
      port: proxy.port,
      host: '127.0.0.1',
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
      enableOfflineQueue: false,
    });
    await new Promise((resolve) => client?.once('ready', resolve));
    await expect(client.ping()).resolves.toBe('PONG');
    proxy.cut();
    await expect(client.ping()).rejects.toThrow();
    proxy.restore();
    const deadline = Date.now() + 5_000;
    let answer: string | undefined;
    while (answer === undefined && Date.now() < deadline) {
      answer = await client.ping().catch(() => undefined);
      if (answer === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(answer).toBe('PONG');
  });
});
