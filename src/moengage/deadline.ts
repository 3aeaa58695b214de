/**
 * How long one send waits for MoEngage's answer: it adapts to how long MoEngage takes, as TCP's retransmission
 * timer does (RFC 6298). A MoEngage answering in 11 s is slow, not down: a fixed 10 s deadline turns every one
 * of its answers into a lost one (and a resend), while this one grows past 11 s after the first lost answer and
 * stays there while the answers stay slow. Pure: the client keeps the value and calls these.
 *
 * - Each answer (any status) is a sample: a smoothed answer time and its mean deviation are kept (gains 1/8 and
 *   1/4, as TCP's); the estimate is smoothed + 4 × deviation.
 * - The deadline is `factor` × the estimate, never below the configured floor (the usual 10 s: a fast MoEngage
 *   keeps it) nor above the cap.
 * - A send that timed out gives no sample (its answer never came): it doubles the deadline instead (Karn's
 *   backoff), once per deadline in force, so ten sends lost together double it once, not ten times. The next
 *   answer ends the backoff.
 */
export interface DeadlineSettings {
  /** The configured request timeout: the deadline never goes below it. */
  floorMs: number;
  /** Never above this, however slow MoEngage has been. */
  capMs: number;
  /** Deadline = factor × (smoothed + 4 × deviation): room for an answer slower than the usual. */
  factor: number;
}

export interface AnswerTimes {
  /** Smoothed answer time; undefined before the first answer. */
  smoothedMs: number | undefined;
  deviationMs: number;
  /** 1, doubled by each lost answer under the deadline in force, back to 1 at the next answer. */
  backoff: number;
}

export const MAX_DEADLINE_MS = 60_000;

export function deadlineSettings(
  floorMs: number,
  capMs = Math.max(MAX_DEADLINE_MS, floorMs),
): DeadlineSettings {
  return { floorMs, capMs, factor: 2 };
}

export const NO_ANSWERS_YET: AnswerTimes = Object.freeze({
  smoothedMs: undefined,
  deviationMs: 0,
  backoff: 1,
});

/** The deadline for the next send. */
export function deadlineOf(t: AnswerTimes, s: DeadlineSettings): number {
  const estimate = t.smoothedMs === undefined ? 0 : s.factor * (t.smoothedMs + 4 * t.deviationMs);
  return Math.round(Math.min(s.capMs, Math.max(s.floorMs, estimate) * t.backoff));
}

/** An answer came after `ms` (whatever its status): a sample, and the end of any backoff. */
export function afterAnswer(t: AnswerTimes, ms: number): AnswerTimes {
  if (t.smoothedMs === undefined) return { smoothedMs: ms, deviationMs: ms / 2, backoff: 1 };
  return {
    smoothedMs: 0.875 * t.smoothedMs + 0.125 * ms,
    deviationMs: 0.75 * t.deviationMs + 0.25 * Math.abs(t.smoothedMs - ms),
    backoff: 1,
  };
}

/**
 * A send waited `usedMs` and got no answer. Only a send that had the deadline now in force doubles it: the
 * others were sent before the last doubling and say nothing new.
 */
export function afterTimeout(t: AnswerTimes, usedMs: number, s: DeadlineSettings): AnswerTimes {
  const now = deadlineOf(t, s);
  if (usedMs < now || now >= s.capMs) return t;
  return { ...t, backoff: t.backoff * 2 };
}

/** The client's running estimate, shared by every send of one client. */
export class AdaptiveDeadline {
  #times: AnswerTimes = NO_ANSWERS_YET;
  readonly settings: DeadlineSettings;
  constructor(settings: DeadlineSettings) {
    this.settings = settings;
  }

  get ms(): number {
    return deadlineOf(this.#times, this.settings);
  }

  answered(ms: number): void {
    this.#times = afterAnswer(this.#times, ms);
  }

  timedOut(usedMs: number): void {
    this.#times = afterTimeout(this.#times, usedMs, this.settings);
  }
}
