/**
 * How the client retries a request that may succeed later (network errors, timeouts, 5xx, 429). Named policies,
 * as in @slack/web-api: production waits patiently, tests fail fast.
 */
export interface RetryPolicy {
  /**
   * Sends of one request, the first included: a safety cap only, large enough that the time budget decides. A
   * request whose answer was lost is sent again at most twice whatever this says (see tries.ts).
   */
  maxAttempts: number;
  /** Full-jitter backoff: the n-th retry waits a random time in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry is started once this much time has passed since the request's first send. */
  maxElapsedMs: number;
}

export const retryPolicies = {
  /**
   * 90 s of patience: a 503 storm or a 429 window of a minute is ridden out (about 14 tries at full jitter), and
   * a person hears the outcome within a couple of minutes.
   */
  standard: { maxAttempts: 50, baseDelayMs: 500, maxDelayMs: 15_000, maxElapsedMs: 90_000 },
  /** For tests: same shape, small numbers. */
  fast: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 50, maxElapsedMs: 10_000 },
  none: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, maxElapsedMs: 0 },
} as const satisfies Record<string, RetryPolicy>;

/** Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): spreads retries of many clients. */
export function backoffDelay(
  policy: RetryPolicy,
  retryNumber: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retryNumber - 1));
  return Math.floor(random() * ceiling);
}

/**
 * MoEngage's longest window is an hour: no honest answer asks to wait longer. A reset or Retry-After past it is
 * capped here (and in every limiter's pause), so one bad header cannot switch the bot off for years.
 */
export const MAX_RETRY_WAIT_MS = 3_600_000;

/** `atMs` capped to `nowMs` + MAX_RETRY_WAIT_MS; `capped` says a header asked for more (worth a log line). */
export function boundedRetryAt(atMs: number, nowMs: number): { atMs: number; capped: boolean } {
  const limit = nowMs + MAX_RETRY_WAIT_MS;
  return atMs > limit ? { atMs: limit, capped: true } : { atMs, capped: false };
}

/**
 * When a 429 says to come back, from `x-ratelimit-reset` (UTC epoch seconds, MoEngage's header) or
 * `Retry-After` (seconds or an HTTP date). Returns epoch ms as the header says it, or undefined when neither
 * header is usable; see boundedRetryAt.
 */
export function retryAtFromHeaders(
  headers: Record<string, string | string[] | undefined>,
  nowMs: number,
): number | undefined {
  const first = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const reset = first('x-ratelimit-reset');
  if (reset !== undefined && /^\d+(\.\d+)?$/.test(reset.trim())) {
    const seconds = Number(reset);
    // Some gateways send seconds-until-reset here instead of an epoch; a small number can only mean that.
    return seconds < 1e9 ? nowMs + seconds * 1000 : seconds * 1000;
  }
  const retryAfter = first('retry-after');
  if (retryAfter !== undefined) {
    if (/^\d+$/.test(retryAfter.trim())) return nowMs + Number(retryAfter) * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return date;
  }
  return undefined;
}
