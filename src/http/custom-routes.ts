import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { CustomRoute } from '@slack/bolt';
import type { BufferedRequest, HttpRoute, Preauth } from './routes.ts';

/** The runbook API's bodies are a few ids and a reason; a default-sized request is well under 8 KiB. */
export const API_BODY_LIMIT = 16 * 1024;

export interface CustomRouteOptions {
  /** The body limit of POST routes (GET routes take no body). */
  postBodyLimit?: number;
  /** A header-only check for a route (e.g. its bearer token), run before its body is read. */
  preauthFor?: (path: string, method: 'GET' | 'POST') => Preauth | undefined;
}

/**
 * Bolt `CustomRoute`s (the ops endpoints and the runbook API) as routes of our server, one per method. Their
 * handlers still read the body from the request stream themselves, so each gets a request whose body can be
 * read again.
 */
export function fromCustomRoutes(
  routes: readonly CustomRoute[],
  options: CustomRouteOptions = {},
): HttpRoute[] {
  return routes.flatMap((custom) =>
    [custom.method].flat().map((raw): HttpRoute => {
      const method = raw.toUpperCase();
      if (method !== 'GET' && method !== 'POST') {
        throw new Error(`${custom.path}: only GET and POST routes are served, not ${raw}`);
      }
      const preauth = options.preauthFor?.(custom.path, method);
      return {
        method,
        path: custom.path,
        bodyLimit: method === 'POST' ? (options.postBodyLimit ?? API_BODY_LIMIT) : 0,
        ...(preauth ? { preauth } : {}),
        handler: (req: BufferedRequest, res: ServerResponse) => custom.handler(replayable(req), res),
      };
    }),
  );
}

/**
 * A stand-in request that yields `rawBody` again to `for await (const chunk of req)`, with the original's
 * headers, method, url, params and socket. Transitional: once the handlers read `req.rawBody`, this goes.
 */
function replayable(req: BufferedRequest): BufferedRequest {
  const copy = Readable.from(req.rawBody.length > 0 ? [req.rawBody] : []);
  return Object.assign(copy, {
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    socket: req.socket,
    rawBody: req.rawBody,
    params: req.params,
  }) as unknown as BufferedRequest;
}
