import type { Logger } from 'pino';
import { type HistoryEntry, historyOf, parseSince } from '../core/history.ts';
import { sendJson } from '../http/reply.ts';
import type { BufferedRequest } from '../http/routes.ts';
import type { AuditTrail } from '../requests/audit-trail.ts';
import type { RunbookAuth } from './tokens.ts';

export const AUDIT_PATH = '/api/v1/audit';
/** How many events one export reads at most; past that it says `truncated`. */
const EVENTS_READ = 100_000;

export interface AuditExportDeps {
  auth: RunbookAuth;
  /** The token names granted `read_audit` in RUNBOOK_TOKENS. */
  readers: ReadonlySet<string>;
  trail: AuditTrail | undefined;
  /** AUDIT_RETENTION_DAYS: how far back the trail goes. */
  retentionDays: number;
  logger: Logger;
  now?: () => number;
}

/**
 * `GET /api/v1/audit?since=7d&until=…&campaign_id=…`: the requests of the audit trail (who requested, approved
 * and ran what, how it ended), as JSON or, with `Accept: text/csv`, as CSV. The same entries `/campaign history`
 * shows. For tokens granted `read_audit` only; the trail never holds a secret.
 */
export function createAuditExport(deps: AuditExportDeps) {
  const audit = deps.logger.child({ module: 'audit' });
  const now = deps.now ?? Date.now;
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
    const oldest = now() - deps.retentionDays * 86_400_000;
    const events = await deps.trail.since(Math.max(since, oldest), EVENTS_READ);
    const entries = historyOf(
      events.filter((e) => e.at <= until),
      ids.length > 0 ? { campaignIds: new Set(ids) } : {},
    );
    audit.info({ event: 'audit_exported', token: who.principal.name, requests: entries.length });
    const truncated = events.length >= EVENTS_READ;
    if (/\btext\/csv\b/i.test(String(req.headers.accept ?? ''))) {
      res.writeHead(200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': 'attachment; filename="campaign-bot-audit.csv"',
        'cache-control': 'no-store',
        ...(truncated ? { 'x-truncated': 'true' } : {}),
      });
      res.end(toCsv(entries));
      return;
    }
    sendJson(req, res, 200, {
      since: new Date(Math.max(since, oldest)).toISOString(),
      until: new Date(until).toISOString(),
      truncated,
      requests: entries.map(row),
    });
  };
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
  const lines = [COLUMNS.join(',')];
  for (const e of entries) {
    const r = row(e);
    lines.push(COLUMNS.map((c) => cell(r[c])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = Array.isArray(value) ? value.join(' ') : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
