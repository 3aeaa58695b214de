import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Actor } from '../auth/authorize.ts';
import { USER_ID_PATTERN } from '../core/ids.ts';
import { plainWords } from '../core/outcome-words.ts';
import type { Outcome } from '../core/outcomes.ts';
import { type PauseFor, parsePauseFor, scheduleOf } from '../core/pause-for.ts';
import type { CampaignActionRequest, RunJournal } from '../core/request.ts';
import { runProgress } from '../core/run-journal.ts';
import { sendJson } from '../http/reply.ts';
import type { BufferedRequest, Preauth } from '../http/routes.ts';
import type { Lifecycle } from '../lifecycle/lifecycle.ts';
import type { IdempotencyStore } from './idempotency.ts';
import type { RunbookAuth } from './tokens.ts';

/**
 * The runbook door: `POST /api/v1/campaign-actions` proposes (or, under a rule that needs no approval, runs)
 * the same campaign action request a slash command does, through the same lifecycle; `GET …/{id}` reports it
 * (and with `?wait=SECONDS` waits until it is settled). Described in docs/openapi.yaml.
 */
export interface RunbookApiDeps {
  auth: RunbookAuth;
  lifecycle: Pick<Lifecycle, 'propose' | 'read' | 'settled'>;
  idempotency: IdempotencyStore;
  logger: Logger;
  now?: () => number;
}

export const API_PATH = '/api/v1/campaign-actions';
/** The longest a status call may wait for its request to settle. */
const MAX_WAIT_S = 60;

export const bodySchema = z
  .strictObject({
    // The action's value is checked by the core, as for every door; here only its type.
    action: z.string().max(32),
    campaign_ids: z.array(z.string().max(200)).min(1).max(10_000).optional(),
    group: z.string().min(1).max(64).optional(),
    reason: z.string().trim().min(1).max(500).optional(),
    channel_id: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel id (C…)'),
    requested_by: z.string().regex(USER_ID_PATTERN, 'must be a Slack user id (U…)').optional(),
    /** A PAUSE for a while: `2h`, `30m`, `1d`, `1h30m`; or until a time (ISO 8601 with a zone). */
    pause_for: z.string().max(16).optional(),
    pause_until: z.string().max(40).optional(),
  })
  .refine((b) => b.pause_for === undefined || b.pause_until === undefined, {
    message: 'give at most one of pause_for or pause_until',
    path: ['pause_for'],
  })
  .refine((b) => (b.campaign_ids === undefined) !== (b.group === undefined), {
    message: 'give exactly one of campaign_ids or group',
    path: ['campaign_ids'],
  });

type Answer = { status: number; body: unknown };
const problem = (status: number, code: string, message: string, field?: string): Answer => ({
  status,
  body: { error: { code, message, ...(field ? { field } : {}) } },
});

/** Where in the body a refusal points: the part of the policy that failed, as a field of the call. */
const DENIED_FIELD: Record<string, string> = {
  action: 'action',
  channel: 'channel_id',
  campaign_group: 'campaign_ids',
  user: 'token',
  lookup: 'token',
};

/** An outcome that is not a success, as problem JSON (the same codes the lifecycle speaks). */
export function problemFor(o: Outcome): Answer {
  const words = plainWords(o);
  switch (o.kind) {
    case 'invalid_input':
      return problem(400, 'invalid_request', words, o.field);
    case 'denied':
      return problem(403, 'forbidden', words, DENIED_FIELD[o.part]);
    case 'not_in_channel':
      return problem(409, 'not_in_channel', words, 'channel_id');
    case 'unavailable':
      return o.what === 'store' ? problem(503, 'store_error', words) : problem(502, 'slack_error', words);
    case 'not_found':
      return problem(404, 'not_found', 'no such campaign action');
    default:
      return problem(409, o.kind, words);
  }
}

/** The API's two handlers (src/routes.ts maps them; the server has read the body within its limit). */
export function createRunbookApi(deps: RunbookApiDeps) {
  const audit = deps.logger.child({ module: 'audit' });
  const log = deps.logger.child({ module: 'runbook-api' });

  async function create(req: BufferedRequest): Promise<Answer> {
    const raw = req.rawBody.toString('utf8');
    const who = await deps.auth.authenticate(req.headers, raw, 'POST', API_PATH);
    if (!who.ok) {
      audit.info({ event: 'api_denied', reason: 'unauthenticated', detail: who.message });
      return problem(401, 'unauthorized', who.message);
    }
    const principal = who.principal;
    const key = header(req, 'idempotency-key');
    if (key !== undefined && !/^[\x21-\x7e]{1,200}$/.test(key)) {
      return problem(
        400,
        'invalid_request',
        'Idempotency-Key must be 1–200 visible ASCII characters',
        'Idempotency-Key',
      );
    }
    const fingerprint = createHash('sha256').update(raw).digest('hex');
    const scoped = key === undefined ? undefined : `${principal.name}:${key}`;
    if (scoped) {
      const seen = await deps.idempotency.begin(scoped, fingerprint);
      if (seen.state !== 'new' && seen.fingerprint !== fingerprint) {
        return problem(
          422,
          'idempotency_key_reused',
          'this Idempotency-Key was used with a different body',
          'Idempotency-Key',
        );
      }
      if (seen.state === 'pending')
        return problem(409, 'in_progress', 'a call with this Idempotency-Key is still running');
      if (seen.state === 'done') return { status: seen.status, body: seen.body };
    }
    let answer: Answer;
    try {
      answer = await propose({ kind: 'token', name: principal.name }, raw);
    } catch (error) {
      if (scoped) await deps.idempotency.abandon(scoped);
      throw error;
    }
    if (scoped) {
      // Server-side failures are not remembered: a retry with the same key may succeed.
      if (answer.status >= 500) await deps.idempotency.abandon(scoped);
      else await deps.idempotency.finish(scoped, fingerprint, answer.status, answer.body);
    }
    return answer;
  }

  async function propose(actor: Actor, raw: string): Promise<Answer> {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return problem(400, 'invalid_json', 'the body is not valid JSON');
    }
    const parsed = bodySchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.length ? issue.path.map(String).join('.') : 'body';
      return problem(400, 'invalid_request', `${field}: ${issue?.message ?? 'invalid'}`, field);
    }
    const body = parsed.data;
    let pauseFor: PauseFor | undefined;
    if (body.pause_for !== undefined || body.pause_until !== undefined) {
      const field = body.pause_for !== undefined ? 'pause_for' : 'pause_until';
      const read = parsePauseFor(
        field === 'pause_for' ? 'for' : 'until',
        body.pause_for ?? body.pause_until ?? '',
        deps.now?.() ?? Date.now(),
      );
      if (!read.ok)
        return problem(400, 'invalid_request', `${field}: ${read.message.replace(/`/g, '')}`, field);
      pauseFor = read.pauseFor;
    }
    const outcome = await deps.lifecycle.propose({
      actor,
      action: body.action,
      ids: body.group !== undefined ? [`group:${body.group}`] : (body.campaign_ids ?? []),
      reason: body.reason,
      channelId: body.channel_id,
      source: 'runbook_api',
      onBehalfOf: body.requested_by,
      ...(pauseFor ? { pauseFor } : {}),
    });
    if (outcome.kind === 'proposed' || outcome.kind === 'running') {
      return { status: 202, body: describe(outcome.request) };
    }
    const answer = problemFor(outcome);
    if (outcome.kind === 'invalid_input' && outcome.field === 'group') {
      (answer.body as { error: { field: string } }).error.field = 'group';
    }
    return answer;
  }

  async function status(req: BufferedRequest): Promise<Answer> {
    const id = req.params.id ?? '';
    const who = await deps.auth.authenticate(req.headers, '', 'GET', `${API_PATH}/${id}`);
    if (!who.ok) return problem(401, 'unauthorized', who.message);
    if (!/^[A-Za-z0-9-]{8,64}$/.test(id)) return problem(404, 'not_found', 'no such campaign action');
    const wait = waitSeconds(req.url);
    if (wait === undefined) {
      return problem(400, 'invalid_request', `wait must be 0–${MAX_WAIT_S} seconds`, 'wait');
    }
    const actor = { kind: 'token', name: who.principal.name } as const;
    // A token sees what the policy lets it read, and nothing of the rest (nor whether it exists).
    const found = await deps.lifecycle.read(id, actor);
    if (found.kind !== 'request') return problemFor(found);
    if (wait === 0) return { status: 200, body: describe(found.request) };
    const settled = await deps.lifecycle.settled(id, wait * 1000);
    return { status: 200, body: describe(settled ?? found.request) };
  }

  /** The door's error boundary: whatever fails on our side is a 500 problem, the error itself only logged. */
  const guard =
    (fn: (req: BufferedRequest) => Promise<Answer>) => async (req: BufferedRequest, res: ServerResponse) => {
      let answer: Answer;
      try {
        answer = await fn(req);
      } catch (error) {
        log.error({ err: String(error) }, 'runbook API call failed');
        answer = problem(
          500,
          'internal',
          'something went wrong on our side; nothing may have been requested',
        );
      }
      sendJson(req, res, answer.status, answer.body);
    };
  /** A bearer token judged from the headers alone: an unknown one is refused before its body is read. */
  const bearer: Preauth = (headers) => {
    const verdict = deps.auth.checkBearer(headers);
    if (!verdict || verdict.ok) return { ok: true };
    audit.info({ event: 'api_denied', reason: 'unauthenticated', detail: verdict.message });
    return { ok: false, ...problem(401, 'unauthorized', verdict.message) };
  };
  return { proposeAction: guard(create), actionStatus: guard(status), bearer };
}

/** The public view of a request (the API's resource). */
export function describe(r: CampaignActionRequest) {
  const status =
    r.state === 'pending'
      ? 'pending'
      : r.state === 'confirmed'
        ? r.result
          ? 'completed'
          : 'running'
        : r.state;
  return {
    id: r.id,
    action: r.action,
    campaign_ids: r.campaignIds,
    reason: r.reason ?? null,
    channel_id: r.channelId,
    requested_by: r.requestedBy,
    on_behalf_of: r.onBehalfOf ?? null,
    status,
    decided_by: r.decidedBy ?? null,
    approvals: r.approvals.map((a) => ({ by: a.by, at: new Date(a.at).toISOString() })),
    created_at: new Date(r.createdAt).toISOString(),
    expires_at: new Date(r.expiresAt).toISOString(),
    message_ts: r.messageTs ?? null,
    progress: r.run && !r.result ? progressOf(r.run) : null,
    result: r.result
      ? {
          applied: r.result.applied,
          already: r.result.already ?? 0,
          skipped: r.result.skipped ?? 0,
          failed: r.result.failed,
          completed_at: new Date(r.result.completedAt).toISOString(),
          outcomes: r.result.outcomes.map((o) => ({
            campaign_id: o.campaignId,
            status: o.status,
            ...(o.error ? { error: o.error } : {}),
            ...(o.note ? { note: o.note } : {}),
          })),
        }
      : null,
    resume: r.pauseFor ? resumeOf(r) : null,
    scheduled_by: r.scheduledBy ?? null,
  };
}

/** A PAUSE for a while: its RESUME, as far as it has got. */
function resumeOf(r: CampaignActionRequest) {
  const s = scheduleOf(r);
  const state = r.resume?.kept
    ? 'kept_paused'
    : r.resume?.requestId
      ? 'started'
      : s
        ? 'scheduled'
        : r.result
          ? 'nothing_to_resume'
          : 'after_the_pause';
  return {
    for: r.pauseFor?.text ?? null,
    state,
    at: s ? new Date(s.at).toISOString() : null,
    request_id: r.resume?.requestId ?? null,
  };
}

/** A running request's counts so far and the time left, as the Slack message shows them. */
function progressOf(run: RunJournal) {
  const p = runProgress(run, Date.now());
  return {
    total: p.total,
    done: p.done,
    applied: p.applied,
    already: p.already,
    skipped: p.skipped,
    failed: p.failed,
    eta_seconds: p.etaMs === undefined ? null : Math.round(p.etaMs / 1000),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `?wait=SECONDS` on a status call: 0 when absent, undefined when not 0–MAX_WAIT_S. */
function waitSeconds(url: string | undefined): number | undefined {
  const raw = new URL(url ?? '/', 'http://x').searchParams.get('wait');
  if (raw === null) return 0;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 && n <= MAX_WAIT_S ? n : undefined;
}
