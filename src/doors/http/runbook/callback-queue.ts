/**
 * The callbacks waiting to be sent, and how many are sent at once: at most `maxInFlight` in all and `perToken`
 * per runbook token, the tokens served in turn, so one token's burst cannot take every slot. Past those a callback
 * waits its turn; only when its token's own queue holds `maxQueuedPerToken` is it refused, so a token can crowd
 * out no one's callbacks but its own.
 */
export interface CallbackQueueLimits {
  maxInFlight: number;
  perToken: number;
  maxQueuedPerToken: number;
}

export const DEFAULT_CALLBACK_QUEUE: CallbackQueueLimits = {
  maxInFlight: 50,
  perToken: 10,
  maxQueuedPerToken: 500,
};

interface Lane {
  waiting: (() => Promise<void>)[];
  inFlight: number;
  /** When it was last given a slot (a count): the lane served longest ago goes next. */
  servedAt: number;
}

export function createCallbackQueue(limits: CallbackQueueLimits = DEFAULT_CALLBACK_QUEUE) {
  const lanes = new Map<string, Lane>();
  let inFlight = 0;
  let served = 0;

  const next = (): [string, Lane] | undefined => {
    let found: [string, Lane] | undefined;
    for (const entry of lanes) {
      const lane = entry[1];
      if (lane.waiting.length === 0 || lane.inFlight >= limits.perToken) continue;
      if (!found || lane.servedAt < found[1].servedAt) found = entry;
    }
    return found;
  };

  function pump(): void {
    while (inFlight < limits.maxInFlight) {
      const found = next();
      if (!found) return;
      const [token, lane] = found;
      const job = lane.waiting.shift() as () => Promise<void>;
      served += 1;
      lane.servedAt = served;
      lane.inFlight += 1;
      inFlight += 1;
      void job()
        .catch(() => {})
        .finally(() => {
          lane.inFlight -= 1;
          inFlight -= 1;
          if (lane.inFlight === 0 && lane.waiting.length === 0 && lanes.get(token) === lane)
            lanes.delete(token);
          pump();
        });
    }
  }

  return {
    /** Queues `job` for `token`; false (and not queued) when that token's queue is full. */
    push(token: string, job: () => Promise<void>): boolean {
      const lane = lanes.get(token) ?? { waiting: [], inFlight: 0, servedAt: 0 };
      if (lane.waiting.length >= limits.maxQueuedPerToken) return false;
      lane.waiting.push(job);
      if (!lanes.has(token)) lanes.set(token, lane);
      pump();
      return true;
    },
    stats: () => ({
      inFlight,
      queued: [...lanes.values()].reduce((n, l) => n + l.waiting.length, 0),
    }),
  };
}
