import type { ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type HttpLimits,
  type HttpRoute,
  type RunningHttpServer,
  startHttpServer,
} from '../../../src/http/server.ts';
import { buildRoutes } from '../../../src/routes.ts';
import { memoryLogger } from '../../support/fixtures.ts';

let server: RunningHttpServer | undefined;
let log: ReturnType<typeof memoryLogger>;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
  server = undefined;
});

/** Every handler call, so a test can say a body never reached one. */
const calls: { path: string; body: string }[] = [];

const echo = (path: string, extra: Partial<HttpRoute> = {}): HttpRoute => ({
  method: 'POST',
  path,
  bodyLimit: 100,
  handler: (req, res) => {
    calls.push({ path, body: req.rawBody.toString() });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ body: req.rawBody.toString(), params: req.params }));
  },
  ...extra,
});

async function start(
  routes: HttpRoute[],
  limits: Partial<HttpLimits> = {},
  onResponse?: (path: string, s: number) => void,
) {
  calls.length = 0;
  log = memoryLogger('debug');
  server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    logger: log.logger,
    routes,
    limits,
    ...(onResponse ? { onResponse } : {}),
  });
  return server;
}

const url = (path: string) => `http://127.0.0.1:${server?.port}${path}`;

async function send(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await request(url(path), { method: method as 'GET', headers, ...(body ? { body } : {}) });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

/** Polls `check` every 10 ms until it is truthy; fails after `ms`. */
async function until<T>(check: () => T, ms = 15_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A raw client socket: what it sent is up to the test, what it received is kept, and whether it was closed. */
async function rawClient(head: string) {
  const socket = connect(server?.port ?? 0, '127.0.0.1');
  sockets.push(socket);
  let received = '';
  let closed = false;
  socket.on('data', (d: Buffer) => {
    received += d.toString();
  });
  // The server closes refused uploads while they are still being sent: a reset is expected.
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  if (head) socket.write(head);
  return {
    socket,
    received: () => received,
    isClosed: () => closed,
    status: () => Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0),
    write: (data: string | Buffer) => socket.write(data),
  };
}

const post = (path: string, headers: string) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n${headers}\r\n`;

describe('routing', () => {
  it('routes by method and path and passes :params percent-decoded', async () => {
    await start([echo('/items/:id'), echo('/items')]);
    const res = await send('POST', '/items/a%20b?x=1', 'hello');
    expect(res).toMatchObject({ status: 200, json: { body: 'hello', params: { id: 'a b' } } });
    expect((await send('POST', '/items', 'plain')).json).toEqual({ body: 'plain', params: {} });
  });

  it('answers an unknown path with 404 and a known path with the wrong method with 405 and Allow', async () => {
    await start([echo('/items')]);
    expect(await send('GET', '/nothing')).toMatchObject({
      status: 404,
      json: { error: { code: 'not_found' } },
    });
    const wrong = await send('GET', '/items');
    expect(wrong).toMatchObject({ status: 405, json: { error: { code: 'method_not_allowed' } } });
    expect(wrong.headers.allow).toBe('POST');
    expect(calls).toHaveLength(0);
  });
});

describe('body limits, enforced while reading', () => {
  it('refuses a declared Content-Length over the limit with 413 at once, without reading the body', async () => {
    await start([echo('/in')]);
    const client = await rawClient(post('/in', 'Content-Length: 101\r\n'));
    await until(() => client.isClosed(), 15_000, 'the connection to close');
    expect(client.status()).toBe(413);
    expect(client.received()).toMatch(/connection: close/i);
    expect(calls).toHaveLength(0);
  });

  it('refuses a chunked body with 413 as soon as it passes the limit, while the rest is still unsent', async () => {
    await start([echo('/in')]);
    const client = await rawClient(post('/in', 'Transfer-Encoding: chunked\r\n'));
    client.write(`65\r\n${'x'.repeat(101)}\r\n`); // 101 bytes, one over; the body never ends
    await until(() => client.isClosed(), 15_000, 'the connection to close');
    expect(client.status()).toBe(413);
    expect(calls).toHaveLength(0);
    expect(server?.stats().bufferedBytes).toBe(0);
  });

  it('refuses any body on a route whose limit is 0', async () => {
    await start([{ ...echo('/get'), method: 'GET', bodyLimit: 0 }]);
    expect((await send('GET', '/get')).status).toBe(200);
    const client = await rawClient(`GET /get HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n`);
    await until(() => client.isClosed());
    expect(client.status()).toBe(413);
  });

  it('refuses a large body 503 with Retry-After, unread, when the shared body budget cannot hold it', async () => {
    await start([echo('/in', { bodyLimit: 800 })], { bodyBudgetBytes: 1_000, smallBodyBytes: 100 });
    const older = await rawClient(post('/in', 'Content-Length: 800\r\n'));
    older.write('a'.repeat(600));
    await until(() => server?.stats().bufferedBytes === 600, 15_000, 'the first 600 bytes');
    for (const framing of ['Content-Length: 800', 'Transfer-Encoding: chunked']) {
      const newer = await rawClient(post('/in', `${framing}\r\n`)); // and never a byte of body
      await until(() => newer.isClosed(), 15_000, 'the newer upload to be refused');
      expect(newer.status()).toBe(503);
      expect(newer.received()).toMatch(/retry-after: 1/i);
    }
    expect(older.isClosed()).toBe(false);
    expect(server?.stats().bufferedBytes).toBe(600);
  });

  it('refuses a large body 503 as soon as a chunk of it no longer fits the budget', async () => {
    await start([echo('/in', { bodyLimit: 600 })], { bodyBudgetBytes: 1_000, smallBodyBytes: 100 });
    const first = await rawClient(post('/in', 'Content-Length: 600\r\n'));
    first.write('a'.repeat(400));
    await until(() => server?.stats().bufferedBytes === 400, 15_000, 'the first body under way');
    const second = await rawClient(post('/in', 'Content-Length: 600\r\n')); // 400 + 600 fits
    second.write('b'.repeat(400));
    await until(() => server?.stats().bufferedBytes === 800, 15_000, 'the second body under way');
    first.write('a'.repeat(199));
    await until(() => server?.stats().bufferedBytes === 999, 15_000, 'the first body grown');
    second.write('bb');
    await until(() => second.isClosed(), 15_000, 'the upload whose chunk did not fit');
    expect(second.status()).toBe(503);
    expect(first.isClosed()).toBe(false);
    expect(server?.stats().bufferedBytes).toBe(599);
  });

  it('when the budget is spent, lets a small body push the oldest unfinished one out (503) and reads it', async () => {
    await start([echo('/in', { bodyLimit: 800 })], { bodyBudgetBytes: 1_000, smallBodyBytes: 100 });
    const stalled = await rawClient(post('/in', 'Content-Length: 750\r\n'));
    stalled.write('a'.repeat(700));
    await until(() => server?.stats().bufferedBytes === 700, 15_000, 'the oldest body');
    const second = await rawClient(post('/in', 'Content-Length: 300\r\n'));
    second.write('b'.repeat(250));
    await until(() => server?.stats().bufferedBytes === 950, 15_000, 'both stalled bodies');
    const res = await send('POST', '/in', 'c'.repeat(90));
    expect(res).toMatchObject({ status: 200, json: { body: 'c'.repeat(90) } });
    await until(() => stalled.isClosed(), 15_000, 'the oldest upload to be pushed out');
    expect(stalled.status()).toBe(503);
    expect(second.isClosed()).toBe(false);
    expect(calls).toEqual([{ path: '/in', body: 'c'.repeat(90) }]);
  });

  it('runs preauth on the headers and answers its refusal while the body is still unsent', async () => {
    const refuse = () => ({ ok: false as const, status: 401, body: { error: { code: 'unauthorized' } } });
    await start([echo('/in', { preauth: refuse })]);
    const client = await rawClient(post('/in', 'Content-Length: 100\r\n'));
    client.write('0123456789'); // 10 of the 100 bytes declared, and never the rest
    await until(() => client.isClosed(), 15_000, 'the refusal');
    expect(client.status()).toBe(401);
    expect(client.received()).toContain('"unauthorized"');
    expect(calls).toHaveLength(0);
  });

  it('reads the body once preauth lets the request through', async () => {
    const refused = { ok: false as const, status: 401, body: {} };
    await start([
      echo('/in', { preauth: (h) => (h.authorization === 'Bearer ok' ? { ok: true } : refused) }),
    ]);
    expect((await send('POST', '/in', 'yes', { authorization: 'Bearer ok' })).json.body).toBe('yes');
    expect((await send('POST', '/in', 'yes', { authorization: 'Bearer no' })).status).toBe(401);
  });
});

describe('time limits', () => {
  it('answers 408 and closes a socket whose headers are still incomplete at headersTimeout', async () => {
    await start([echo('/in')], { headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const started = Date.now();
    const client = await rawClient('POST /in HTTP/1.1\r\nHost: x\r\n');
    await until(() => client.isClosed(), 15_000, 'the close');
    expect(client.status()).toBe(408);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('cuts a trickled body at requestTimeout', async () => {
    await start([echo('/in')], { headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const started = Date.now();
    const client = await rawClient(post('/in', 'Content-Length: 100\r\n'));
    const trickle = setInterval(() => client.write('x'), 50);
    try {
      await until(() => client.isClosed(), 15_000, 'the close');
    } finally {
      clearInterval(trickle);
    }
    expect(client.status()).toBe(408);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(server?.stats().bufferedBytes).toBe(0);
  });
});

describe('the connection cap', () => {
  it('sheds the oldest slow socket so that a fresh request at the cap is answered', async () => {
    await start([echo('/in')], { maxConnections: 3 });
    const slow: Awaited<ReturnType<typeof rawClient>>[] = [];
    for (let i = 0; i < 3; i++) slow.push(await rawClient(post('/in', 'Content-Length: 100\r\n')));
    await until(() => server?.stats().connections === 3, 15_000, 'three sockets');
    const res = await send('POST', '/in', 'quick');
    expect(res.json.body).toBe('quick');
    await until(() => slow[0]?.isClosed(), 15_000, 'the oldest slow socket to be shed');
    expect(slow.map((s) => s.isClosed())).toEqual([true, false, false]);
  });

  it('closes the newcomer when every socket at the cap is with a handler', async () => {
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let entered = 0;
    const wait: HttpRoute = {
      method: 'GET',
      path: '/wait',
      bodyLimit: 0,
      handler: async (_req, res) => {
        entered++;
        await held;
        res.end('{"done":true}');
      },
    };
    await start([wait], { maxConnections: 2 });
    const busy = [send('GET', '/wait'), send('GET', '/wait')];
    // Both sockets with their handler, not merely connected (a socket still sending its head may be shed instead).
    await until(() => server?.stats().connections === 2 && entered === 2, 15_000, 'two busy sockets');
    const newcomer = await rawClient('GET /wait HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => newcomer.isClosed(), 15_000, 'the newcomer to be closed');
    expect(newcomer.received()).toBe('');
    release();
    expect((await Promise.all(busy)).map((r) => r.status)).toEqual([200, 200]);
  });
});

/** A long poll: waits until the server cuts it short, then answers with what it has. */
const longPoll: HttpRoute = {
  method: 'GET',
  path: '/poll',
  bodyLimit: 0,
  handler: async (req, res) => {
    const cut = await req.waiting(
      (signal) => new Promise<boolean>((resolve) => signal.addEventListener('abort', () => resolve(true))),
    );
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ state: 'pending', cut }));
  },
};
const slackRoute: HttpRoute = { ...echo('/slack/events'), reserved: true };
const pollHead = 'GET /poll HTTP/1.1\r\nHost: x\r\n\r\n';

/** A route whose handler works until `release` is called. */
function busyRoute() {
  let release = () => {};
  const held = new Promise<void>((r) => {
    release = r;
  });
  const route: HttpRoute = {
    method: 'GET',
    path: '/work',
    bodyLimit: 0,
    handler: async (_req, res) => {
      await held;
      res.end('{"done":true}');
    },
  };
  return { route, release };
}

describe('long polls and the sockets kept for Slack', () => {
  it('at the cap, answers the oldest long poll now and closes it, so that a Slack request is served', async () => {
    await start([longPoll, slackRoute], { maxConnections: 3, reservedConnections: 0 });
    const polls: Awaited<ReturnType<typeof rawClient>>[] = [];
    for (let i = 0; i < 3; i++) polls.push(await rawClient(pollHead));
    await until(() => server?.stats().handling === 3, 15_000, 'three waiting polls');
    const res = await send('POST', '/slack/events', 'command');
    expect(res).toMatchObject({ status: 200, json: { body: 'command' } });
    await until(() => polls[0]?.isClosed(), 15_000, 'the oldest poll to be answered and closed');
    expect(polls[0]?.status()).toBe(200);
    expect(polls[0]?.received()).toMatch(/connection: close/i);
    expect(polls[0]?.received()).toContain('"cut":true');
    expect(polls.slice(1).map((p) => p.received())).toEqual(['', '']);
  });

  it('keeps sockets for reserved routes: the others get 503 rather than take the last of them', async () => {
    const work = busyRoute();
    await start([work.route, slackRoute], { maxConnections: 8, reservedConnections: 2 });
    const busy = Array.from({ length: 6 }, () => send('GET', '/work'));
    await until(() => server?.stats().handlingUnreserved === 6, 15_000, 'six busy handlers');
    const refused = await send('GET', '/work');
    expect(refused).toMatchObject({ status: 503, json: { error: { code: 'busy' } } });
    expect(refused.headers['retry-after']).toBe('1');
    expect(await send('POST', '/slack/events', 'command')).toMatchObject({ status: 200 });
    work.release();
    expect((await Promise.all(busy)).map((r) => r.status)).toEqual(Array(6).fill(200));
  });

  it("past the others' share, a long poll gives way (answered now) before a working request is refused", async () => {
    const work = busyRoute();
    await start([work.route, longPoll], { maxConnections: 8, reservedConnections: 2 });
    const poll = await rawClient(pollHead);
    const busy = Array.from({ length: 5 }, () => send('GET', '/work'));
    await until(() => server?.stats().handlingUnreserved === 6, 15_000, 'a poll and five busy handlers');
    const sixth = send('GET', '/work');
    await until(() => poll.isClosed(), 15_000, 'the poll to be answered');
    expect(poll.received()).toContain('"cut":true');
    work.release();
    expect((await Promise.all([...busy, sixth])).map((r) => r.status)).toEqual(Array(6).fill(200));
  });
});

describe('handler errors', () => {
  it('answers 500 JSON when a handler throws or rejects, and logs neither headers nor body', async () => {
    const throws: HttpRoute = {
      ...echo('/throws'),
      handler: () => {
        throw new Error('boom');
      },
    };
    const rejects: HttpRoute = {
      ...echo('/rejects'),
      handler: async () => Promise.reject(new Error('late boom')),
    };
    await start([throws, rejects, echo('/ok')]);
    const secret = { authorization: 'Bearer sekrit-token-123', 'x-slack-signature': 'v0=sekrit-signature' };
    for (const path of ['/throws', '/rejects']) {
      const res = await send('POST', path, 'sekrit-body', secret);
      expect(res).toMatchObject({ status: 500, json: { error: { code: 'internal' } } });
    }
    expect((await send('POST', '/ok', 'still up')).status).toBe(200);
    const failures = log.lines().filter((l) => l.msg === 'HTTP handler failed');
    expect(failures.map((l) => l.err)).toEqual(['Error: boom', 'Error: late boom']);
    expect(log.raw()).not.toMatch(/sekrit/);
  });
});

describe('observation and shutdown', () => {
  it('reports the route and the seconds each answer took to onResponse', async () => {
    const seen: [string, number][] = [];
    await start([echo('/items/:id')], {}, (path, seconds) => seen.push([path, seconds]));
    await send('POST', '/items/42', 'x');
    await until(() => seen.length === 1, 15_000, 'the observation');
    expect(seen[0]?.[0]).toBe('/items/:id');
    expect(seen[0]?.[1]).toBeGreaterThanOrEqual(0);
    expect(seen[0]?.[1]).toBeLessThan(1);
  });

  it('on close, lets an in-flight response finish, closes idle sockets and cuts what outlives the grace', async () => {
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const slowRoute: HttpRoute = {
      method: 'GET',
      path: '/slow',
      bodyLimit: 0,
      handler: async (_req, res) => {
        await held;
        res.end('{"finished":true}');
      },
    };
    const stuck: HttpRoute = { method: 'GET', path: '/stuck', bodyLimit: 0, handler: () => {} };
    const running = await start([slowRoute, stuck], { closeGraceMs: 500 });
    const idle = await rawClient('');
    const inFlight = send('GET', '/slow');
    const never = rawClient('GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n');
    const neverClient = await never;
    await until(() => running.stats().connections === 3, 15_000, 'three sockets');
    const closed = running.close();
    await until(() => idle.isClosed(), 15_000, 'the idle socket to close');
    release();
    expect((await inFlight).status).toBe(200);
    const cutAt = Date.now();
    await closed;
    expect(Date.now() - cutAt).toBeGreaterThan(300); // it waited for the stuck one, up to the 500 ms grace
    await until(() => neverClient.isClosed(), 1_000, 'the stuck socket to be cut');
    server = undefined;
  });
});

describe('the route table (src/routes.ts)', () => {
  const ok = (_req: unknown, res: ServerResponse) => {
    res.end('{}');
  };
  const refused = { ok: false as const, status: 401, body: { error: { code: 'unauthorized' } } };

  it('serves only the routes whose handler is given, with the body limit of its kind', async () => {
    await start(
      buildRoutes({ healthz: ok, proposeAction: ok }, { slack: 100, api: 50 }, () => ({ ok: true })),
    );
    expect((await send('GET', '/healthz')).status).toBe(200);
    expect((await send('GET', '/metrics')).status).toBe(404);
    expect((await send('POST', '/slack/events', '{}')).status).toBe(404);
    expect((await send('POST', '/api/v1/campaign-actions', 'x'.repeat(50))).status).toBe(200);
    expect((await send('POST', '/api/v1/campaign-actions', 'x'.repeat(51))).status).toBe(413);
    expect((await send('POST', '/healthz', 'x')).status).toBe(405);
  });

  it('runs the bearer check on the API routes only, before their body is read', async () => {
    await start(
      buildRoutes(
        { healthz: ok, proposeAction: ok, actionStatus: ok },
        { slack: 100, api: 50 },
        () => refused,
      ),
    );
    expect((await send('GET', '/healthz')).status).toBe(200);
    expect(await send('POST', '/api/v1/campaign-actions', 'x')).toMatchObject({
      status: 401,
      json: refused.body,
    });
    expect((await send('GET', '/api/v1/campaign-actions/abc')).status).toBe(401);
  });
});
