import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Notifier } from '../../../src/core/notifier.ts';
import type { RequestStore } from '../../../src/core/store.ts';
import type { CampaignExecutor } from '../../../src/lifecycle/execution-deps.ts';
import { createLifecycle } from '../../../src/lifecycle/lifecycle.ts';
import { strict } from '../../support/strict.ts';

/** Polls until `ok` holds, failing after `ms`. */
async function until(ok: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A lifecycle over a store that has nothing due: only the sweeps' reads are expected of it. */
function setup(exclusiveStore: boolean) {
  const asked = { runsDue: [] as number[], dueForExpiry: 0 };
  const store = strict<RequestStore>('store', {
    runsDue: async (at) => {
      asked.runsDue.push(at);
      return [];
    },
    dueForExpiry: async () => {
      asked.dueForExpiry += 1;
      return [];
    },
  });
  const lifecycle = createLifecycle({
    store,
    moengage: strict<CampaignExecutor>('moengage', { chunkSize: 10 }),
    notifier: strict<Notifier>('notifier', {}),
    authorize: async () => {
      throw new Error('authorize was not expected');
    },
    groups: new Map(),
    proposalRules: { maxIds: 100 },
    ttlMs: 60_000,
    logger: pino({ level: 'silent' }),
    now: () => 1_000,
    sweepMs: 5,
    exclusiveStore,
  });
  return { lifecycle, asked };
}

describe('the lifecycle starts and stops its sweeps', () => {
  it('takes over a store of its own at once, then sweeps expiry, runs and reminders every sweepMs', async () => {
    const { lifecycle, asked } = setup(true);
    lifecycle.start();
    // A second start is the same start: no second set of sweeps, no second takeover.
    lifecycle.start();
    // At once, before any sweep: every unfinished run of a store no one else uses, whatever its lease says.
    expect(asked.runsDue).toEqual([Number.POSITIVE_INFINITY]);
    // Expiry and reminders both read the requests due; the resume sweep the runs whose lease has lapsed.
    await until(() => asked.dueForExpiry >= 4 && asked.runsDue.length >= 3);
    expect(asked.runsDue.slice(1).every((at) => at === 1_000)).toBe(true);
    await lifecycle.stop();
    const after = { runs: asked.runsDue.length, expiry: asked.dueForExpiry };
    // Many sweep periods pass after the stop: no round starts.
    await new Promise((r) => setTimeout(r, 50));
    expect({ runs: asked.runsDue.length, expiry: asked.dueForExpiry }).toEqual(after);
  });

  it('on a shared store, takes over at start only the runs whose lease has lapsed', async () => {
    const { lifecycle, asked } = setup(false);
    lifecycle.start();
    expect(asked.runsDue).toEqual([1_000]);
    await lifecycle.stop();
  });
});
