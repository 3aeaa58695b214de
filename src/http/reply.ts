import type { IncomingMessage, ServerResponse } from 'node:http';
import { declaredLength } from './body.ts';

export const problem = (code: string, message: string) => ({ error: { code, message } });

/** Whether the client may still be sending a body the server has not read. */
function bodyUnread(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const declared = declaredLength(req.headers);
  return req.headers['transfer-encoding'] !== undefined || (declared !== undefined && declared > 0);
}

/**
 * Answers with a JSON body. When the body of the request was not read (refused early), the connection is closed
 * once the answer is written: reading the rest only to discard it is exactly what a slow upload wants.
 */
export function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const close = bodyUnread(req);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...headers,
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(JSON.stringify(body));
  if (close) res.once('finish', () => req.socket.destroy());
}
