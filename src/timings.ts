import type { Config } from './config.ts';
import { CATALOG_TIMINGS, type CatalogTimings } from './lifecycle/catalog.ts';
import { DRAIN_TIMINGS, type DrainTimings } from './lifecycle/outbox-drainer.ts';
import { sweepEvery } from './lifecycle/sweeps.ts';
import type { PaceOptions } from './slack/paced-port.ts';

/**
 * Every wait, period and pace of a running bot in one value: production's come from the config and the defaults
 * below (`productionTimings`); a test passes faster ones over them (`timingsOf`), as @slack/web-api's tests pass
 * its fast retry policy. The parts take theirs from here; their own defaults serve only callers that build them
 * alone (unit tests).
 */
export interface Timings {
  /** A runner's lease on a run: how soon a crashed runner's run is taken over (RUN_LEASE_SECONDS). */
  leaseMs: number;
  /** How often the lifecycle's sweeps run: expiry of pending requests, runs whose runner has gone, reminders. */
  sweepMs: number;
  /** How long a STOP waits for its approvals before it is escalated (ESCALATE_AFTER_MINUTES). */
  escalateAfterMs: number;
  /** How often a long run's message shows its progress. */
  progressMs: number;
  /** A lookup older than this when a run starts has its flagged ids looked at again. */
  staleLookupMs: number;
  /** Slack's life of a Workflow step's token (15 minutes). */
  stepTokenLifeMs: number;
  /** The first wait before a runbook's callback is sent again (it doubles each time). */
  callbackBackoffMs: number;
  /** How long shutdown lets running executions finish before cutting them short (SHUTDOWN_GRACE_SECONDS). */
  shutdownGraceMs: number;
  /** How often MoEngage's acceptance of the credentials is checked again (readiness `moengage_credentials`). */
  credentialCheckMs: number;
  /** The Slack outbox's drainer (see lifecycle/outbox-drainer.ts); its lease is the run lease. */
  outbox: DrainTimings;
  /** The per-channel pace of Slack posts (see slack/paced-port.ts). */
  slackPace: Required<Pick<PaceOptions, 'postsPerSecond' | 'burst' | 'maxAttempts'>>;
  /** The campaign catalog's refresh and reloads (see lifecycle/catalog.ts; CATALOG_* settings). */
  catalog: CatalogTimings;
  /** Retries of the Slack Web API client (about a minute of them; see server.ts). */
  slackRetries: number;
}

/** Faster timings a caller puts over the production ones: any field, and any part of the outbox's and the pace's. */
export type TimingOverrides = {
  [K in keyof Timings]?: Timings[K] extends object ? Partial<Timings[K]> : Timings[K];
};

/** The timings production runs with. */
export function productionTimings(config: Config): Timings {
  const leaseMs = config.runLeaseSeconds * 1000;
  return {
    leaseMs,
    sweepMs: sweepEvery(config.confirmationTtlSeconds * 1000),
    escalateAfterMs: config.escalateAfterMinutes * 60_000,
    progressMs: 5_000,
    staleLookupMs: 30_000,
    stepTokenLifeMs: 15 * 60_000,
    callbackBackoffMs: 1_000,
    shutdownGraceMs: config.shutdownGraceSeconds * 1000,
    credentialCheckMs: 10 * 60_000,
    // A replica that dies mid-send lets go of its queues as soon as it would of its runs.
    outbox: { ...DRAIN_TIMINGS, leaseMs },
    slackPace: { postsPerSecond: 1, burst: 2, maxAttempts: 6 },
    slackRetries: 5,
    catalog: {
      ...CATALOG_TIMINGS,
      refreshEveryMs: (config.moengage.catalog?.refreshMinutes ?? 15) * 60_000,
      pagesPerMinute: config.moengage.catalog?.searchPerMinute ?? CATALOG_TIMINGS.pagesPerMinute,
    },
  };
}

/** Production's timings with `faster` over them (the outbox's and the pace's part by part). */
export function timingsOf(config: Config, faster: TimingOverrides = {}): Timings {
  const production = productionTimings(config);
  const given = definedOnly(faster);
  // A shorter run lease shortens the outbox's too, unless the outbox is given its own.
  const leaseMs = given.leaseMs ?? production.leaseMs;
  return {
    ...production,
    ...given,
    outbox: { ...production.outbox, leaseMs, ...definedOnly(given.outbox ?? {}) },
    slackPace: { ...production.slackPace, ...definedOnly(given.slackPace ?? {}) },
    catalog: { ...production.catalog, ...definedOnly(given.catalog ?? {}) },
  };
}

/** The fields that are set: an `undefined` passed on by a caller keeps the production value. */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
