import { describe, expect, it } from 'vitest';
import type { Outbox } from '../../../src/core/outbox.ts';
import { createOutboxDrainer, type DrainerOptions } from '../../../src/lifecycle/outbox-drainer.ts';
import { classifySlackFailure } from '../../../src/slack/outbox-delivery.ts';
import { SlackCallError } from '../../../src/slack/port.ts';
import { createMemoryOutbox } from '../../../src/stores/outbox-memory.ts';
import { memoryLogger } from '../../support/fixtures.ts';

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const FAST = { pollMs: 20, leaseMs: 1_000, backoff: { baseMs: 20, maxMs: 50 }, stopGraceMs: 500 };

/** A drainer over a memory outbox whose medium answers with `answer` for each send, recording what it took. */
function drainerWith(
  answer: (text: string, n: number) => Error | undefined,
  extra: Partial<DrainerOptions> = {},
) {
  const outbox = extra.outbox ?? createMemoryOutbox();
  const taken: string[] = [];
  const dropped: string[] = [];
  const retries: string[] = [];
  let n = 0;
  const log = memoryLogger();
  const drainer = createOutboxDrainer({
    outbox,
    async deliver(payload) {
      const text = payload as string;
      const error = answer(text, ++n);
      if (error) throw error;
      taken.push(text);
    },
    classify: classifySlackFailure,
    log: log.logger,
    timings: FAST,
    onDropped: (reason, code) => dropped.push(`${reason}:${code}`),
    onRetry: (code) => retries.push(code),
    ...extra,
  });
  return { outbox, drainer, taken, dropped, retries, log };
}

describe('the outbox drainer', () => {
  it('keeps a queue in order through a failure, trying again until the medium takes it', async () => {
    const d = drainerWith((_text, n) =>
      n <= 3 ? new SlackCallError('chat.postMessage', 'http_503') : undefined,
    );
    await d.outbox.enqueue('q', [{ payload: 'r1' }, { payload: 'r2' }, { payload: 'summary' }]);
    d.drainer.kick();
    await until(() => d.taken.length === 3);
    expect(d.taken).toEqual(['r1', 'r2', 'summary']);
    expect(d.retries).toEqual(['http_503', 'http_503', 'http_503']);
    await d.drainer.stop();
  });

  it('waits at least the Retry-After Slack asked for', async () => {
    const d = drainerWith((_text, n) =>
      n === 1 ? new SlackCallError('chat.update', 'ratelimited', { retryAfterMs: 400 }) : undefined,
    );
    const t0 = Date.now();
    await d.outbox.enqueue('q', [{ payload: 'edit' }]);
    d.drainer.kick();
    await until(() => d.taken.length === 1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    await d.drainer.stop();
  });

  it('drops what Slack refuses for good, and goes on with the rest of the queue', async () => {
    const d = drainerWith((text) =>
      text === 'r1' ? new SlackCallError('chat.postMessage', 'invalid_blocks') : undefined,
    );
    await d.outbox.enqueue('q', [{ payload: 'r1' }, { payload: 'r2' }]);
    d.drainer.kick();
    await until(() => d.taken.length === 1);
    expect(d.taken).toEqual(['r2']);
    expect(d.dropped).toEqual(['refused:invalid_blocks']);
    expect((await d.outbox.peek('q', 5)).dropped).toBe(1);
    await d.drainer.stop();
  });

  it('drops an entry older than the age limit instead of sending it a day late', async () => {
    let clock = 1_000_000;
    const outbox = createMemoryOutbox({ now: () => clock });
    await outbox.enqueue('q', [{ payload: 'stale' }]);
    clock += 25 * 3_600_000;
    await outbox.enqueue('q', [{ payload: 'fresh' }]);
    const d = drainerWith(() => undefined, { outbox, now: () => clock });
    d.drainer.kick();
    await until(() => d.taken.length === 1);
    expect(d.taken).toEqual(['fresh']);
    expect(d.dropped).toEqual(['too_old:too_old']);
    expect(d.log.lines().some((l) => l.msg === 'outbox: dropped a message Slack did not take in time')).toBe(
      true,
    );
    await d.drainer.stop();
  });

  it('while Slack is down, knocks once per wait, not once per waiting queue', async () => {
    let attempts = 0;
    const d = drainerWith(
      () => {
        attempts += 1;
        return new SlackCallError('chat.postMessage', 'http_503');
      },
      { timings: { ...FAST, queuesAtOnce: 4, backoff: { baseMs: 400, maxMs: 400 } } },
    );
    for (let i = 0; i < 30; i++) await d.outbox.enqueue(`q${i}`, [{ payload: `r${i}` }]);
    d.drainer.kick();
    await until(() => attempts >= 1);
    await new Promise((r) => setTimeout(r, 150));
    // The first claim's queues at most: the others wait for the end of the wait.
    expect(attempts).toBeLessThanOrEqual(4);
    expect((await d.outbox.stats()).depth).toBe(30);
    await d.drainer.stop();
  });

  it('sends what is queued just as it lets an emptied queue go, at once, not after the lease', async () => {
    const memory = createMemoryOutbox();
    let claims = 0;
    let raced = false;
    // The lease is longer than the wait below: a queue left claimed and unsent would fail the test.
    const timings = { ...FAST, pollMs: 60_000, leaseMs: 60_000 };
    const outbox: Outbox = {
      ...memory,
      async claim(holder, max, leaseMs) {
        const queues = await memory.claim(holder, max, leaseMs);
        if (queues.length > 0) claims += 1;
        return queues;
      },
      async release(queue, holder, retryAt) {
        await memory.release(queue, holder, retryAt);
        if (raced) return;
        raced = true;
        // Its drain found the queue empty and let it go; before that drain has finished, more is queued and the
        // replica claims the queue again (the notifier's kick).
        const before = claims;
        await memory.enqueue(queue, [{ payload: 'r2' }]);
        d.drainer.kick();
        await until(() => claims > before);
      },
    };
    const d = drainerWith(() => undefined, { outbox, timings });
    await outbox.enqueue('q', [{ payload: 'r1' }]);
    d.drainer.kick();
    await until(() => d.taken.length === 2);
    expect(d.taken).toEqual(['r1', 'r2']);
    await d.drainer.stop();
  });

  it('sends what is due before it stops, and claims nothing after', async () => {
    const d = drainerWith(() => undefined);
    await d.outbox.enqueue('q', [{ payload: 'r1' }]);
    await d.drainer.stop();
    expect(d.taken).toEqual(['r1']);
    await d.outbox.enqueue('q', [{ payload: 'r2' }]);
    await new Promise((r) => setTimeout(r, 100));
    expect(d.taken).toEqual(['r1']);
  });
});
