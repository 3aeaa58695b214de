import { describe, expect, it } from 'vitest';
import { createCallbackQueue } from '../../../../../src/doors/http/runbook/callback-queue.ts';

/** Jobs that run until the test ends them, recording which token's job started, in order. */
function heldJobs() {
  const started: string[] = [];
  const ends: (() => void)[] = [];
  const job = (token: string) => () => {
    started.push(token);
    return new Promise<void>((resolve) => ends.push(resolve));
  };
  /** Ends the oldest running job and lets the queue start the next. */
  const endOne = async () => {
    ends.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { started, job, endOne };
}

describe('the callback queue', () => {
  it('runs at most perToken of one token at once, so another token is not kept waiting behind it', () => {
    const queue = createCallbackQueue({ maxInFlight: 50, perToken: 10, maxQueuedPerToken: 500 });
    const jobs = heldJobs();
    for (let i = 0; i < 60; i++) expect(queue.push('flood', jobs.job('flood'))).toBe(true);
    for (let i = 0; i < 5; i++) expect(queue.push('other', jobs.job('other'))).toBe(true);
    expect(jobs.started.filter((t) => t === 'flood')).toHaveLength(10);
    expect(jobs.started.filter((t) => t === 'other')).toHaveLength(5);
    expect(queue.stats()).toEqual({ inFlight: 15, queued: 50 });
  });

  it('runs at most maxInFlight in all, and queues the rest rather than dropping them', async () => {
    const queue = createCallbackQueue({ maxInFlight: 50, perToken: 10, maxQueuedPerToken: 500 });
    const jobs = heldJobs();
    for (let t = 0; t < 6; t++) for (let i = 0; i < 10; i++) queue.push(`t${t}`, jobs.job(`t${t}`));
    expect(queue.stats()).toEqual({ inFlight: 50, queued: 10 });
    for (let i = 0; i < 60; i++) await jobs.endOne();
    expect(jobs.started).toHaveLength(60);
    expect(queue.stats()).toEqual({ inFlight: 0, queued: 0 });
  });

  it('serves the tokens in turn as slots free up', async () => {
    const queue = createCallbackQueue({ maxInFlight: 1, perToken: 1, maxQueuedPerToken: 10 });
    const jobs = heldJobs();
    for (let i = 0; i < 3; i++) queue.push('a', jobs.job('a'));
    for (let i = 0; i < 3; i++) queue.push('b', jobs.job('b'));
    for (let i = 0; i < 6; i++) await jobs.endOne();
    expect(jobs.started).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
  });

  it("refuses a job only when its own token's queue is full; other tokens are still taken", () => {
    const queue = createCallbackQueue({ maxInFlight: 2, perToken: 2, maxQueuedPerToken: 3 });
    const jobs = heldJobs();
    for (let i = 0; i < 5; i++) expect(queue.push('a', jobs.job('a'))).toBe(true);
    expect(queue.push('a', jobs.job('a'))).toBe(false);
    expect(queue.push('b', jobs.job('b'))).toBe(true);
  });

  it('goes on after a job that throws', async () => {
    const queue = createCallbackQueue({ maxInFlight: 1, perToken: 1, maxQueuedPerToken: 10 });
    const ran: string[] = [];
    queue.push('a', () => Promise.reject(new Error('boom')));
    queue.push('a', async () => {
      ran.push('second');
    });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual(['second']);
  });
});
