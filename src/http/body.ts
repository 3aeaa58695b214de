import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** What the server answers instead of handing a body over; the connection is closed after it. */
export interface Refusal {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type BodyOutcome =
  | { ok: true; body: Buffer }
  | { ok: false; refusal: Refusal }
  /** The client went away (or its connection was shed): there is no one to answer. */
  | { ok: false; aborted: true };

interface Holder {
  evict(): void;
}

/**
 * The bytes buffered across every unfinished body, bounded whatever the number of connections. When a chunk
 * would pass the bound, a small body (what Slack sends) makes the oldest unfinished body give way (503), so a
 * flood of stalled uploads cannot lock Slack out; a large one is refused itself, so a flood of large bodies is
 * turned away, before it is read when its size is known not to fit, rather than read only to be evicted.
 */
export function createBodyBudget(limit: number) {
  // Insertion order is the order the bodies started: the first key is the oldest.
  const held = new Map<Holder, number>();
  let used = 0;
  const release = (holder: Holder) => {
    used -= held.get(holder) ?? 0;
    held.delete(holder);
  };
  return {
    join(holder: Holder): void {
      held.set(holder, 0);
    },
    /** Reserves `bytes` for `holder`, evicting older holders if it `mayEvict`; false if `holder` must give way. */
    take(holder: Holder, bytes: number, mayEvict: boolean): boolean {
      while (used + bytes > limit) {
        const oldest = held.keys().next().value;
        if (!mayEvict || oldest === undefined || oldest === holder) return false;
        release(oldest);
        oldest.evict();
      }
      held.set(holder, (held.get(holder) ?? 0) + bytes);
      used += bytes;
      return true;
    },
    release,
    fits: (bytes: number) => used + bytes <= limit,
    used: () => used,
  };
}

export type BodyBudget = ReturnType<typeof createBodyBudget>;

export const tooLarge = (limit: number): Refusal => ({
  status: 413,
  body: { error: { code: 'too_large', message: `the body may be at most ${limit} bytes` } },
});

const busy: Refusal = {
  status: 503,
  headers: { 'retry-after': '1' },
  body: { error: { code: 'busy', message: 'too many request bodies in flight; retry shortly' } },
};

/** The declared Content-Length, or undefined for a chunked (or bodiless) request. */
export function declaredLength(headers: IncomingHttpHeaders): number | undefined {
  const value = headers['content-length'];
  return value === undefined ? undefined : Number(value);
}

/**
 * Reads a request body, counting while reading: a declared length over `limit` is refused before a byte is
 * read, a chunked body as soon as it passes `limit`, and every chunk is charged to the shared `budget`. Only a
 * body that declares at most `smallBody` bytes may evict others from the budget; a chunked one never does.
 */
export function readBody(
  req: IncomingMessage,
  limits: { limit: number; smallBody: number },
  budget: BodyBudget,
): Promise<BodyOutcome> {
  const { limit } = limits;
  const declared = declaredLength(req.headers);
  if (declared !== undefined && declared > limit) {
    return Promise.resolve({ ok: false, refusal: tooLarge(limit) });
  }
  const small = declared !== undefined && declared <= limits.smallBody;
  // A chunked body is taken to be as large as the route allows.
  if (!small && !budget.fits(declared ?? limit)) return Promise.resolve({ ok: false, refusal: busy });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const holder: Holder = { evict: () => finish({ ok: false, refusal: busy }) };
    const finish = (outcome: BodyOutcome) => {
      if (done) return;
      done = true;
      budget.release(holder);
      req.off('data', onData).off('end', onEnd).off('close', onGone).off('error', onGone);
      // Stop pulling bytes that will not be used; the server closes the connection after answering.
      if (!outcome.ok) req.pause();
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return finish({ ok: false, refusal: tooLarge(limit) });
      if (!budget.take(holder, chunk.length, small)) return finish({ ok: false, refusal: busy });
      chunks.push(chunk);
    };
    const onEnd = () => finish({ ok: true, body: Buffer.concat(chunks, size) });
    const onGone = () => finish({ ok: false, aborted: true });
    budget.join(holder);
    req.on('data', onData).once('end', onEnd).once('close', onGone).once('error', onGone);
  });
}
