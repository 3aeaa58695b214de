import type { ChangeFeed } from '../core/ports.ts';
import type { CampaignActionRequest } from '../core/request.ts';

export { createMemoryChangeFeed } from '../core/change-feed.ts';
export type { ChangeFeed } from '../core/ports.ts';

/** A request with nothing more to wait for: decided other than confirmed, or confirmed and run. */
export function isSettled(r: CampaignActionRequest): boolean {
  return r.state === 'cancelled' || r.state === 'expired' || (r.state === 'confirmed' && !!r.result);
}

/**
 * Resolves with the request once it is settled, or with what it is when `timeoutMs` runs out (undefined if it
 * is gone). Wakes on every change of that request; re-reads every `recheckMs` too, in case a message was lost
 * while a connection was down. An aborted `signal` ends the wait at once, with what the request is then.
 */
export function waitSettled(
  id: string,
  deps: { get: (id: string) => Promise<CampaignActionRequest | undefined>; feed: ChangeFeed },
  timeoutMs: number,
  recheckMs = 15_000,
  signal?: AbortSignal,
): Promise<CampaignActionRequest | undefined> {
  return new Promise((resolve, reject) => {
    let done = false;
    let latest: CampaignActionRequest | undefined;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      unsubscribe();
      signal?.removeEventListener('abort', answerNow);
      clearTimeout(deadline);
      clearInterval(recheck);
      if (error) reject(error);
      else resolve(latest);
    };
    const check = () => {
      deps.get(id).then((r) => {
        latest = r;
        if (!r || isSettled(r)) finish();
      }, finish);
    };
    const unsubscribe = deps.feed.subscribe((changed) => {
      if (changed === id) check();
    });
    // Answered with a fresh read: what `latest` holds may be from before the last change.
    const answerNow = () => {
      deps.get(id).then((r) => {
        latest = r;
        finish();
      }, finish);
    };
    signal?.addEventListener('abort', answerNow, { once: true });
    const deadline = setTimeout(() => finish(), timeoutMs);
    const recheck = setInterval(check, recheckMs);
    deadline.unref();
    recheck.unref();
    if (signal?.aborted) answerNow();
    else check();
  });
}
