import { afterEach, describe, expect, it } from 'vitest';
import type { SimMessage, SlackCall } from '../../src/sandbox/slack-sim.ts';
import { CHANNEL, type Harness, hasButtons, messageText, startHarness } from '../support/bot-harness.ts';
import { redisUrl, uniquePrefix } from '../support/redis.ts';

// The drainer's waits scaled down (Slack's outage is seconds here, not minutes): the backoff tops out at 300 ms.
const FAST = { pollMs: 100, leaseMs: 1_500, backoff: { baseMs: 50, maxMs: 300 }, stopGraceMs: 1_000 };
const IDS = Array.from({ length: 30 }, (_, i) => `camp_${String(i + 1).padStart(3, '0')}`);

let h: Harness | undefined;
afterEach(async () => {
  if (!h) return;
  expect(h.slack.unexpected).toEqual([]);
  await h.stop();
  h = undefined;
});

const metricsOf = async (port: number) => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
const metric = (text: string, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
const completed = (h: Harness) => h.auditEvents().some((e) => e.event === 'completed');

/** Slack's accepted thread posts under `ts`, and the accepted edits of it, in the order Slack took them. */
function taken(calls: readonly SlackCall[], ts: string) {
  const posts = calls.filter((c) => c.method === 'chat.postMessage' && c.ok && c.args.thread_ts === ts);
  const edits = calls.filter((c) => c.method === 'chat.update' && c.ok && c.args.ts === ts);
  return { posts, edits };
}

/** Runs `pause` of 30 ids and confirms it while Slack is down, waits out a stretch of the outage after the run
 * completed (longer than the pacer's old retry budget), then brings Slack back. */
async function runDuringOutage(h: Harness, outageAfterRunMs: number): Promise<SimMessage> {
  await h.command('UALICE', `pause ${IDS.join(' ')}`);
  const message = await h.latestMessage();
  h.slack.outage(503);
  await h.click('UBOB', message, 'campaign_confirm');
  await h.slack.waitFor(() => completed(h), 20_000);
  const started = Date.now();
  // Slack is being asked, and refusing, during the outage: the bot keeps trying.
  await h.slack.waitFor(
    () => h.slack.calls.filter((c) => c.status === 503 && c.at >= started).length >= 3,
    10_000,
  );
  await new Promise((r) => setTimeout(r, Math.max(0, outageAfterRunMs - (Date.now() - started))));
  return message;
}

function expectEveryResultOnceThenSummary(h: Harness, message: SimMessage) {
  const thread = h.slack.thread(CHANNEL, message.ts);
  const text = thread.map(messageText).join('\n');
  for (const id of IDS) expect(text).toContain(id);
  const { posts, edits } = taken(h.slack.calls, message.ts);
  // Each reply once: as many posts as the thread holds, none with the same text twice.
  expect(posts).toHaveLength(thread.length);
  expect(new Set(thread.map(messageText)).size).toBe(thread.length);
  // The summary came after the details it points at.
  const summary = edits.find((c) => String(c.args.text).includes('30 paused'));
  expect(summary).toBeDefined();
  expect((summary as SlackCall).at).toBeGreaterThanOrEqual(posts.at(-1)?.at ?? Number.POSITIVE_INFINITY);
  const final = h.slack.message(CHANNEL, message.ts) as SimMessage;
  expect(messageText(final)).toContain('details in the thread');
  expect(messageText(final)).not.toContain('could not be posted');
}

describe('Slack down while a run completes', () => {
  it('shows nothing during the outage, then every result in the thread and the summary, in order, each once', async () => {
    h = await startHarness({ CAMPAIGN_LOOKUP: 'off' }, { timings: { outbox: FAST } });
    const message = await runDuringOutage(h, 4_000);
    const during = await metricsOf(h.bot.port);
    expect(metric(during, 'campaign_bot_slack_outbox_depth')).toBeGreaterThan(0);
    expect(metric(during, 'campaign_bot_slack_outbox_oldest_seconds')).toBeGreaterThan(1);
    expect(h.slack.thread(CHANNEL, message.ts)).toHaveLength(0);
    h.slack.outage();
    const current = h;
    await h.slack.waitFor(() => {
      const m = current.slack.message(CHANNEL, message.ts);
      return m && messageText(m).includes('details in the thread');
    }, 20_000);
    expectEveryResultOnceThenSummary(h, message);
    // The summary is in Slack a moment before the bot hears so and takes it off the outbox.
    let after = '';
    const until = Date.now() + 5_000;
    do after = await metricsOf(h.bot.port);
    while (metric(after, 'campaign_bot_slack_outbox_depth') !== 0 && Date.now() < until);
    expect(metric(after, 'campaign_bot_slack_outbox_depth')).toBe(0);
    expect(after).toMatch(/campaign_bot_slack_outbox_retries_total\{error="http_503"\} [1-9]/);
    expect(
      h.log
        .lines()
        .some((l) => l.msg === 'outbox: Slack did not take a message; kept, and tried again later'),
    ).toBe(true);
  }, 60_000);

  it('with two replicas on Redis: the one that queued the results is stopped, the other sends them', async () => {
    h = await startHarness(
      { CAMPAIGN_LOOKUP: 'off', REDIS_URL: redisUrl(), REDIS_KEY_PREFIX: uniquePrefix('outage') },
      { timings: { outbox: FAST } },
    );
    await h.replica();
    const message = await runDuringOutage(h, 2_000);
    // The replica that ran it (and queued its results) goes away during the outage.
    await h.bot.stop();
    h.slack.outage();
    const current = h;
    await h.slack.waitFor(() => {
      const m = current.slack.message(CHANNEL, message.ts);
      return m && messageText(m).includes('details in the thread');
    }, 20_000);
    expectEveryResultOnceThenSummary(h, message);
  }, 60_000);
});

describe('a confirmation that waited behind Slack’s rate limit past its time', () => {
  it('is posted expired, never with live buttons', async () => {
    h = await startHarness(
      { CAMPAIGN_LOOKUP: 'off', CONFIRMATION_TTL_SECONDS: '1' },
      { timings: { outbox: FAST } },
    );
    // The channel is rate limited: the confirmation waits out two Retry-Afters of a second, past its time.
    h.slack.failNext('chat.postMessage', 'ratelimited', 2);
    await h.command('UALICE', 'pause camp_001');
    const current = h;
    const posted = await h.slack.waitFor(() => current.slack.messages(CHANNEL).at(-1), 15_000);
    const first = posted.versions[0] as Pick<SimMessage, 'text' | 'blocks'>;
    expect(hasButtons({ ...posted, blocks: first.blocks })).toBe(false);
    expect(messageText(first)).toContain('expired');
    const buttonsEverSent = h.slack
      .callsTo('chat.postMessage')
      .filter((c) => c.ok && JSON.stringify(c.args.blocks ?? []).includes('campaign_confirm'));
    expect(buttonsEverSent).toHaveLength(0);
  }, 30_000);
});
