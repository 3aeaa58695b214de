import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/core/audit.ts';
import { bufferedAuditAppend } from '../../../src/lifecycle/audit-buffer.ts';
import type { AuditTrail } from '../../../src/stores/audit-trail.ts';

/** A trail behind a switch: while down, every append fails as a cut Redis connection does. */
function switchableTrail() {
  const kept: { event: AuditEvent; at: number }[] = [];
  const state = { down: false, attempts: 0 };
  const trail: AuditTrail = {
    async append(event, at) {
      state.attempts += 1;
      if (state.down) throw new Error('Connection is closed.');
      kept.push({ event, at });
    },
    recent: async () => {
      throw new Error('recent was not expected');
    },
    since: async () => {
      throw new Error('since was not expected');
    },
    page: async () => {
      throw new Error('page was not expected');
    },
  };
  return { trail, kept, state };
}

const event = (n: number) => ({ event: 'executed', requestId: `r${n}` }) as unknown as AuditEvent;

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the audit trail through a store outage', () => {
  it('keeps the events the store could not take and appends them, in order and with their own time, once it answers', async () => {
    const { trail, kept, state } = switchableTrail();
    const append = bufferedAuditAppend(trail, { log: pino({ level: 'silent' }), retryMs: 5, maxRetryMs: 20 });
    append(event(1), 1);
    await until(() => kept.length === 1);
    state.down = true;
    append(event(2), 2);
    append(event(3), 3);
    await until(() => state.attempts >= 4);
    expect(kept).toHaveLength(1);
    state.down = false;
    append(event(4), 4);
    await until(() => kept.length === 4);
    expect(kept.map((k) => k.at)).toEqual([1, 2, 3, 4]);
  });

  it('drops the oldest past its bound while the store is away, and says so', async () => {
    const { trail, kept, state } = switchableTrail();
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => lines.push(l) });
    state.down = true;
    const append = bufferedAuditAppend(trail, { log, max: 2, retryMs: 5, maxRetryMs: 20 });
    for (let n = 1; n <= 4; n++) append(event(n), n);
    state.down = false;
    await until(() => kept.length === 2);
    // The oldest two were dropped to keep the bound; the newest wait and are appended.
    expect(kept.map((k) => k.at)).toEqual([3, 4]);
    expect(lines.some((l) => /events dropped/.test(l))).toBe(true);
  });
});
