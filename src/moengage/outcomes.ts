import { MoEngageCancelledError, type MoEngageError, MoEngageHttpError } from './errors.ts';
import type { CampaignOutcome } from './types.ts';

// The client's ids that end without being applied, and how a request still in the limiter's queue is
// withdrawn before it is sent.

/**
 * Resolves with `work`, or — while `started()` is false — with what `withdraw()` returns once it returns
 * something (checked on abort and every 200 ms).
 */
export function whileQueued<T>(
  work: Promise<T>,
  started: () => boolean,
  signal: AbortSignal | undefined,
  withdraw: () => T | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const check = () => {
      if (started()) return;
      const early = withdraw();
      if (early !== undefined) resolve(early);
    };
    const timer = setInterval(check, 200);
    signal?.addEventListener('abort', check, { once: true });
    check();
    work.then(resolve, reject).finally(() => {
      clearInterval(timer);
      signal?.removeEventListener('abort', check);
    });
  });
}

export function failAll(
  ids: string[],
  error: MoEngageError,
  requestId: string | undefined,
  attempts: number,
  underlying: MoEngageError = error,
): CampaignOutcome[] {
  const httpStatus = underlying instanceof MoEngageHttpError ? underlying.status : undefined;
  const code = underlying instanceof MoEngageHttpError ? underlying.code : undefined;
  return ids.map((campaignId) => ({
    campaignId,
    status: 'failed',
    requestId,
    attempts,
    error: { kind: underlying.kind, httpStatus, code, message: error.message },
  }));
}

/** Every id of a request whose answers left open whether MoEngage applied it (see tries.ts). */
export function uncertainAll(
  ids: string[],
  message: string,
  requestId: string,
  attempts: number,
  last: MoEngageError,
): CampaignOutcome[] {
  const httpStatus = last instanceof MoEngageHttpError ? last.status : undefined;
  const code = last instanceof MoEngageHttpError ? last.code : undefined;
  return ids.map((campaignId) => ({
    campaignId,
    status: 'uncertain',
    requestId,
    attempts,
    error: { kind: last.kind, httpStatus, code, message },
  }));
}

/** A guard: if a bug ever lost an id, it is reported as failed rather than silently dropped. */
export function lost(campaignId: string): CampaignOutcome {
  return {
    campaignId,
    status: 'failed',
    requestId: undefined,
    attempts: 0,
    error: { kind: 'internal', httpStatus: undefined, code: undefined, message: 'No result was recorded' },
  };
}

export function abortError(signal: AbortSignal | undefined, requestId: string): MoEngageError | undefined {
  if (!signal?.aborted) return undefined;
  const why = typeof signal.reason === 'string' ? ` (${signal.reason})` : '';
  return new MoEngageCancelledError(
    `Not sent to MoEngage: cancelled${why}. Run the command again for it.`,
    requestId,
  );
}
