import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import type { Logger } from 'pino';
import { z } from 'zod';
import { buildRequest, expandIds } from '../commands/parse.ts';
import type { CampaignGroups } from '../groups.ts';
import { CAMPAIGN_ACTIONS, type CampaignAction } from '../moengage/types.ts';
import type { Lifecycle } from '../requests/lifecycle.ts';
import type { CampaignActionRequest } from '../requests/model.ts';
import { plainText } from '../slack/mrkdwn.ts';
import type { IdempotencyStore } from './idempotency.ts';
import type { RunbookAuth, RunbookPrincipal } from './tokens.ts';

/**
 * The runbook door: `POST /api/v1/campaign-actions` proposes (or, with an auto_execute grant, runs) the same
 * campaign action request a slash command does, through the same lifecycle; `GET …/{id}` reports it.
 * Described in docs/openapi.yaml.
 */
export interface RunbookApiDeps {
  auth: RunbookAuth;
  lifecycle: Pick<Lifecycle, 'propose' | 'autoConfirm' | 'get'>;
  idempotency: IdempotencyStore;
  groups: CampaignGroups;
  maxCampaignsPerCommand: number;
  requireReasonFor: readonly string[];
  logger: Logger;
}

export const API_PATH = '/api/v1/campaign-actions';
const MAX_BODY = 64 * 1024;

export const bodySchema = z
  .strictObject({
    action: z
      .string()
      .transform((a) => a.toUpperCase())
      .pipe(z.enum(CAMPAIGN_ACTIONS, `must be one of ${CAMPAIGN_ACTIONS.join(', ')}`)),
    campaign_ids: z.array(z.string()).min(1).max(10_000).optional(),
    group: z.string().min(1).max(64).optional(),
    reason: z.string().trim().min(1).max(500).optional(),
    channel_id: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel id (C…)'),
    requested_by: z
      .string()
      .regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id (U…)')
      .optional(),
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

export function createRunbookApi(deps: RunbookApiDeps): CustomRoute[] {
  const audit = deps.logger.child({ module: 'audit' });
  const log = deps.logger.child({ module: 'runbook-api' });

  async function create(req: IncomingMessage): Promise<Answer> {
    const raw = await readBody(req);
    if (raw === undefined) return problem(413, 'too_large', `the body may be at most ${MAX_BODY} bytes`);
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
      answer = await propose(principal, raw);
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

  async function propose(principal: RunbookPrincipal, raw: string): Promise<Answer> {
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
    const tokens = body.group !== undefined ? [`group:${body.group}`] : (body.campaign_ids ?? []);
    const expanded = expandIds(tokens, deps.groups);
    if ('message' in expanded)
      return problem(
        400,
        'invalid_request',
        plainText(expanded.message),
        body.group ? 'group' : 'campaign_ids',
      );
    const checked = buildRequest(body.action, expanded.ids, body.reason, {
      maxIds: deps.maxCampaignsPerCommand,
      requireReasonFor: deps.requireReasonFor,
    });
    if (checked.kind !== 'request') {
      const message = checked.kind === 'error' ? plainText(checked.message) : 'invalid';
      const field = /reason/i.test(message) ? 'reason' : 'campaign_ids';
      return problem(400, 'invalid_request', message, field);
    }
    const denied = (field: string, message: string) => {
      audit.info({
        event: 'api_denied',
        reason: 'not_granted',
        token: principal.name,
        field,
        action: body.action,
        channel: body.channel_id,
      });
      return problem(403, 'forbidden', message, field);
    };
    if (!principal.actions.has(body.action))
      return denied('action', `token "${principal.name}" is not granted ${body.action}`);
    if (!principal.channels.has(body.channel_id)) {
      return denied('channel_id', `token "${principal.name}" is not granted channel ${body.channel_id}`);
    }
    const by = `runbook:${principal.name}`;
    const result = await deps.lifecycle.propose({
      action: checked.action,
      campaignIds: checked.campaignIds,
      reason: checked.reason,
      requestedBy: by,
      channelId: body.channel_id,
      source: body.requested_by ? `runbook_api:${body.requested_by}` : 'runbook_api',
      grantedBy: principal.name,
    });
    if (!result.ok) {
      const status =
        result.code === 'denied'
          ? 403
          : result.code === 'not_in_channel'
            ? 409
            : result.code === 'store_error'
              ? 503
              : 502;
      return problem(
        status,
        result.code ?? 'failed',
        plainText(result.message),
        status === 403 ? 'channel_id' : undefined,
      );
    }
    const request = result.value;
    const auto = principal.autoExecute.has(body.action as CampaignAction);
    if (auto) {
      // Runs in the background; the caller follows it with GET. Errors are reported in the thread and the log.
      void deps.lifecycle
        .autoConfirm(request.id, by)
        .catch((error: unknown) =>
          log.error({ requestId: request.id, err: String(error) }, 'auto-execute failed'),
        );
    }
    return { status: 202, body: { ...describe(request), status: auto ? 'running' : 'pending' } };
  }

  async function status(req: IncomingMessage, id: string): Promise<Answer> {
    const who = await deps.auth.authenticate(req.headers, '', 'GET', `${API_PATH}/${id}`);
    if (!who.ok) return problem(401, 'unauthorized', who.message);
    if (!/^[A-Za-z0-9-]{8,64}$/.test(id)) return problem(404, 'not_found', 'no such campaign action');
    const request = await deps.lifecycle.get(id);
    // A token sees the actions in the channels it is granted, and no others (nor whether they exist).
    if (!request || !who.principal.channels.has(request.channelId)) {
      return problem(404, 'not_found', 'no such campaign action');
    }
    return { status: 200, body: describe(request) };
  }

  const send = (res: ServerResponse, answer: Answer) => {
    res.writeHead(answer.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(answer.body));
  };
  const guard =
    (fn: (req: IncomingMessage) => Promise<Answer>) => (req: IncomingMessage, res: ServerResponse) => {
      fn(req).then(
        (answer) => send(res, answer),
        (error: unknown) => {
          log.error({ err: String(error) }, 'runbook API call failed');
          send(
            res,
            problem(500, 'internal', 'something went wrong on our side; nothing may have been requested'),
          );
        },
      );
    };
  return [
    { path: API_PATH, method: ['POST'], handler: guard(create) },
    {
      path: `${API_PATH}/:id`,
      method: ['GET'],
      handler: guard((req) =>
        status(req, (req as IncomingMessage & { params?: { id?: string } }).params?.id ?? ''),
      ),
    },
  ];
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
    status,
    decided_by: r.decidedBy ?? null,
    created_at: new Date(r.createdAt).toISOString(),
    expires_at: new Date(r.expiresAt).toISOString(),
    message_ts: r.messageTs ?? null,
    result: r.result
      ? {
          applied: r.result.applied,
          failed: r.result.failed,
          completed_at: new Date(r.result.completedAt).toISOString(),
          outcomes: r.result.outcomes.map((o) => ({
            campaign_id: o.campaignId,
            status: o.status,
            ...(o.error ? { error: o.error } : {}),
          })),
        }
      : null,
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
