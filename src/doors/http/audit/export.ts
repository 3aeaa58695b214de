import type { Logger } from 'pino';
import { type HistoryEntry, historyOf, parseSince } from '../../../core/history.ts';
import type { AuditTrail } from '../../../core/ports.ts';
import { sendJson } from '../../../http/reply.ts';
import type { BufferedRequest } from '../../../http/routes.ts';
import type { RunbookAuth } from '../kit/tokens.ts';

export const AUDIT_PATH = '/api/v1/audit';
/** How many events one export reads at most; past that it says `truncated`. */
const EVENTS_READ = 100_000;
/** Read in pages this size (no one large answer from Redis or SQLite), yielding to other work between them. */
export const EXPORT_PAGE = 5_000;
/** Exports at once, in all and per token: each may hold up to EVENTS_READ events; more are answered 429. */
export const EXPORT_LIMITS = { total: 2, perToken: 1 };
/** What a 429 tells the caller to wait (an export of a full trail takes a few seconds). */
const RETRY_AFTER_S = 10;

export interface AuditExportDeps {
  auth: RunbookAuth;
  /** The token names granted `read_audit` in RUNBOOK_TOKENS. */
  readers: ReadonlySet<string>;
  trail: AuditTrail | undefined;
  /** AUDIT_RETENTION_DAYS: how far back the trail goes. */
  retentionDays: number;
  logger: Logger;
  now?: () => number;
  /** Exports in flight at once (EXPORT_LIMITS by default). */
  limits?: { total: number; perToken: number };
}

/** Who is exporting now: a slot per export, at most `total` in all and `perToken` for one token. */
export function exportSlots(limits: { total: number; perToken: number }) {
  const byToken = new Map<string, number>();
  let inAll = 0;
  return {
    /** A release function, or undefined when the export must wait. */
    take(token: string): (() => void) | undefined {
      const mine = byToken.get(token) ?? 0;
      if (inAll >= limits.total || mine >= limits.perToken) return undefined;
      inAll += 1;
      byToken.set(token, mine + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inAll -= 1;
        const left = (byToken.get(token) ?? 1) - 1;
        if (left > 0) byToken.set(token, left);
        else byToken.delete(token);
      };
    },
  };
}

/**
 * `GET /api/v1/audit?since=7d&until=…&campaign_id=…`: the requests of the audit trail (who requested, approved
 * and ran what, how it ended), as JSON or, with `Accept: text/csv`, as CSV. The same entries `/campaign history`
 * shows. For tokens granted `read_audit` only; the trail never holds a secret.
 */
export function createAuditExport(deps: AuditExportDeps) {
  const audit = deps.logger.child({ module: 'audit' });
  const now = deps.now ?? Date.now;
  const slots = exportSlots(deps.limits ?? EXPORT_LIMITS);
  return async function auditExport(req: BufferedRequest, res: import('node:http').ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const who = await deps.auth.authenticate(req.headers, '', 'GET', AUDIT_PATH);
    if (!who.ok) return problem(req, res, 401, 'unauthorized', who.message);
    if (!deps.readers.has(who.principal.name)) {
      audit.info({ event: 'api_denied', reason: 'read_audit', token: who.principal.name });
      return problem(
        req,
        res,
        403,
        'forbidden',
        'this token is not granted read_audit (RUNBOOK_TOKENS)',
        'token',
      );
    }
    const since = timeParam(url.searchParams.get('since') ?? '7d', now());
    const until = url.searchParams.has('until')
      ? timeParam(url.searchParams.get('until') ?? '', now())
      : now();
    if (since === undefined)
      return problem(req, res, 400, 'invalid_request', 'since: an ISO 8601 time or 30m, 12h, 7d', 'since');
    if (until === undefined)
      return problem(
        req,
        res,
        400,
        'invalid_request',
        'until: an ISO 8601 time or 30m, 12h, 7d (ago)',
        'until',
      );
    const ids = url.searchParams
      .getAll('campaign_id')
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter(Boolean);
    if (ids.some((id) => id.length > 200) || ids.length > 1_000) {
      return problem(
        req,
        res,
        400,
        'invalid_request',
        'campaign_id: at most 1,000 ids of 200 characters',
        'campaign_id',
      );
    }
    if (!deps.trail) {
      return problem(
        req,
        res,
        503,
        'no_audit_trail',
        'no audit trail is kept where this bot runs (it keeps one in SQLite or Redis)',
      );
    }
    const release = slots.take(who.principal.name);
    if (!release) {
      audit.info({ event: 'api_limited', reason: 'audit_exports', token: who.principal.name });
      return sendJson(
        req,
        res,
        429,
        {
          error: {
            code: 'too_many_exports',
            message: `at most ${(deps.limits ?? EXPORT_LIMITS).perToken} export per token and ${(deps.limits ?? EXPORT_LIMITS).total} in all at once: retry after ${RETRY_AFTER_S} s`,
          },
        },
        { 'retry-after': String(RETRY_AFTER_S) },
      );
    }
    try {
      const from = Math.max(since, now() - deps.retentionDays * 86_400_000);
      const { events, truncated } = await readPaged(deps.trail, from, until);
      const entries = historyOf(events, ids.length > 0 ? { campaignIds: new Set(ids) } : {});
      audit.info({ event: 'audit_exported', token: who.principal.name, requests: entries.length });
      const csv = /\btext\/csv\b/i.test(String(req.headers.accept ?? ''));
      res.writeHead(200, {
        'content-type': csv ? 'text/csv; charset=utf-8' : 'application/json',
        'cache-control': 'no-store',
        ...(csv ? { 'content-disposition': 'attachment; filename="campaign-bot-audit.csv"' } : {}),
        ...(truncated ? { 'x-truncated': 'true' } : {}),
      });
      // Written in pieces, each after the last has drained: the answer is never held whole as one string.
      if (csv) {
        await write(res, `${COLUMNS.join(',')}\r\n`);
        for (const e of entries) await write(res, `${csvLine(e)}\r\n`);
      } else {
        const head = { since: new Date(from).toISOString(), until: new Date(until).toISOString(), truncated };
        await write(res, `${JSON.stringify(head).slice(0, -1)},"requests":[`);
        for (const [i, e] of entries.entries())
          await write(res, `${i > 0 ? ',' : ''}${JSON.stringify(row(e))}`);
        await write(res, ']}');
      }
      res.end();
    } finally {
      release();
    }
  };
}

/** The trail's events from `from` to `until`, page by page, at most EVENTS_READ; `truncated` past that. */
async function readPaged(trail: AuditTrail, from: number, until: number) {
  const events: Awaited<ReturnType<AuditTrail['page']>>['events'] = [];
  let after: string | undefined;
  let read = 0;
  do {
    const page = await trail.page(from, after, Math.min(EXPORT_PAGE, EVENTS_READ - read));
    read += page.events.length;
    for (const e of page.events) if (e.at <= until) events.push(e);
    after = page.next;
    // Stored in the order they were kept: a page all past `until` ends the read (appends are at most a moment late).
    if (page.events.length > 0 && page.events.every((e) => e.at > until + 60_000)) after = undefined;
    await new Promise((r) => setImmediate(r));
  } while (after !== undefined && read < EVENTS_READ);
  return { events, truncated: read >= EVENTS_READ };
}

/** Writes a piece; waits for the socket to drain when its buffer is full (a slow reader holds only one piece). */
function write(res: import('node:http').ServerResponse, text: string): Promise<void> {
  if (res.destroyed) return Promise.reject(new Error('the client went away'));
  if (res.write(text)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      res.off('drain', ok);
      res.off('close', gone);
      if (error) reject(error);
      else resolve();
    };
    const ok = () => done();
    const gone = () => done(new Error('the client went away'));
    res.once('drain', ok);
    res.once('close', gone);
  });
}

function problem(
  req: BufferedRequest,
  res: import('node:http').ServerResponse,
  status: number,
  code: string,
  message: string,
  field?: string,
) {
  sendJson(req, res, status, { error: { code, message, ...(field ? { field } : {}) } });
}

/** `2026-12-01T10:00:00Z`, or `7d` / `12h` / `30m` ago. */
function timeParam(value: string, now: number): number | undefined {
  const ago = parseSince(value);
  if (ago !== undefined) return now - ago;
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function row(e: HistoryEntry) {
  return {
    request_id: e.requestId,
    action: e.action,
    channel_id: e.channel,
    requested_by: e.requestedBy,
    requested_at: iso(e.requestedAt),
    reason: e.reason ?? null,
    campaign_ids: e.campaignIds,
    approved_by: e.approvedBy,
    confirmed_by: e.confirmedBy ?? null,
    outcome: e.end.kind,
    ended_at: e.end.kind === 'open' ? null : iso(e.end.at),
    ended_by: e.end.kind === 'cancelled' ? e.end.by : null,
    applied: e.end.kind === 'completed' ? e.end.applied : null,
    failed: e.end.kind === 'completed' ? e.end.failed : null,
  };
}

const COLUMNS = [
  'request_id',
  'action',
  'channel_id',
  'requested_by',
  'requested_at',
  'reason',
  'campaign_ids',
  'approved_by',
  'confirmed_by',
  'outcome',
  'ended_at',
  'ended_by',
  'applied',
  'failed',
] as const;

/** RFC 4180, one request a row; lists joined by spaces. A cell a spreadsheet would run as a formula is quoted with '. */
export function toCsv(entries: readonly HistoryEntry[]): string {
  const lines = [COLUMNS.join(','), ...entries.map(csvLine)];
  return `${lines.join('\r\n')}\r\n`;
}

function csvLine(e: HistoryEntry): string {
  const r = row(e);
  return COLUMNS.map((c) => cell(r[c])).join(',');
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = Array.isArray(value) ? value.join(' ') : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
