import { describe, expect, it } from 'vitest';
import { transition } from '../../../src/sandbox/campaigns.ts';
import { earliestStarts, maxInWindow, windowsFor, windowVerdict } from '../../../src/sandbox/windows.ts';

const moe = windowsFor({ perSecond: 10, perMinute: 100, perHour: 6_000 });

describe('sliding windows', () => {
  it('counts the most timestamps in any closed window', () => {
    expect(maxInWindow([], 1_000)).toBe(0);
    expect(maxInWindow([0, 500, 1_000, 1_001, 2_500], 1_000)).toBe(3);
    expect(maxInWindow([3, 1, 2], 1)).toBe(2);
  });

  it('computes the fastest schedule the windows allow', () => {
    const starts = earliestStarts(200, moe);
    expect(starts.slice(0, 11)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1_001]);
    expect(starts[99]).toBe(9_009);
    expect(starts[100]).toBe(60_001);
    expect(starts.at(-1)).toBe(69_010);
    expect(maxInWindow(starts, 1_000)).toBe(10);
    expect(maxInWindow(starts, 60_000)).toBe(100);
  });

  it('refuses one more request in a full window and says when room returns', () => {
    const accepted = [0, 100, 200];
    const windows = [{ ms: 1_000, limit: 3 }];
    expect(windowVerdict(accepted, 900, windows)).toMatchObject({ ok: false, retryAt: 1_001 });
    expect(windowVerdict(accepted, 1_001, windows)).toEqual({ ok: true });
  });
});

describe('simulated campaign transitions', () => {
  const c = (type: 'ONE_TIME' | 'PERIODIC', status: 'SCHEDULED' | 'ACTIVE' | 'PAUSED') =>
    ({ id: 'x', name: 'x', channel: 'PUSH', type, status }) as const;

  it('stops only a scheduled one-time campaign', () => {
    expect(transition(c('ONE_TIME', 'SCHEDULED'), 'STOP')).toEqual({ ok: true, status: 'STOPPED' });
    expect(transition(c('ONE_TIME', 'ACTIVE'), 'STOP')).toMatchObject({ ok: false });
    expect(transition(c('PERIODIC', 'ACTIVE'), 'STOP')).toMatchObject({ ok: false });
  });

  it('pauses running and resumes paused recurring campaigns, and nothing else', () => {
    expect(transition(c('PERIODIC', 'ACTIVE'), 'PAUSE')).toEqual({ ok: true, status: 'PAUSED' });
    expect(transition(c('PERIODIC', 'PAUSED'), 'RESUME')).toEqual({ ok: true, status: 'ACTIVE' });
    expect(transition(c('PERIODIC', 'ACTIVE'), 'RESUME')).toMatchObject({
      ok: false,
      reason: 'only a paused campaign can be resumed, and it is active (periodic)',
    });
    expect(transition(c('PERIODIC', 'PAUSED'), 'PAUSE')).toMatchObject({ ok: false });
    expect(transition(c('ONE_TIME', 'SCHEDULED'), 'PAUSE')).toMatchObject({ ok: false });
  });
});
