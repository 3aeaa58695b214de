import { type MoEngageError, MoEngageHttpError, MoEngageNetworkError } from './errors.ts';
import type { RetryPolicy } from './retry-policy.ts';
import type { CampaignAction } from './types.ts';

/**
 * What the sends of one status request have come to, and whether to send it again. Pure: the client sends,
 * this decides. Four kinds of failed send:
 * - `lost`: no answer, though the request may have reached MoEngage (our deadline passed, or the connection
 *   closed after the request was written). MoEngage may have applied it: sent again a few times at most.
 * - `unclear`: a 5xx other than 503 ("Something went wrong"): MoEngage may have acted before it failed.
 *   Retried within the time budget (MoEngage is up and answering).
 * - `refused`: 429, 503, 408 or no connection made: MoEngage did not act. Retried within the time budget.
 * - `final`: any other answer (a 4xx): not retried.
 */
export type SendVerdict = 'lost' | 'unclear' | 'refused' | 'final';

export function verdictOf(error: MoEngageError): SendVerdict {
  if (error instanceof MoEngageNetworkError) return error.mayHaveReached ? 'lost' : 'refused';
  if (error instanceof MoEngageHttpError) {
    if ([408, 429, 503].includes(error.status)) return 'refused';
    return error.status >= 500 ? 'unclear' : 'final';
  }
  return error.retryable ? 'refused' : 'final';
}

/**
 * How many times, in all, a request whose answer was lost may be sent again (the sends MoEngage may act on:
 * a 429 or 503 in between is not counted). Per action, because V1 has no idempotency and each resend may act
 * again:
 * - V5: 2 for every action; a resend carries the same Idempotency-Key, so MoEngage replays its first answer
 *   instead of acting twice.
 * - V1 PAUSE and STOP: 2. A second PAUSE of a paused campaign, or STOP of a stopped one, is refused (MoEngage's
 *   transitions: PAUSE only from active or scheduled, STOP is final), so a resend cannot act twice; at worst it
 *   re-pauses a campaign someone resumed in the seconds between, which errs toward the brake that was asked for.
 * - V1 RESUME: 1. A resend could restart sending of a campaign someone paused in those seconds (an incident's
 *   brake undone by a retry nobody asked for), so it is sent again once, not twice.
 */
export function lostAnswerResends(apiVersion: 'v1' | 'v5', action: CampaignAction): number {
  if (apiVersion === 'v5') return 2;
  return action === 'RESUME' ? 1 : 2;
}

export interface Tries {
  sends: number;
  /** Epoch ms of the first send (the retry budget runs from it, not from queueing). */
  firstSendAt: number | undefined;
  /** A send MoEngage may have acted on without saying so: a lost answer or an unclear 5xx. */
  mayHaveApplied: boolean;
  /** From the first lost answer on: the sends MoEngage may have acted on, that one included. */
  exposedSends: number | undefined;
  /** How long the last lost send waited. */
  lastWaitMs: number | undefined;
}

export const NO_TRIES: Tries = Object.freeze({
  sends: 0,
  firstSendAt: undefined,
  mayHaveApplied: false,
  exposedSends: undefined,
  lastWaitMs: undefined,
});

export function afterSend(t: Tries, at: number): Tries {
  return { ...t, sends: t.sends + 1, firstSendAt: t.firstSendAt ?? at };
}

/** A send came back without applying: its verdict (and, when lost, how long it waited) is counted. */
export function afterFailure(t: Tries, verdict: SendVerdict, waitedMs?: number): Tries {
  const exposed =
    t.exposedSends === undefined
      ? verdict === 'lost'
        ? 1
        : undefined
      : verdict === 'refused'
        ? t.exposedSends
        : t.exposedSends + 1;
  return {
    ...t,
    mayHaveApplied: t.mayHaveApplied || verdict === 'lost' || verdict === 'unclear',
    exposedSends: exposed,
    lastWaitMs: verdict === 'lost' ? waitedMs : t.lastWaitMs,
  };
}

export type NextStep = { retry: true } | { retry: false; why: 'final' | 'resends' | 'attempts' | 'time' };

/**
 * Whether to send again after a failed send. Retryable failures are retried while the time budget lasts
 * (`maxElapsedMs` from the first send, the wait before the next one included; `maxAttempts` is only a safety
 * cap); once an answer was lost, at most `resends` more sends MoEngage may act on.
 */
export function nextStep(
  t: Tries,
  verdict: SendVerdict,
  policy: RetryPolicy,
  resends: number,
  elapsedMs: number,
  delayMs: number,
): NextStep {
  if (verdict === 'final') return { retry: false, why: 'final' };
  if (t.exposedSends !== undefined && t.exposedSends > resends) return { retry: false, why: 'resends' };
  if (t.sends >= policy.maxAttempts) return { retry: false, why: 'attempts' };
  if (elapsedMs + delayMs > policy.maxElapsedMs) return { retry: false, why: 'time' };
  return { retry: true };
}

/**
 * Whether ids that were not applied may have been all the same. A refusal (a 4xx) in V5 settles it: the resend
 * carried the first send's Idempotency-Key, so its answer is MoEngage's one decision. In V1 a refusal after a
 * lost answer may only mean that the lost send applied it (a paused campaign cannot be paused again).
 */
export function endsUncertain(t: Tries, last: MoEngageError, apiVersion: 'v1' | 'v5'): boolean {
  if (!t.mayHaveApplied) return false;
  const answered = last instanceof MoEngageHttpError && verdictOf(last) === 'final';
  return !(apiVersion === 'v5' && answered);
}

/**
 * The words for a give-up, saying how long it tried and how many times: "MoEngage answered 503 for 1 min 30 s
 * (14 tries); not applied. MoEngage said: Something went wrong". An uncertain one only says what happened: its
 * status says "may have been applied" (and a lookup may settle it).
 */
export function gaveUpText(last: MoEngageError, t: Tries, elapsedMs: number, uncertain: boolean): string {
  const tries = `${t.sends} ${t.sends === 1 ? 'try' : 'tries'}`;
  const end = uncertain ? '' : '; not applied';
  if (last instanceof MoEngageHttpError) {
    const said = last.message.replace(/^MoEngage \d+: /, '');
    return `MoEngage answered ${last.status} for ${durationText(elapsedMs)} (${tries})${end}. MoEngage said: ${said}`;
  }
  if (last instanceof MoEngageNetworkError && last.kind === 'timeout') {
    const waited = t.lastWaitMs === undefined ? '' : `, the last one waited ${durationText(t.lastWaitMs)}`;
    return `MoEngage did not answer for ${durationText(elapsedMs)} (${tries}${waited})${end}`;
  }
  return `${last.message}, for ${durationText(elapsedMs)} (${tries})${end}`;
}

/** "8.5 s", "1 min 30 s", "2 min": how long something took, for people. */
export function durationText(ms: number): string {
  if (ms < 59_950) return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  const rest = seconds % 60;
  return `${Math.floor(seconds / 60)} min${rest > 0 ? ` ${rest} s` : ''}`;
}
