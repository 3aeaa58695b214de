import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/core/audit.ts';
import { createAuditExport, EXPORT_PAGE, exportSlots } from '../../src/doors/http/audit/export.ts';
import type { RunbookAuth } from '../../src/doors/http/kit/tokens.ts';
import type { BufferedRequest } from '../../src/http/routes.ts';
import type { AuditPage, AuditTrail } from '../../src/stores/audit-trail.ts';

/**
 * The audit export's bounds: at most two exports at once, one per token (more are answered 429 with
 * Retry-After), and the trail read in pages, never in one answer of up to 100,000 events.
 */
const NOW = 1_800_000_000_000;
const event = (i: number) =>
  ({
    event: 'requested',
    requestId: `r${i}`,
    action: 'PAUSE',
    channel: 'C1',
    user: 'UALICE',
    requestedBy: 'UALICE',
    campaignIds: ['c1'],
    source: 'slash_command',
    at: NOW - 1_000,
  }) as unknown as AuditEvent & { at: number };

/** A trail of `size` events whose reads wait for `open()` while `held`; every page asked is recorded. */
function slowTrail(size: number) {
  const asked: number[] = [];
  let held = false;
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  const trail: AuditTrail = {
    append: async () => {
      throw new Error('append was not expected');
    },
    recent: async () => {
      throw new Error('recent was not expected');
    },
    since: async () => {
      throw new Error('since was not expected: the export reads in pages');
    },
    async page(_since, after, limit): Promise<AuditPage> {
      asked.push(limit);
      if (held) await gate;
      const start = Number(after ?? 0);
      const end = Math.min(size, start + limit);
      const events = Array.from({ length: end - start }, (_, k) => event(start + k));
      return { events, next: end < size && events.length === limit ? String(end) : undefined };
    },
  };
  return {
    trail,
    asked,
    hold() {
      held = true;
      gate = new Promise((r) => {
        release = r;
      });
    },
    open() {
      held = false;
      release();
    },
  };
}

const auth = {
  async authenticate(headers: Record<string, string | string[] | undefined>) {
    const name = String(headers.authorization ?? '').replace('Bearer ', '');
    return name ? { ok: true, principal: { name } } : { ok: false, message: 'no token' };
  },
} as unknown as RunbookAuth;

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  if (s) await new Promise((r) => s.close(r));
  server = undefined;
});

async function serve(trail: AuditTrail) {
  const handler = createAuditExport({
    auth,
    readers: new Set(['a', 'b', 'c']),
    trail,
    retentionDays: 90,
    logger: pino({ level: 'silent' }),
    now: () => NOW,
  });
  server = createServer((req, res) => void handler(req as BufferedRequest, res));
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return async (token: string, accept = 'application/json') => {
    const res = await request(`http://127.0.0.1:${port}/api/v1/audit?since=1d`, {
      headers: { authorization: `Bearer ${token}`, accept },
    });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };
}

describe('the audit export’s bounds', () => {
  it('counts slots in all and per token, and gives each back once', () => {
    const slots = exportSlots({ total: 2, perToken: 1 });
    const a = slots.take('a');
    expect(a).toBeDefined();
    expect(slots.take('a')).toBeUndefined();
    const b = slots.take('b');
    expect(slots.take('c')).toBeUndefined();
    a?.();
    a?.();
    expect(slots.take('a')).toBeDefined();
    expect(slots.take('c')).toBeUndefined();
    b?.();
    expect(slots.take('c')).toBeDefined();
  });

  it('answers 429 with Retry-After to a second export of one token, and to a third in all, while two run', async () => {
    const t = slowTrail(10);
    const get = await serve(t.trail);
    t.hold();
    const first = get('a');
    const second = get('b');
    const waitFor = async (ok: () => boolean) => {
      const until = Date.now() + 10_000;
      while (!ok()) {
        if (Date.now() > until) throw new Error('condition not met');
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    // Both are reading (held in the trail) before the others come.
    await waitFor(() => t.asked.length === 2);
    const again = await get('a');
    expect(again.status).toBe(429);
    expect(again.headers['retry-after']).toBe('10');
    expect(JSON.parse(again.text).error.code).toBe('too_many_exports');
    expect((await get('c')).status).toBe(429);
    t.open();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    // Slots given back: the next export runs.
    const after = await get('c');
    expect(after.status).toBe(200);
    expect(JSON.parse(after.text).requests).toHaveLength(10);
  });

  it('reads the trail in pages of at most EXPORT_PAGE, and writes every request, in JSON and CSV', async () => {
    const size = EXPORT_PAGE * 2 + 123;
    const t = slowTrail(size);
    const get = await serve(t.trail);
    const json = await get('a');
    expect(json.status).toBe(200);
    const body = JSON.parse(json.text);
    expect(body.truncated).toBe(false);
    expect(body.requests).toHaveLength(size);
    expect(t.asked).toEqual([EXPORT_PAGE, EXPORT_PAGE, EXPORT_PAGE]);
    const csv = await get('a', 'text/csv');
    expect(csv.text.split('\r\n').filter(Boolean)).toHaveLength(size + 1);
  });
});
