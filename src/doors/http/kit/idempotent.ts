import type { IdempotencyStore } from '../../../core/ports.ts';
import { type Answer, problem } from './problem.ts';

/**
 * The Idempotency-Key dance every HTTP door does the same way: the first call with a key runs `fn` and its answer
 * is kept; a retry with the key and the same body (`fingerprint`) gets that answer back, on any replica; the key
 * with another body is refused (422); a call still running with it is told so (409). Our own failures (a throw,
 * a 5xx) are not kept, so a retry may try again. Without a key, `fn` just runs.
 */
export async function idempotent(
  store: IdempotencyStore,
  key: string | undefined,
  fingerprint: string,
  fn: () => Promise<Answer>,
): Promise<Answer> {
  if (key === undefined) return fn();
  const seen = await store.begin(key, fingerprint);
  if (seen.state !== 'new' && seen.fingerprint !== fingerprint) {
    return problem(
      422,
      'idempotency_key_reused',
      'this Idempotency-Key was used with a different body',
      'Idempotency-Key',
    );
  }
  if (seen.state === 'pending')
    return problem(409, 'in_progress', 'a call with this Idempotency-Key is still running');
  if (seen.state === 'done') return { status: seen.status, body: seen.body };
  let answer: Answer;
  try {
    answer = await fn();
  } catch (error) {
    await store.abandon(key);
    throw error;
  }
  if (answer.status >= 500) await store.abandon(key);
  else await store.finish(key, fingerprint, answer.status, answer.body);
  return answer;
}
