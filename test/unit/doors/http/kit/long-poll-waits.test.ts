import { describe, expect, it } from 'vitest';
import type { CampaignActionRequest } from '../../../../../src/core/request.ts';
import { createWaitGate } from '../../../../../src/doors/http/kit/waits.ts';
import { createMemoryChangeFeed, waitSettled } from '../../../../../src/lifecycle/changes.ts';

describe('the bounds on long polls', () => {
  it('lets each token wait at most perToken times, and all of them at most total', () => {
    const gate = createWaitGate({ perToken: 2, total: 3 });
    const a1 = gate.enter('a');
    const a2 = gate.enter('a');
    expect(a1 && a2).toBeTruthy();
    expect(gate.enter('a')).toBeUndefined();
    const b1 = gate.enter('b');
    expect(b1).toBeTruthy();
    expect(gate.enter('c')).toBeUndefined();
    a1?.();
    a1?.(); // released twice, counted once
    expect(gate.waiting()).toEqual({ total: 2, byToken: { a: 1, b: 1 } });
    expect(gate.enter('c')).toBeTruthy();
    expect(gate.enter('a')).toBeUndefined();
  });
});

describe('waiting for a request to settle', () => {
  const pending = { id: 'req-1', state: 'pending' } as CampaignActionRequest;

  it('ends at once when its signal aborts, with the request as it is then', async () => {
    const feed = createMemoryChangeFeed();
    let current: CampaignActionRequest = pending;
    const reads: string[] = [];
    const get = async (id: string) => {
      reads.push(id);
      return current;
    };
    const shed = new AbortController();
    const waiting = waitSettled('req-1', { get, feed }, 60_000, 60_000, shed.signal);
    await new Promise((r) => setImmediate(r));
    current = { ...pending, state: 'confirmed' };
    shed.abort();
    // A fresh read: the state after the abort, though no change was announced.
    expect((await waiting)?.state).toBe('confirmed');
    expect(reads.length).toBeGreaterThanOrEqual(2);
  });

  it('does not wait at all when its signal has already aborted', async () => {
    const shed = new AbortController();
    shed.abort();
    const got = await waitSettled(
      'req-1',
      { get: async () => pending, feed: createMemoryChangeFeed() },
      60_000,
      60_000,
      shed.signal,
    );
    expect(got?.state).toBe('pending');
  });
});
