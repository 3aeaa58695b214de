import type { Logger } from 'pino';
import { errorText } from './error-text.ts';

/** How often the sweeps run by default: a quarter of a confirmation's time to live, at most every 2 s. */
export function sweepEvery(ttlMs: number): number {
  return Math.min(2_000, ttlMs / 4);
}

/** How a sweep loop goes: `started` once when it starts, then `ok` or `failed` after each round. */
export type SweepOutcome = 'started' | 'ok' | 'failed';

export interface Sweeps {
  /** Stops the loops: no round starts after this; resolves once the rounds under way have finished. */
  stop(): Promise<void>;
}

/**
 * Runs each sweep in a loop of its own, one round at a time: the next round starts `everyMs` after the last one
 * finished, never beside it (a slow round — Redis slow, a big backlog — delays the next instead of piling up
 * rounds that each hold what they read). A round that throws is logged; the loop goes on. `onRound` hears of
 * each loop's start and each round's end (the metrics: a sweep that stops finishing rounds is behind).
 */
export function startSweeps(
  sweeps: Record<string, () => Promise<unknown>>,
  options: { everyMs: number; log: Logger; onRound?: (sweep: string, outcome: SweepOutcome) => void },
): Sweeps {
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  const loop = (name: string, sweep: () => Promise<unknown>) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (stopped) return;
      const round = sweep()
        .then(
          () => options.onRound?.(name, 'ok'),
          (error: unknown) => {
            options.log.error({ sweep: name, err: errorText(error) }, 'sweep failed');
            options.onRound?.(name, 'failed');
          },
        )
        .finally(() => {
          running.delete(round);
          if (!stopped) loop(name, sweep);
        });
      running.add(round);
    }, options.everyMs);
    timer.unref();
    timers.add(timer);
  };
  for (const [name, sweep] of Object.entries(sweeps)) {
    options.onRound?.(name, 'started');
    loop(name, sweep);
  }
  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all([...running]);
    },
  };
}
