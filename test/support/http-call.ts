import { IncomingMessage, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { BufferedRequest } from '../../src/http/routes.ts';

/**
 * One call to an HTTP door's handler, without a server: a real IncomingMessage (never connected) with what the
 * server adds once it has read the body and matched the route, and the answer the handler writes.
 */
export async function callHandler(
  handler: (req: BufferedRequest, res: ServerResponse) => void | Promise<void>,
  call: {
    method: 'GET' | 'POST';
    url: string;
    headers?: Record<string, string>;
    body?: string;
    params?: Record<string, string>;
  },
): Promise<{ status: number; headers: Record<string, string>; json: Record<string, unknown> }> {
  const message = new IncomingMessage(new Socket());
  message.method = call.method;
  message.url = call.url;
  message.headers = Object.fromEntries(
    Object.entries(call.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  // The server has read the whole body before the handler runs.
  message.complete = true;
  const req = Object.assign(message, {
    rawBody: Buffer.from(call.body ?? ''),
    params: call.params ?? {},
    waiting: <T>(wait: (signal: AbortSignal) => Promise<T>) => wait(new AbortController().signal),
  }) as BufferedRequest;
  const answer = { status: 0, headers: {} as Record<string, string>, text: '' };
  const res = {
    get headersSent() {
      return answer.status !== 0;
    },
    writeHead(status: number, headers: Record<string, string> = {}) {
      answer.status = status;
      answer.headers = headers;
    },
    end(text: string) {
      answer.text = text;
    },
  } as unknown as ServerResponse;
  await handler(req, res);
  return {
    status: answer.status,
    headers: answer.headers,
    json: answer.text ? JSON.parse(answer.text) : undefined,
  };
}
