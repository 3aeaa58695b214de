import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { inFlight } from '../../../src/lifecycle/in-flight.ts';
import { startSweeps } from '../../../src/lifecycle/sweeps.ts';

const silent = pino({ level: 'silent' });

/** Polls until `ok` holds, failing after `ms` (no sleeps racing the work). */
async function until(ok: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the sweeps', () => {
  it('runs one round at a time: a slow round delays the next instead of running beside it', async () => {
    let running = 0;
    let most = 0;
    let rounds = 0;
    let release: () => void = () => {};
    const sweeps = startSweeps(
      {
        expiry: async () => {
          running += 1;
          most = Math.max(most, running);
          rounds += 1;
          // The first round hangs (a backlog, a slow store) until released.
          if (rounds === 1) await new Promise<void>((r) => (release = r));
          running -= 1;
        },
      },
      { everyMs: 1, log: silent },
    );
    await until(() => rounds === 1);
    // Many ticks of the interval pass while the first round hangs: no second round starts.
    await new Promise((r) => setTimeout(r, 50));
    expect(rounds).toBe(1);
    release();
    await until(() => rounds >= 3);
    await sweeps.stop();
    expect(most).toBe(1);
  });

  it('goes on after a round that throws, and stop waits for the round under way', async () => {
    let rounds = 0;
    let finished = false;
    const sweeps = startSweeps(
      {
        reminders: async () => {
          rounds += 1;
          if (rounds === 1) throw new Error('store down');
          await new Promise((r) => setTimeout(r, 30));
          finished = true;
        },
      },
      { everyMs: 1, log: silent },
    );
    await until(() => rounds >= 2);
    await sweeps.stop();
    expect(finished).toBe(true);
    const after = rounds;
    await new Promise((r) => setTimeout(r, 20));
    expect(rounds).toBe(after);
  });
});

describe('work in flight', () => {
  it('counts what was started and not finished, failures included, up to its bound', async () => {
    const bound = inFlight(2);
    const gates: (() => void)[] = [];
    const task = (fail: boolean) => () =>
      new Promise<void>((resolve, reject) => gates.push(() => (fail ? reject(new Error('x')) : resolve())));
    bound.start(task(false));
    expect(bound.full()).toBe(false);
    bound.start(task(true));
    expect(bound.full()).toBe(true);
    for (const open of gates) open();
    await until(() => bound.count() === 0);
    expect(bound.full()).toBe(false);
  });

  it('tells of each loop starting and of each round ending well or badly (the metrics)', async () => {
    const heard: string[] = [];
    let rounds = 0;
    const sweeps = startSweeps(
      {
        expiry: async () => undefined,
        resume: async () => {
          rounds += 1;
          throw new Error('store unavailable');
        },
      },
      { everyMs: 1, log: silent, onRound: (sweep, outcome) => heard.push(`${sweep} ${outcome}`) },
    );
    expect(heard).toEqual(['expiry started', 'resume started']);
    await until(() => heard.includes('expiry ok') && heard.includes('resume failed'));
    await sweeps.stop();
    expect(heard).not.toContain('resume ok');
    expect(heard).not.toContain('expiry failed');
    expect(rounds).toBeGreaterThanOrEqual(1);
  });
});
