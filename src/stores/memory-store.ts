import {
  approveTransition,
  type CampaignActionRequest,
  decideTransition,
  keepUntilOf,
  type RequestStore,
  runDueOf,
} from '../core/store.ts';

/**
 * The embedded, single-process store. Each method runs without an await between its read and its write, so
 * `decide` is atomic on Node's one thread. Decided requests are kept for `retainMs` so late clicks still get a
 * precise answer ("already confirmed by …"), then dropped.
 */
export function createMemoryStore(options: { retainMs?: number; now?: () => number } = {}): RequestStore {
  const retainMs = options.retainMs ?? 24 * 3_600_000;
  const now = options.now ?? Date.now;
  const requests = new Map<string, CampaignActionRequest>();
  const held = new Map<string, string>();

  // Pruning scans every request: do it at most once per min(retainMs, 1 min), not on every create (a burst of
  // commands); a decided request is still forgotten within retainMs of its time, plus that interval.
  const pruneEveryMs = Math.min(retainMs, 60_000);
  let prunedAt = Number.NEGATIVE_INFINITY;
  const prune = () => {
    if (now() - prunedAt < pruneEveryMs) return;
    prunedAt = now();
    const cutoff = now() - retainMs;
    for (const [id, r] of requests)
      if (
        r.state !== 'pending' &&
        runDueOf(r) === undefined &&
        (keepUntilOf(r) ?? 0) < cutoff &&
        (r.decidedAt ?? 0) < cutoff
      )
        requests.delete(id);
  };

  return {
    async create(request) {
      prune();
      if (requests.has(request.id)) throw new Error(`request ${request.id} already exists`);
      requests.set(request.id, { ...request });
    },
    async get(id) {
      const r = requests.get(id);
      return r ? structuredClone(r) : undefined;
    },
    async setMessageTs(id, ts) {
      const r = requests.get(id);
      if (r) r.messageTs = ts;
    },
    async decide(id, to, by, at) {
      const current = requests.get(id);
      if (!current) return { ok: false, reason: 'not_found' };
      const result = decideTransition(current, to, by, at);
      if (result.ok) requests.set(id, result.request);
      return result.ok ? { ok: true, request: structuredClone(result.request) } : result;
    },
    async approve(id, approval) {
      const current = requests.get(id);
      if (!current) return { ok: false, reason: 'not_found' };
      const result = approveTransition(current, structuredClone(approval));
      if (result.ok) requests.set(id, result.request);
      return result.ok ? { ...result, request: structuredClone(result.request) } : result;
    },
    async update(id, step) {
      const current = requests.get(id);
      if (!current) return undefined;
      const { next, value } = step(structuredClone(current));
      if (next) requests.set(id, structuredClone(next));
      return { value, request: structuredClone(next ?? current) };
    },
    async runsDue(at) {
      return [...requests.values()]
        .filter((r) => (runDueOf(r) ?? Number.POSITIVE_INFINITY) <= at)
        .map((r) => r.id);
    },
    async hold(key, requestId) {
      const holder = held.get(key);
      if (holder !== undefined) return holder;
      held.set(key, requestId);
      return undefined;
    },
    async release(key, requestId) {
      if (held.get(key) !== requestId) return false;
      held.delete(key);
      return true;
    },
    async holders() {
      return new Map(held);
    },
    async dueForExpiry(at, page) {
      const due = [...requests.values()]
        .filter((r) => r.state === 'pending' && r.expiresAt <= at)
        .sort((a, b) => a.expiresAt - b.expiresAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const from = page?.offset ?? 0;
      return due.slice(from, page ? from + page.limit : undefined).map((r) => structuredClone(r));
    },
  };
}
