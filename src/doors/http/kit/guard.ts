import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendJson } from '../../../http/reply.ts';
import type { BufferedRequest } from '../../../http/routes.ts';
import { type Answer, problem } from './problem.ts';

/**
 * An HTTP door's error boundary: its handler answers an `Answer`; whatever fails on our side becomes a 500 problem
 * whose message says what the caller may assume (`afterFailure`), the error itself only logged, never sent.
 */
export function guard(
  log: Logger,
  what: string,
  afterFailure: string,
  fn: (req: BufferedRequest) => Promise<Answer>,
): (req: BufferedRequest, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    let answer: Answer;
    try {
      answer = await fn(req);
    } catch (error) {
      log.error({ err: String(error) }, `${what} failed`);
      answer = problem(500, 'internal', `something went wrong on our side; ${afterFailure}`);
    }
    sendJson(req, res, answer.status, answer.body, answer.headers);
  };
}
