import type { Redis } from 'ioredis';
import type { AuditEvent } from '../core/audit.ts';
import type { AuditTrail } from '../core/ports.ts';
import type { Sqlite } from './sqlite.ts';

export type { AuditPage, AuditTrail } from '../core/ports.ts';

/** The embedded database's trail: one row per event, kept `retainDays` (default 90). */
export function createSqliteAuditTrail(sqlite: Sqlite, options: { retainDays?: number } = {}): AuditTrail {
  const retainMs = (options.retainDays ?? 90) * 86_400_000;
  const insert = sqlite.db.prepare('INSERT INTO audit (at, event, request_id, json) VALUES (?, ?, ?, ?)');
  const prune = sqlite.db.prepare('DELETE FROM audit WHERE at < ?');
  const recent = sqlite.db.prepare(
    'SELECT at, json FROM (SELECT id, at, json FROM audit ORDER BY id DESC LIMIT ?) ORDER BY id',
  );
  const since = sqlite.db.prepare('SELECT at, json FROM audit WHERE at >= ? ORDER BY id LIMIT ?');
  const page = sqlite.db.prepare(
    'SELECT id, at, json FROM audit WHERE at >= ? AND id > ? ORDER BY id LIMIT ?',
  );
  let prunedAt = Number.NEGATIVE_INFINITY;
  return {
    async append(event, at) {
      if (at - prunedAt > 3_600_000) {
        prunedAt = at;
        prune.run(at - retainMs);
      }
      const requestId = 'requestId' in event ? (event.requestId ?? null) : null;
      insert.run(at, event.event, requestId, JSON.stringify(event));
    },
    async recent(limit) {
      return (recent.all(limit) as { at: number; json: string }[]).map((r) => ({
        ...JSON.parse(r.json),
        at: r.at,
      }));
    },
    async since(sinceMs, limit) {
      return (since.all(sinceMs, limit) as { at: number; json: string }[]).map((r) => ({
        ...JSON.parse(r.json),
        at: r.at,
      }));
    },
    async page(sinceMs, after, limit) {
      const rows = page.all(sinceMs, Number(after ?? 0), limit) as { id: number; at: number; json: string }[];
      return {
        events: rows.map((r) => ({ ...JSON.parse(r.json), at: r.at })),
        next: rows.length === limit ? String(rows.at(-1)?.id) : undefined,
      };
    },
  };
}

function parse([, fields]: [string, string[]]): AuditEvent & { at: number } {
  const get = (name: string) => fields[fields.indexOf(name) + 1] ?? '';
  return { ...(JSON.parse(get('json')) as AuditEvent), at: Number(get('at')) };
}

/** Redis's trail: a stream every replica appends to, capped near `maxLength` events (default 100,000). */
export function createRedisAuditTrail(
  redis: Redis,
  keyPrefix: string,
  options: { maxLength?: number; retainDays?: number } = {},
): AuditTrail {
  const key = `${keyPrefix}audit`;
  const maxLength = options.maxLength ?? 100_000;
  const retainMs = (options.retainDays ?? 90) * 86_400_000;
  let trimmedAt = Number.NEGATIVE_INFINITY;
  return {
    async append(event, at) {
      await redis.xadd(
        key,
        'MAXLEN',
        '~',
        String(maxLength),
        '*',
        'at',
        String(at),
        'json',
        JSON.stringify(event),
      );
      // Kept AUDIT_RETENTION_DAYS (stream ids are append times), trimmed at most once an hour, after the append:
      // a trim that fails (Redis before 6.2 has no MINID) never costs the event.
      if (at - trimmedAt > 3_600_000) {
        trimmedAt = at;
        await redis
          .xtrim(key, 'MINID', '~', `${Math.max(0, Math.floor(at - retainMs))}-0`)
          .catch(() => undefined);
      }
    },
    async recent(limit) {
      const entries = await redis.xrevrange(key, '+', '-', 'COUNT', limit);
      return entries.reverse().map(parse);
    },
    async since(sinceMs, limit) {
      // Stream ids are the append time in ms: the range starts at the window.
      const entries = await redis.xrange(key, `${Math.max(0, Math.floor(sinceMs))}-0`, '+', 'COUNT', limit);
      return entries.map(parse).filter((e) => e.at >= sinceMs);
    },
    async page(sinceMs, after, limit) {
      // Just after the last entry read (`ms-seq` plus one: older Redis has no exclusive range), else the window.
      const [ms, seq] = (after ?? '').split('-');
      const start = after ? `${ms}-${BigInt(seq ?? '0') + 1n}` : `${Math.max(0, Math.floor(sinceMs))}-0`;
      const entries = await redis.xrange(key, start, '+', 'COUNT', limit);
      return {
        events: entries.map(parse).filter((e) => e.at >= sinceMs),
        next: entries.length === limit ? entries.at(-1)?.[0] : undefined,
      };
    },
  };
}
