import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { STEP_TOKEN_LIFE_MS } from '../../src/doors/slack/workflow-step.ts';
import { DRAIN_TIMINGS } from '../../src/lifecycle/outbox-drainer.ts';
import { productionTimings, timingsOf } from '../../src/timings.ts';

const env = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdefabcdef',
  SLACK_SIGNING_SECRET: 'signing-secret-0123456789',
  MOENGAGE_WORKSPACE_ID: 'WS12345',
  MOENGAGE_API_KEY: 'api-key-very-secret',
  MOENGAGE_DATA_CENTER: '02',
};

describe('the timings', () => {
  it("takes production's from the config and the parts' documented defaults", () => {
    const config = loadConfig({
      ...env,
      RUN_LEASE_SECONDS: '20',
      ESCALATE_AFTER_MINUTES: '15',
      SHUTDOWN_GRACE_SECONDS: '40',
      CONFIRMATION_TTL_SECONDS: '900',
    });
    expect(productionTimings(config)).toEqual({
      leaseMs: 20_000,
      // A quarter of the confirmation's life, at most every 2 s.
      sweepMs: 2_000,
      escalateAfterMs: 15 * 60_000,
      progressMs: 5_000,
      staleLookupMs: 30_000,
      stepTokenLifeMs: STEP_TOKEN_LIFE_MS,
      callbackBackoffMs: 1_000,
      shutdownGraceMs: 40_000,
      credentialCheckMs: 10 * 60_000,
      // The outbox's lease is the run lease: a replica that dies lets go of both at once.
      outbox: { ...DRAIN_TIMINGS, leaseMs: 20_000 },
      slackPace: { postsPerSecond: 1, burst: 2, maxAttempts: 6 },
      slackRetries: 5,
      // The catalog refreshes every CATALOG_REFRESH_MINUTES at CATALOG_SEARCH_PER_MINUTE pages.
      catalog: {
        refreshEveryMs: 15 * 60_000,
        pagesPerMinute: 40,
        leaseMs: 120_000,
        reloadCheckMs: 2_000,
        liveCacheMs: 60_000,
        liveTimeoutMs: 1_500,
        changedBatchMs: 1_000,
      },
    });
    expect(productionTimings(loadConfig({ ...env, CONFIRMATION_TTL_SECONDS: '4' })).sweepMs).toBe(1_000);
    expect(
      productionTimings(
        loadConfig({ ...env, CATALOG_REFRESH_MINUTES: '60', CATALOG_SEARCH_PER_MINUTE: '20' }),
      ).catalog,
    ).toMatchObject({ refreshEveryMs: 3_600_000, pagesPerMinute: 20 });
  });

  it("puts a test's faster ones over production's, the outbox's and the pace's part by part", () => {
    const config = loadConfig(env);
    const production = productionTimings(config);
    const fast = timingsOf(config, {
      sweepMs: 100,
      progressMs: undefined,
      outbox: { pollMs: 20, backoff: { baseMs: 50, maxMs: 200 } },
      slackPace: { postsPerSecond: 20 },
    });
    expect(fast).toEqual({
      ...production,
      sweepMs: 100,
      outbox: { ...production.outbox, pollMs: 20, backoff: { baseMs: 50, maxMs: 200 } },
      slackPace: { ...production.slackPace, postsPerSecond: 20 },
    });
  });

  it("shortens the outbox's lease with the run lease, unless the outbox is given its own", () => {
    const config = loadConfig(env);
    expect(timingsOf(config, { leaseMs: 1_500 }).outbox.leaseMs).toBe(1_500);
    expect(timingsOf(config, { leaseMs: 1_500, outbox: { leaseMs: 900 } }).outbox.leaseMs).toBe(900);
  });
});
