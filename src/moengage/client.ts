import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { StatusChangeOptions } from '../core/ports.ts';
import { AdaptiveDeadline, deadlineSettings } from './deadline.ts';
import {
  MoEngageCancelledError,
  MoEngageError,
  MoEngageHttpError,
  MoEngageNotSentError,
  MoEngageRateLimitSpentError,
} from './errors.ts';

import { type CallLimiter, createSlidingLimiter, estimateMs, type Priority } from './limiter.ts';
import { abortError, failAll, lost, uncertainAll, whileQueued } from './outcomes.ts';
import { dedupe, planChunks, splitRejected } from './plan.ts';
import { backoffDelay, type RetryPolicy, retryPolicies } from './retry-policy.ts';
import {
  IDS_PER_REQUEST,
  type RequestEvent,
  type SendRun,
  type StatusApiVersion,
  StatusSender,
} from './send.ts';
import {
  afterFailure,
  afterSend,
  endsUncertain,
  gaveUpText,
  lostAnswerResends,
  NO_TRIES,
  nextStep,
  type Tries,
  verdictOf,
} from './tries.ts';
import type { CampaignAction, CampaignOutcome, StatusChangeReport } from './types.ts';

// Moved to send.ts with the HTTP send; still exported here, where the rest of the app imports them from.
export { type RequestEvent, STATUS_PATH, type StatusApiVersion } from './send.ts';

export interface MoEngageClientOptions {
  baseUrl: string;
  workspaceId: string;
  apiKey: string;
  logger: Logger;
  /** Defaults to an in-process sliding-window limiter at MoEngage's limits. */
  limiter?: CallLimiter;
  retryPolicy?: RetryPolicy;
  /**
   * The shortest whole-request deadline (connect, headers and body) of one send; each send's deadline adapts to
   * how long MoEngage has been taking to answer, up to `maxRequestTimeoutMs` (see deadline.ts).
   */
  requestTimeoutMs?: number;
  maxRequestTimeoutMs?: number;
  /** v1 (default): the batch API, API-created campaigns only. v5: one campaign per request, any campaign. */
  apiVersion?: StatusApiVersion;
  /** Sockets kept alive to MoEngage; the default limiter runs as many requests at once. */
  connections?: number;
  /** When MoEngage rejects a request of several ids, split it so the valid ids still get applied. */
  isolateRejected?: boolean;
  newRequestId?: () => string;
  random?: () => number;
  /** Called after every send, for metrics and benchmarks. */
  onRequest?: (event: RequestEvent) => void;
}

export type { StatusChangeOptions } from '../core/ports.ts';

export const DEFAULT_PRIORITY: Record<CampaignAction, Priority> = { PAUSE: 1, STOP: 1, RESUME: 5 };

/** State shared by every request of one status change. */
interface Run extends SendRun {
  priority: Priority;
  signal: AbortSignal | undefined;
  /** Set once MoEngage refuses the credentials: nothing else is sent, every remaining id fails with it. */
  fatal: MoEngageError | undefined;
  requests: number;
  beforeSend: (() => Promise<boolean>) | undefined;
  requester: string | undefined;
}

export class MoEngageClient {
  readonly #sender: StatusSender;
  readonly #deadline: AdaptiveDeadline;
  readonly #limiter: CallLimiter;
  readonly #ownsLimiter: boolean;
  readonly #policy: RetryPolicy;
  readonly #isolate: boolean;
  readonly #newRequestId: () => string;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly apiVersion: StatusApiVersion;

  constructor(options: MoEngageClientOptions) {
    const connections = options.connections ?? 10;
    this.apiVersion = options.apiVersion ?? 'v1';
    this.#log = options.logger.child({ module: 'moengage' });
    const floorMs = options.requestTimeoutMs ?? 10_000;
    this.#deadline = new AdaptiveDeadline(deadlineSettings(floorMs, options.maxRequestTimeoutMs));
    this.#sender = new StatusSender({
      baseUrl: options.baseUrl,
      workspaceId: options.workspaceId,
      apiKey: options.apiKey,
      timeoutMs: floorMs,
      maxTimeoutMs: this.#deadline.settings.capMs,
      connections,
      apiVersion: this.apiVersion,
      logger: this.#log,
      onRequest: options.onRequest,
    });
    this.#ownsLimiter = options.limiter === undefined;
    this.#limiter = options.limiter ?? createSlidingLimiter({ maxConcurrent: connections });
    this.#policy = options.retryPolicy ?? retryPolicies.standard;
    this.#isolate = options.isolateRejected ?? true;
    this.#newRequestId = options.newRequestId ?? randomUUID;
    this.#random = options.random ?? Math.random;
  }

  get limiter(): CallLimiter {
    return this.#limiter;
  }

  /**
   * About how long `requests` more of a run take, with what the limiter already holds ahead of them (queued
   * requests, a rate-limit pause).
   */
  estimateMs(requests: number): number {
    const stats = this.#limiter.stats();
    const pause = Math.max(0, (stats.pausedUntilMs ?? 0) - Date.now());
    return pause + estimateMs(Math.max(requests, stats.queued + stats.running), this.#limiter.limits);
  }

  /** Ids per MoEngage request: a durable run plans its chunks this size. */
  get chunkSize(): number {
    return IDS_PER_REQUEST[this.apiVersion];
  }

  /**
   * Applies `action` to every campaign id and reports each one: applied, or failed with MoEngage's words.
   * Never throws for anything MoEngage or the network does; every id given comes back exactly once, in order.
   */
  async changeCampaignStatus(
    action: CampaignAction,
    campaignIds: readonly string[],
    options: StatusChangeOptions = {},
  ): Promise<StatusChangeReport> {
    const started = performance.now();
    const ids = dedupe(campaignIds);
    const run: Run = {
      action,
      priority: options.priority ?? DEFAULT_PRIORITY[action],
      signal: options.signal,
      fatal: undefined,
      requests: 0,
      sends: [],
      beforeSend: options.beforeSend,
      requester: options.requester,
    };
    const parts = await Promise.all(
      planChunks(ids, this.chunkSize).map((chunk, i) =>
        // A failure of our own (e.g. the shared limiter's Redis away) fails this chunk's ids, not the whole run.
        this.#runPart(run, chunk, i === 0 ? options.requestId : undefined).catch((error: unknown) => {
          this.#log.error({ err: String(error), ids: chunk.length }, 'request could not be run');
          const why = new MoEngageNotSentError(
            `Not sent to MoEngage: ${String((error as Error)?.message ?? error)}`,
            undefined,
          );
          return failAll(chunk, why, undefined, 0);
        }),
      ),
    );
    const byId = new Map(parts.flat().map((o) => [o.campaignId, o]));
    const outcomes = ids.map((id) => byId.get(id) ?? lost(id));
    const count = (status: CampaignOutcome['status']) => outcomes.filter((o) => o.status === status).length;
    return {
      action,
      outcomes,
      applied: count('applied'),
      failed: count('failed'),
      uncertain: count('uncertain'),
      requests: run.requests,
      sends: run.sends,
      elapsedMs: Math.round(performance.now() - started),
    };
  }

  async close(): Promise<void> {
    if (this.#ownsLimiter) await this.#limiter.stop();
    await this.#sender.close();
  }

  /** Applies what a rejection says (see splitRejected): named ids fail unsent, the rest is sent again. */
  async #isolateRejected(
    run: Run,
    ids: string[],
    error: MoEngageHttpError,
    requestId: string,
    tries: Tries,
  ): Promise<CampaignOutcome[]> {
    const { failed, retry } = splitRejected(ids, error.detailText);
    // The parts carry what the sends so far left open (a lost answer before this refusal), not their count.
    const carried: Tries = {
      ...NO_TRIES,
      mayHaveApplied: tries.mayHaveApplied,
      exposedSends: tries.exposedSends,
    };
    const parts = await Promise.all(retry.map((part) => this.#runPart(run, part, undefined, carried)));
    return [...this.#settle(failed, error, requestId, tries), ...parts.flat()];
  }

  /**
   * One logical request: sent, retried under the limiter with the same request_id (see tries.ts for when), or
   * split when rejected. `before`: what earlier sends of these ids left open (a part of a split request).
   */
  async #runPart(
    run: Run,
    ids: string[],
    givenRequestId?: string,
    before: Tries = NO_TRIES,
  ): Promise<CampaignOutcome[]> {
    const requestId = givenRequestId ?? this.#newRequestId();
    const resends = lostAnswerResends(this.apiVersion, run.action);
    let tries = before;
    /** The last failed send's error: a retry still queued when the time budget ends gives up with its words. */
    let lastError: MoEngageError | undefined;
    if (tries.exposedSends !== undefined && tries.exposedSends > resends) {
      const why = new MoEngageError('Not sent again: an earlier send of it got no answer', requestId);
      return this.#settle(ids, why, requestId, tries);
    }
    for (;;) {
      const spent = this.#pausedTooLong(requestId);
      if (spent) return this.#settle(ids, spent, tries.sends > 0 ? requestId : undefined, tries);
      const queuedAt = performance.now();
      let started = false;
      let withdrawn: MoEngageError | undefined;
      let budgetSpent: MoEngageError | undefined;
      const scheduled = this.#limiter.schedule(
        run.priority,
        async (slot) => {
          // Credentials refused, caller aborted, or given up while this request waited in the queue: do not send.
          const stopped = withdrawn ?? run.fatal ?? abortError(run.signal, requestId);
          if (stopped) {
            slot.unused();
            return { ok: false as const, error: stopped, sent: false as const, waitedMs: 0 };
          }
          // From here the request is this slot's: a withdrawal no longer overtakes it (it may be sent below).
          started = true;
          if (run.beforeSend) {
            const gate = run.beforeSend;
            run.beforeSend = undefined;
            let go: boolean;
            try {
              go = await gate();
            } catch (error) {
              slot.unused();
              throw error;
            }
            if (!go) {
              slot.unused();
              run.fatal ??= new MoEngageCancelledError(
                'Not sent: another runner took this run over',
                requestId,
              );
              return { ok: false as const, error: run.fatal, sent: false as const, waitedMs: 0 };
            }
          }
          tries = afterSend(tries, Date.now());
          run.requests += 1;
          const queuedMs = performance.now() - queuedAt;
          const deadline = this.#deadline.ms;
          const result = await this.#sender.send(run, ids, requestId, tries.sends, queuedMs, deadline);
          if (result.answered) this.#deadline.answered(result.ms);
          else if (!result.ok && result.error.kind === 'timeout') this.#deadline.timedOut(deadline);
          return result.ok
            ? { ok: true as const, sent: true as const, waitedMs: result.ms }
            : { ok: false as const, error: result.error, sent: true as const, waitedMs: result.ms };
        },
        run.requester,
      );
      // While queued, an abort (shutdown) or a rate-limit pause longer than the retry budget withdraws the
      // request at once rather than after a slot that may be far away; a send under way is always waited for.
      const result = await whileQueued(
        scheduled,
        () => started,
        run.signal,
        () => {
          budgetSpent = this.#outOfTime(tries, lastError, requestId);
          withdrawn = abortError(run.signal, requestId) ?? this.#pausedTooLong(requestId) ?? budgetSpent;
          return withdrawn && { ok: false as const, error: withdrawn, sent: false as const, waitedMs: 0 };
        },
      );
      if (result.ok)
        return ids.map((campaignId) => ({ campaignId, status: 'applied', requestId, attempts: tries.sends }));

      const error = result.error;
      if (!result.sent)
        return this.#settle(
          ids,
          error,
          tries.sends > 0 ? requestId : undefined,
          tries,
          error === budgetSpent && lastError ? lastError : error,
        );
      lastError = error;
      const verdict = verdictOf(error);
      tries = afterFailure(tries, verdict, result.waitedMs);
      if (error.kind === 'unauthorized') {
        run.fatal = error;
        return this.#settle(ids, error, requestId, tries);
      }
      if (
        error.kind === 'rejected' &&
        this.#isolate &&
        error instanceof MoEngageHttpError &&
        ids.length > 1
      ) {
        const nested = await this.#isolateRejected(run, ids, error, requestId, tries);
        const sends = tries.sends;
        return nested.map((o) => ({ ...o, attempts: o.attempts + sends }) as CampaignOutcome);
      }

      const now = Date.now();
      const retryAt = error instanceof MoEngageHttpError ? error.retryAtMs : undefined;
      if (retryAt !== undefined) this.#limiter.pauseUntil(retryAt);
      const delay = Math.max(backoffDelay(this.#policy, tries.sends, this.#random), (retryAt ?? 0) - now);
      const elapsed = now - (tries.firstSendAt ?? now);
      const step = nextStep(tries, verdict, this.#policy, resends, elapsed, delay);
      if (!step.retry) {
        if (step.why === 'final') return this.#settle(ids, error, requestId, tries);
        const uncertain = endsUncertain(tries, error, this.apiVersion);
        const until = retryAt === undefined ? '' : `; MoEngage asks to wait until ${utcMinute(retryAt)} UTC`;
        const gaveUp = new MoEngageError(
          `${gaveUpText(error, tries, elapsed, uncertain)}${until}`,
          requestId,
          {
            cause: error,
          },
        );
        return this.#settle(ids, gaveUp, requestId, tries, error);
      }
      try {
        await sleep(delay, undefined, run.signal ? { signal: run.signal } : {});
      } catch {
        // Aborted while waiting: the next pass through the limiter reports it without sending.
      }
    }
  }

  /**
   * The outcome of ids not applied: failed, or uncertain when an earlier send may have applied them though no
   * answer said so (tries.ts's endsUncertain); `last`, the error as MoEngage gave it, when `error` words it.
   */
  #settle(
    ids: string[],
    error: MoEngageError,
    requestId: string | undefined,
    tries: Tries,
    last: MoEngageError = error,
  ): CampaignOutcome[] {
    if (requestId === undefined || !endsUncertain(tries, last, this.apiVersion))
      return failAll(ids, error, requestId, tries.sends, last);
    const message = error === last ? `No answer to an earlier send, then: ${error.message}` : error.message;
    return uncertainAll(ids, message, requestId, tries.sends, last);
  }

  /** A retry still waiting for the limiter when the time budget from its first send has run out: given up. */
  #outOfTime(tries: Tries, last: MoEngageError | undefined, requestId: string): MoEngageError | undefined {
    if (!last || tries.firstSendAt === undefined) return undefined;
    const elapsed = Date.now() - tries.firstSendAt;
    if (elapsed <= this.#policy.maxElapsedMs) return undefined;
    const uncertain = endsUncertain(tries, last, this.apiVersion);
    return new MoEngageError(gaveUpText(last, tries, elapsed, uncertain), requestId, { cause: last });
  }

  /** Set when MoEngage said to come back later than a run may wait (e.g. the hourly window is spent). */
  #pausedTooLong(requestId: string): MoEngageError | undefined {
    const until = this.#limiter.stats().pausedUntilMs;
    if (until === undefined || until - Date.now() <= this.#policy.maxElapsedMs) return undefined;
    const at = utcMinute(until);
    return new MoEngageRateLimitSpentError(
      `Not sent: MoEngage's rate limit is spent until ${at} UTC`,
      requestId,
    );
  }
}

/** `2026-12-01 10:28`: a date and time a person can act on, in UTC. */
function utcMinute(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ');
}
