import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditEvent } from './core/audit.ts';
import type { RequestEvent } from './moengage/client.ts';
import type { LimiterStats } from './moengage/limiter.ts';
import { VERSION } from './version.ts';

/** What /readyz answers (see ops.ts): the metrics show the same. */
interface ReadinessAnswer {
  ready: boolean;
  checks: Record<string, boolean>;
}

/**
 * Prometheus metrics, fed from the same events that make the audit trail (one mechanism, two outputs). Each bot
 * instance has its own registry, so tests can run several in one process.
 */
export function createMetrics() {
  const registry = new Registry();
  // Node's process metrics under their standard names (process_resident_memory_bytes, nodejs_eventloop_lag_seconds,
  // …), without the bot's prefix, so stock Node.js dashboards and alerts find them; the bot's own carry it.
  collectDefaultMetrics({ register: registry });
  const r = [registry];

  // Which build runs where, as Prometheus's own *_build_info: always 1, the facts in its labels.
  new Gauge({
    name: 'campaign_bot_build_info',
    help: 'The running version of the bot and of Node.js: always 1',
    labelNames: ['version', 'node'],
    registers: r,
  }).set({ version: VERSION, node: process.version }, 1);

  const commands = new Counter({
    name: 'campaign_bot_commands_total',
    help: 'Slash commands by outcome: requested, help, bad_input, denied, failed',
    labelNames: ['outcome'],
    registers: r,
  });
  const refusals = new Counter({
    name: 'campaign_bot_authorization_refusals_total',
    help: 'Authorization refusals by step (request, confirm, cancel) and the check that failed',
    labelNames: ['step', 'failed'],
    registers: r,
  });
  const decisions = new Counter({
    name: 'campaign_bot_decisions_total',
    help: 'Requests decided: confirmed, cancelled, expired',
    labelNames: ['decision'],
    registers: r,
  });
  const repeated = new Counter({
    name: 'campaign_bot_ids_maybe_sent_twice_total',
    help: 'Campaign ids whose chunk two runners sent (a replica died while MoEngage was answering)',
    registers: r,
  });
  const slackGivenUp = new Counter({
    name: 'campaign_bot_slack_calls_given_up_total',
    help: 'Slack Web API calls given up after their retries (rate limits, errors), by method and error',
    labelNames: ['method', 'error'],
    registers: r,
  });
  const campaigns = new Counter({
    name: 'campaign_bot_campaigns_total',
    help: 'Campaign ids by action and outcome once a run completes',
    labelNames: ['action', 'outcome'],
    registers: r,
  });
  const moengageRequests = new Counter({
    name: 'campaign_bot_moengage_requests_total',
    help: 'Requests sent to MoEngage by action and HTTP status (or network / timeout)',
    labelNames: ['action', 'status'],
    registers: r,
  });
  const retries = new Counter({
    name: 'campaign_bot_moengage_retries_total',
    help: 'MoEngage sends that were retries of an earlier send',
    registers: r,
  });
  const rateLimited = new Counter({
    name: 'campaign_bot_moengage_rate_limited_total',
    help: 'MoEngage answers with HTTP 429',
    registers: r,
  });
  const moengageSeconds = new Histogram({
    name: 'campaign_bot_moengage_request_seconds',
    help: 'MoEngage request latency',
    labelNames: ['action'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: r,
  });
  const limiterWait = new Histogram({
    name: 'campaign_bot_limiter_wait_seconds',
    help: 'Time a MoEngage request waited in the rate limiter before it was sent',
    buckets: [0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300],
    registers: r,
  });
  const ackSeconds = new Histogram({
    name: 'campaign_bot_ack_seconds',
    help: 'Time from a Slack request arriving to its HTTP answer (the acknowledgement Slack waits for)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3],
    registers: r,
  });
  let limiterStats: (() => LimiterStats) | undefined;
  new Gauge({
    name: 'campaign_bot_limiter_queue_depth',
    help: 'MoEngage requests waiting in this instance for the rate limiter',
    registers: r,
    collect() {
      this.set(limiterStats?.().queued ?? 0);
    },
  });

  // The Slack outbox (core/outbox.ts): what waits for Slack, how long the oldest has waited, what was given up.
  let outboxStats: (() => Promise<{ depth: number; oldestAt: number | undefined }>) | undefined;
  const readOutbox = () => outboxStats?.().catch(() => undefined);
  new Gauge({
    name: 'campaign_bot_slack_outbox_depth',
    help: 'Slack posts and edits queued in the outbox (the shared store) and not yet taken by Slack',
    registers: r,
    async collect() {
      this.set((await readOutbox())?.depth ?? 0);
    },
  });
  new Gauge({
    name: 'campaign_bot_slack_outbox_oldest_seconds',
    help: 'How long the oldest entry in the Slack outbox has waited (0 when empty)',
    registers: r,
    async collect() {
      const oldestAt = (await readOutbox())?.oldestAt;
      this.set(oldestAt === undefined ? 0 : Math.max(0, (Date.now() - oldestAt) / 1000));
    },
  });
  const outboxDropped = new Counter({
    name: 'campaign_bot_slack_outbox_dropped_total',
    help: 'Outbox entries given up: refused by Slack for good, or too_old (not taken within the age limit)',
    labelNames: ['reason', 'error'],
    registers: r,
  });
  const outboxRetries = new Counter({
    name: 'campaign_bot_slack_outbox_retries_total',
    help: 'Outbox sends that failed for a while (Slack down, 5xx, 429, network) and wait to be tried again',
    labelNames: ['error'],
    registers: r,
  });

  // Readiness as /readyz answers it, asked at each scrape (each check bounds its own wait; one answer serves every
  // gauge of a scrape): an alert on a dependency (Redis, MoEngage's acceptance of the key) needs no probe of its own.
  let readiness: (() => Promise<ReadinessAnswer>) | undefined;
  let asked: { at: number; answer: Promise<ReadinessAnswer | undefined> } | undefined;
  const readOnce = () => {
    if (!asked || Date.now() - asked.at > 1_000) {
      asked = {
        at: Date.now(),
        answer: readiness ? readiness().catch(() => undefined) : Promise.resolve(undefined),
      };
    }
    return asked.answer;
  };
  new Gauge({
    name: 'campaign_bot_ready',
    help: '1 when the bot is ready for traffic (as /readyz answers), 0 when not',
    registers: r,
    async collect() {
      this.set((await readOnce())?.ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'campaign_bot_readiness_check',
    help: 'Each readiness check of /readyz: 1 passing, 0 failing (slack, accepting, redis, sqlite, moengage_credentials)',
    labelNames: ['check'],
    registers: r,
    async collect() {
      const answer = await readOnce();
      this.reset();
      for (const [check, ok] of Object.entries(answer?.checks ?? {})) this.set({ check }, ok ? 1 : 0);
    },
  });

  // The lifecycle's sweeps (expiry, resume, reminders): a sweep whose last good round is old is behind.
  const sweepLastOk = new Gauge({
    name: 'campaign_bot_sweep_last_success_timestamp_seconds',
    help: 'When each sweep (expiry, resume, reminders) last finished a round, or started, in Unix seconds',
    labelNames: ['sweep'],
    registers: r,
  });
  const sweepFailures = new Counter({
    name: 'campaign_bot_sweep_failures_total',
    help: 'Sweep rounds that failed (the store unavailable, most often), by sweep',
    labelNames: ['sweep'],
    registers: r,
  });

  // Runs nobody carries: due (their lease lapsed, or a scheduled step's time came) long enough ago that a sweep
  // should have taken them over. Read from the shared store at each scrape, so every replica reports the same.
  let overdueRuns: (() => Promise<number>) | undefined;
  new Gauge({
    name: 'campaign_bot_runs_overdue',
    help: 'Confirmed runs and scheduled steps (a pause-for reminder or resume) due longer ago than two run leases and a minute, and not taken over: stuck',
    registers: r,
    async collect() {
      this.set((await overdueRuns?.().catch(() => undefined)) ?? 0);
    },
  });

  return {
    registry,
    watchReadiness(read: () => Promise<ReadinessAnswer>) {
      readiness = read;
    },
    watchRuns(overdue: () => Promise<number>) {
      overdueRuns = overdue;
    },
    sweep(name: string, outcome: 'started' | 'ok' | 'failed') {
      if (outcome === 'failed') sweepFailures.inc({ sweep: name });
      else sweepLastOk.set({ sweep: name }, Date.now() / 1000);
    },
    watchOutbox(stats: () => Promise<{ depth: number; oldestAt: number | undefined }>) {
      outboxStats = stats;
    },
    outboxDropped(reason: 'refused' | 'too_old', error: string) {
      outboxDropped.inc({ reason, error });
    },
    outboxRetry(error: string) {
      outboxRetries.inc({ error });
    },
    contentType: registry.contentType,
    text: () => registry.metrics(),
    watchLimiter(stats: () => LimiterStats) {
      limiterStats = stats;
    },
    command(outcome: 'requested' | 'help' | 'bad_input' | 'denied' | 'failed') {
      commands.inc({ outcome });
    },
    /** The lifecycle's audit events. */
    event(e: AuditEvent) {
      if (e.event === 'denied') refusals.inc({ step: e.step, failed: e.failed });
      if (e.event === 'confirmed' || e.event === 'cancelled' || e.event === 'expired') {
        decisions.inc({ decision: e.event });
      }
      if (e.event === 'completed') {
        campaigns.inc({ action: e.action, outcome: 'applied' }, e.applied);
        campaigns.inc({ action: e.action, outcome: 'failed' }, e.failed);
        if (e.uncertain) campaigns.inc({ action: e.action, outcome: 'uncertain' }, e.uncertain);
      }
    },
    moengage(e: RequestEvent) {
      moengageRequests.inc({
        action: e.action,
        status: e.status === undefined ? (e.errorKind ?? 'network') : String(e.status),
      });
      if (e.attempt > 1) retries.inc();
      if (e.status === 429) rateLimited.inc();
      moengageSeconds.observe({ action: e.action }, e.ms / 1000);
      limiterWait.observe(e.queuedMs / 1000);
    },
    repeated(ids: number) {
      repeated.inc(ids);
    },
    slackGivenUp(method: string, error: string) {
      slackGivenUp.inc({ method, error });
    },
    ack(seconds: number) {
      ackSeconds.observe(seconds);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
