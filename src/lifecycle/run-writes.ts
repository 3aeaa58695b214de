import type { Logger } from 'pino';
import type { CampaignActionRequest } from '../core/request.ts';
import type { RunStep } from '../core/run-journal.ts';
import type { RequestStore, Updated } from '../core/store.ts';
import { errorText } from './error-text.ts';

/**
 * The writes of a run, made to outlast the store going away under it. A runner knows things the store must
 * learn (MoEngage's answers, which chunk it is about to send), and losing them would turn into a lie in the
 * thread ("failed" for an id MoEngage applied) or a second send. So each write:
 * - waits out a store that cannot take it (Redis cut or failing over, a full disk): retried with capped backoff
 *   until it lands or the runner is stopped, never reported as a failure of the campaigns;
 * - keeps the runner's copy of the request as of its last write; when the record has vanished (Redis restarted
 *   empty, a flush), it is written back from that copy with the step applied, so the run still finishes and is
 *   reported by the replica that ran it.
 * The journal's steps are pure and re-applied to whatever the store holds, so a write that lands late (after a
 * takeover) is judged against the newest record: outcomes are facts and are kept; a send or renewal by a runner
 * whose lease was taken is refused (fencing, see run-journal.ts).
 */
export interface RunWrites {
  /** Like `store.update`; undefined only when the request is unknown to both the store and this runner. */
  update<T>(id: string, step: (r: CampaignActionRequest) => RunStep<T>): Promise<Updated<T> | undefined>;
  /** The runner's copy of a request it runs (kept while it runs it: `track`, then `forget`). */
  track(request: CampaignActionRequest): void;
  forget(id: string): void;
  /** Writes waiting on the store now (for readiness and the metrics). */
  waiting(): number;
}

export interface RunWritesOptions {
  store: Pick<RequestStore, 'update' | 'create'>;
  log: Logger;
  /** Aborted on shutdown: a write still waiting then gives up (throws), with what it held logged. */
  signal: AbortSignal;
  /** First wait after a failed write, doubled up to `maxDelayMs` (default 100 ms → 2 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called when a write had to wait and has now landed: how long the store was away for it. */
  onRecovered?: (ms: number) => void;
}

export function createRunWrites(options: RunWritesOptions): RunWrites {
  const { store, log, signal } = options;
  const base = options.baseDelayMs ?? 100;
  const cap = options.maxDelayMs ?? 2_000;
  const known = new Map<string, CampaignActionRequest>();
  let waiting = 0;

  async function update<T>(
    id: string,
    step: (r: CampaignActionRequest) => RunStep<T>,
  ): Promise<Updated<T> | undefined> {
    let failedSince: number | undefined;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const updated = await store.update(id, step);
          const result = updated ?? (await writeBack(id, step));
          if (result && known.has(id)) known.set(id, result.request);
          if (failedSince !== undefined) {
            const ms = Date.now() - failedSince;
            log.info({ requestId: id, waitedMs: ms }, 'run record written after the store came back');
            options.onRecovered?.(ms);
          }
          return result;
        } catch (error) {
          const err = errorText(error);
          if (failedSince === undefined) {
            failedSince = Date.now();
            waiting += 1;
            log.warn(
              { requestId: id, err },
              'run record not written: the store is unavailable; waiting for it (nothing more is sent meanwhile)',
            );
          }
          if (signal.aborted)
            throw new Error(`the store stayed unavailable until shutdown (${err})`, { cause: error });
          await pause(Math.min(cap, base * 2 ** Math.min(attempt, 16)), signal);
        }
      }
    } finally {
      if (failedSince !== undefined) waiting -= 1;
    }
  }

  /** The record vanished: written back from this runner's copy, with the step applied. */
  async function writeBack<T>(
    id: string,
    step: (r: CampaignActionRequest) => RunStep<T>,
  ): Promise<Updated<T> | undefined> {
    const copy = known.get(id);
    if (!copy) return undefined;
    const { next, value } = step(copy);
    const restored = next ?? copy;
    // Another writer may have written it back first: then the step is applied to theirs (the caller's loop).
    await store.create(restored);
    log.warn(
      { requestId: id },
      "the run's record had vanished from the store (restarted empty?): written back from this runner's copy",
    );
    return { value, request: restored };
  }

  return {
    update,
    track: (request) => {
      known.set(request.id, request);
    },
    forget: (id) => {
      known.delete(id);
    },
    waiting: () => waiting,
  };
}

/** Waits `ms`, or less when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
