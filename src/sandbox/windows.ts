/**
 * Sliding-window arithmetic shared by the MoEngage simulator, the limiter tests and the benchmark. A window of
 * `windowMs` is closed: two requests `windowMs` apart or less are in one window (the stricter reading).
 */

/** The most timestamps that fall in any one window. `times` need not be sorted. */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) > windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

export interface Window {
  ms: number;
  limit: number;
}

export function windowsFor(limits: { perSecond: number; perMinute: number; perHour: number }): Window[] {
  return [
    { ms: 1_000, limit: limits.perSecond },
    { ms: 60_000, limit: limits.perMinute },
    { ms: 3_600_000, limit: limits.perHour },
  ];
}

/**
 * The earliest start of each of `n` requests that the windows allow, from t = 0, at `resolutionMs`: request k may
 * start once, in every window, the request `limit` places before it started more than `ms` earlier. The last
 * entry is the floor no client can beat for `n` requests (plus one response time).
 */
export function earliestStarts(n: number, windows: readonly Window[], resolutionMs = 1): number[] {
  const starts: number[] = [];
  for (let k = 0; k < n; k++) {
    let t = k === 0 ? 0 : (starts[k - 1] as number);
    for (const w of windows) {
      const blocker = starts[k - w.limit];
      if (blocker !== undefined) t = Math.max(t, blocker + w.ms + resolutionMs);
    }
    starts.push(t);
  }
  return starts;
}

/** Whether one more request at `now` fits every window, given the accepted arrivals (ascending). */
export function windowVerdict(
  accepted: readonly number[],
  now: number,
  windows: readonly Window[],
): { ok: true } | { ok: false; window: Window; retryAt: number } {
  for (const w of windows) {
    // Binary search for the first arrival inside [now - ms, now].
    let lo = 0;
    let hi = accepted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((accepted[mid] as number) < now - w.ms) lo = mid + 1;
      else hi = mid;
    }
    const inWindow = accepted.length - lo;
    if (inWindow >= w.limit) {
      // Room returns once the arrival that is `limit` places back leaves the window.
      const leaving = accepted[accepted.length - w.limit] as number;
      return { ok: false, window: w, retryAt: leaving + w.ms + 1 };
    }
  }
  return { ok: true };
}
