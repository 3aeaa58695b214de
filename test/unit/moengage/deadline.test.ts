import { describe, expect, it } from 'vitest';
import {
  AdaptiveDeadline,
  afterAnswer,
  afterTimeout,
  deadlineOf,
  deadlineSettings,
  NO_ANSWERS_YET,
} from '../../../src/moengage/deadline.ts';

const settings = deadlineSettings(10_000);

describe('the adaptive deadline of a MoEngage send', () => {
  it('starts at the configured floor and stays there while MoEngage answers fast', () => {
    const d = new AdaptiveDeadline(settings);
    expect(d.ms).toBe(10_000);
    for (let i = 0; i < 50; i++) d.answered(200 + (i % 5) * 50);
    expect(d.ms).toBe(10_000);
  });

  it('grows past an 11 s answer after one lost answer, and stays above it while the answers stay slow', () => {
    const d = new AdaptiveDeadline(settings);
    d.timedOut(10_000);
    expect(d.ms).toBe(20_000);
    // Answers of 11–12 s from now on: every deadline after them stays well above 12 s.
    const seen: number[] = [];
    for (let i = 0; i < 40; i++) {
      d.answered(11_000 + (i % 3) * 500);
      seen.push(d.ms);
    }
    expect(Math.min(...seen)).toBeGreaterThan(20_000);
    expect(Math.max(...seen)).toBeLessThanOrEqual(60_000);
  });

  it('doubles once for sends lost together, not once per send', () => {
    let t = NO_ANSWERS_YET;
    for (let i = 0; i < 10; i++) t = afterTimeout(t, 10_000, settings);
    expect(deadlineOf(t, settings)).toBe(20_000);
    // A send that had the new deadline and was lost too doubles it again.
    t = afterTimeout(t, 20_000, settings);
    expect(deadlineOf(t, settings)).toBe(40_000);
  });

  it('never goes above the cap, however often answers are lost or however slow they were', () => {
    let t = NO_ANSWERS_YET;
    for (let used = 10_000; used < 1_000_000; used *= 2) t = afterTimeout(t, used, settings);
    expect(deadlineOf(t, settings)).toBe(60_000);
    expect(deadlineOf(afterAnswer(NO_ANSWERS_YET, 45_000), settings)).toBe(60_000);
  });

  it('comes back down to the floor once MoEngage is fast again', () => {
    const d = new AdaptiveDeadline(settings);
    d.timedOut(10_000);
    for (let i = 0; i < 5; i++) d.answered(11_000);
    expect(d.ms).toBeGreaterThan(20_000);
    for (let i = 0; i < 60; i++) d.answered(200);
    expect(d.ms).toBe(10_000);
  });

  it('ends the backoff at the next answer', () => {
    let t = afterTimeout(NO_ANSWERS_YET, 10_000, settings);
    t = afterTimeout(t, 20_000, settings);
    expect(t.backoff).toBe(4);
    expect(afterAnswer(t, 300).backoff).toBe(1);
  });
});
