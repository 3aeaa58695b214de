import { setTimeout as sleep } from 'node:timers/promises';
import type { SlackCall } from './types.ts';
import { errorText } from './util.ts';

/** Polls every 10 ms; a timeout names the last Web API calls, which usually tell why the bot never got there. */
export async function waitFor<T>(
  predicate: () => T | undefined | null | false,
  timeoutMs: number,
  calls: readonly SlackCall[],
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = predicate();
      if (value !== undefined && value !== null && value !== false) return value as T;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const recent = calls
        .slice(-5)
        .map((c) => `${c.method}(${c.ok ? 'ok' : c.error})`)
        .join(', ');
      const why = lastError === undefined ? '' : `; last error: ${errorText(lastError)}`;
      throw new Error(
        `slack-sim waitFor: condition not met within ${timeoutMs} ms${why}; ` +
          `${calls.length} Web API calls so far${recent ? `, last: ${recent}` : ''}`,
      );
    }
    await sleep(10);
  }
}
