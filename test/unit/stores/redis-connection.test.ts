import { describe, expect, it } from 'vitest';
import {
  describeTarget,
  readonlyReconnect,
  redisOptions,
  startFailure,
} from '../../../src/stores/redis-connection.ts';

const sentinel = {
  sentinels: [
    { host: 's1', port: 26379 },
    { host: 's2', port: 26380 },
  ],
  name: 'botmaster',
  password: undefined,
  tls: false,
};

describe('readonlyReconnect', () => {
  it('reconnects and resends on the first READONLY, and the rest of that burst too', () => {
    let t = 1_000;
    const decide = readonlyReconnect(() => t);
    const readonly = new Error("READONLY You can't write against a read only replica.");
    expect(decide(readonly)).toBe(2);
    t += 100;
    expect(decide(readonly)).toBe(2);
  });

  it('fails a command that meets READONLY again right after the reconnect, and tries again after the cool-down', () => {
    let t = 1_000;
    const decide = readonlyReconnect(() => t);
    const readonly = new Error('READONLY no');
    expect(decide(readonly)).toBe(2);
    t += 500;
    expect(decide(readonly)).toBe(false);
    t += 1_600;
    expect(decide(readonly)).toBe(2);
  });

  it('leaves every other error alone', () => {
    const decide = readonlyReconnect(() => 0);
    expect(decide(new Error('ERR wrong number of arguments'))).toBe(false);
    expect(decide(new Error('NOSCRIPT No matching script'))).toBe(false);
  });
});

describe('redisOptions', () => {
  it('bounds every command (retries and a timeout) for a plain URL, with no sentinel options', () => {
    const o = redisOptions({ redisUrl: 'redis://cache:6379/2', redisSentinel: undefined });
    expect(o).toMatchObject({ maxRetriesPerRequest: 2, commandTimeout: 3_000, connectTimeout: 5_000 });
    expect(o.sentinels).toBeUndefined();
    expect(typeof o.reconnectOnError).toBe('function');
  });

  it('asks the sentinels for the master, with their password and TLS, and TLS to the data nodes for rediss://', () => {
    const o = redisOptions({
      redisUrl: 'rediss://:data-secret@ignored:6380/1',
      redisSentinel: { ...sentinel, password: 'sentinel-secret', tls: true },
    });
    expect(o).toMatchObject({
      sentinels: sentinel.sentinels,
      name: 'botmaster',
      sentinelPassword: 'sentinel-secret',
      sentinelTLS: {},
      tls: {},
      enableTLSForSentinelMode: true,
      failoverDetector: true,
      commandTimeout: 3_000,
    });
    // A sweep of the sentinels gives up after a few rounds, so waiting commands fail instead of queueing.
    expect(o.sentinelRetryStrategy?.(1)).toBe(200);
    expect(o.sentinelRetryStrategy?.(4)).toBeNull();
  });

  it('leaves TLS off to plain sentinels and data nodes', () => {
    const o = redisOptions({ redisUrl: undefined, redisSentinel: sentinel });
    expect(o.sentinelTLS).toBeUndefined();
    expect(o.tls).toBeUndefined();
    expect(o.sentinelPassword).toBeUndefined();
  });
});

describe('describeTarget', () => {
  it('names where Redis is without a password', () => {
    expect(
      describeTarget({ redisUrl: 'rediss://user:pw-secret@cache:6380/3', redisSentinel: undefined }),
    ).toBe('rediss://cache:6380/3');
    expect(describeTarget({ redisUrl: 'redis://:pw@x/0', redisSentinel: sentinel })).toBe(
      'master "botmaster" via sentinels s1:26379,s2:26380',
    );
  });
});

describe('startFailure', () => {
  const givenUp = new Error(
    'Reached the max retries per request limit (which is 2). Refer to "maxRetriesPerRequest" option for details.',
  );

  it("names the connection's own error, not ioredis's retry count", () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(startFailure(givenUp, refused)).toBe('is unreachable: connect ECONNREFUSED 127.0.0.1:1');
    const unknown = Object.assign(new Error('getaddrinfo ENOTFOUND redis.internal'), { code: 'ENOTFOUND' });
    expect(startFailure(givenUp, unknown)).toBe('is unreachable: getaddrinfo ENOTFOUND redis.internal');
    expect(
      startFailure(givenUp, new Error('All sentinels are unreachable. Retrying from scratch after 200ms.')),
    ).toBe('is unreachable: All sentinels are unreachable. Retrying from scratch after 200ms.');
  });

  it('says the credentials were refused, naming where they come from', () => {
    expect(startFailure(new Error('WRONGPASS invalid username-password pair'), undefined)).toBe(
      "refused the credentials (REDIS_URL's user and password): WRONGPASS invalid username-password pair",
    );
  });

  it('says Redis did not answer when it was reached but timed out', () => {
    expect(startFailure(new Error('Command timed out'), undefined)).toBe('did not answer: Command timed out');
  });
});
