import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Answer } from './methods.ts';
import type { SimResponse, UnexpectedRequest } from './types.ts';
import { now, parseJson } from './util.ts';

/** Any route but `/api/<method>` and `POST /response/<id>` is recorded as unexpected, so a test notices it. */
export async function startHttpServer(deps: {
  port: number | undefined;
  host: string | undefined;
  handleApi: (req: IncomingMessage, url: URL, raw: Buffer) => Promise<Answer>;
  responses: SimResponse[];
  /** Why Slack would refuse a post to this response_url now, if it would (and counts the use otherwise). */
  checkResponseUrl: (id: string) => SimResponse['refused'];
  unexpected: UnexpectedRequest[];
}): Promise<{ server: Server; port: number; base: string }> {
  const { handleApi, responses, unexpected } = deps;
  const server = createServer(async (req, res) => {
    try {
      const raw = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://sim');
      if (url.pathname.startsWith('/api/')) {
        const answer = await handleApi(req, url, raw);
        res.writeHead(answer.status, {
          'content-type': 'application/json; charset=utf-8',
          ...answer.headers,
        });
        res.end(JSON.stringify(answer.body));
        return;
      }
      const responseMatch = /^\/response\/([^/]+)$/.exec(url.pathname);
      if (responseMatch?.[1] !== undefined && req.method === 'POST') {
        const text = raw.toString('utf8');
        const id = decodeURIComponent(responseMatch[1]);
        const refused = deps.checkResponseUrl(id);
        responses.push({ id, body: parseJson(text) ?? text, at: now(), ...(refused ? { refused } : {}) });
        if (refused) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: false, error: refused }));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
        return;
      }
      unexpected.push({
        method: `${req.method ?? ''} ${url.pathname}`,
        path: url.pathname,
        args: { body: raw.toString('utf8') },
        at: now(),
      });
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'unknown_route' }));
    } catch (error) {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'internal_error', detail: String(error) }));
      }
    }
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.port ?? 0, deps.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const base = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  return { server, port, base };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
