import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Actor } from '../../../auth/authorize.ts';
import { isNameToken } from '../../../core/campaign-refs.ts';
import { queryWords } from '../../../core/catalog.ts';
import { USER_ID_PATTERN } from '../../../core/ids.ts';
import { type PauseFor, parsePauseFor } from '../../../core/pause-for.ts';
import type { IdempotencyStore } from '../../../core/ports.ts';
import type { BufferedRequest, Preauth } from '../../../http/routes.ts';
import type { Lifecycle } from '../../../lifecycle/contract.ts';
import { requestFields } from '../kit/fields.ts';
import { guard } from '../kit/guard.ts';
import { idempotent } from '../kit/idempotent.ts';
import { type Answer, problem, problemFor } from '../kit/problem.ts';
import { describe, dryRunView } from '../kit/resource.ts';
import type { RunbookAuth } from '../kit/tokens.ts';
import { createWaitGate, type WaitLimits } from '../kit/waits.ts';
import { callbackProblem, header, idempotencyKeyOf, preferWait, waitSeconds } from './request-fields.ts';

export { describe } from '../kit/resource.ts';

/**
 * The runbook door: `POST /api/v1/campaign-actions` proposes (or, under a rule that needs no approval, runs)
 * the same campaign action request a slash command does, through the same lifecycle; `GET …/{id}` reports it
 * (and with `?wait=SECONDS` waits until it is settled). Described in docs/openapi.yaml.
 */
export interface RunbookApiDeps {
  auth: RunbookAuth;
  lifecycle: Pick<Lifecycle, 'propose' | 'read' | 'settled'>;
  /** CALLBACK_ALLOW_LOOPBACK: a callback_url may be http://127.0.0.1 (tests, a sidecar); otherwise HTTPS only. */
  allowLoopbackCallback?: boolean;
  /** TIME_ZONE, for `pause_until: "18:00"`. */
  timeZone?: string;
  idempotency: IdempotencyStore;
  logger: Logger;
  now?: () => number;
  /** Long polls waiting at once, per token and in all (src/doors/http/runbook/waits.ts has the defaults). */
  waitLimits?: WaitLimits;
}

export const API_PATH = '/api/v1/campaign-actions';
/** Each name is one catalog read (in memory once the copy is whole): a handful, as a person would give. */
const MAX_NAMES = 10;
const NAME_IN_IDS =
  'a quoted name goes in campaign_names (campaign_ids takes campaign ids and dashboard links)';
/** The longest a status call may wait for its request to settle. */
const MAX_WAIT_S = 60;

export const bodySchema = z
  .strictObject({
    // The action's value is checked by the core, as for every door; here only its type.
    action: z.string().max(32),
    /** Campaign ids, or MoEngage dashboard links (each stands for its campaign). */
    campaign_ids: z
      .array(
        z
          .string()
          .max(500)
          .refine((t) => !isNameToken(t.trim()), NAME_IN_IDS),
      )
      .min(1)
      .max(10_000)
      .optional(),
    /**
     * Campaign names, or parts of them ("black friday push"): each must find exactly one campaign (words in any
     * order, case and accents aside); several matches answer 409 `ambiguous_name` listing them, none 400.
     */
    campaign_names: z
      .array(
        z
          .string()
          .trim()
          .min(1)
          .max(200)
          .refine((n) => queryWords(n).length > 0, 'a name needs letters or digits'),
      )
      .min(1)
      .max(MAX_NAMES)
      .optional(),
    group: z.string().min(1).max(64).optional(),
    reason: z.string().trim().min(1).max(500).optional(),
    channel_id: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel id (C…)'),
    requested_by: z.string().regex(USER_ID_PATTERN, 'must be a Slack user id (U…)').optional(),
    /** A PAUSE for a while: `2h`, `30m`, `1d`, `1h30m`; or until a time (ISO 8601 with a zone). */
    pause_for: requestFields.pause_for.optional(),
    pause_until: z.string().max(40).optional(),
    /** Called once when the request settles (HTTPS; loopback only where CALLBACK_ALLOW_LOOPBACK is set). */
    callback_url: z
      .url({ protocol: /^https?$/ })
      .max(2_000)
      .optional(),
    dry_run: requestFields.dry_run.optional(),
    incident: requestFields.incident.optional(),
    /** The Idempotency-Key, for senders that can template only the body. */
    idempotency_key: z
      .string()
      .regex(/^[\x21-\x7e]{1,200}$/, '1–200 visible ASCII characters')
      .optional(),
  })
  .refine((b) => b.pause_for === undefined || b.pause_until === undefined, {
    message: 'give at most one of pause_for or pause_until',
    path: ['pause_for'],
  })
  .superRefine((b, ctx) => {
    // Campaigns by id (or link) and by name may be mixed; a group stands alone.
    const listed = b.campaign_ids !== undefined || b.campaign_names !== undefined;
    if (listed === (b.group !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'give campaign_ids (and/or campaign_names) or group: exactly one of the two ways',
        path: [
          b.campaign_ids === undefined && b.campaign_names !== undefined ? 'campaign_names' : 'campaign_ids',
        ],
      });
    }
  });

/**
 * The campaigns a body names, as the lifecycle reads them: ids and links as given, each name in double quotes (its
 * own quotes dropped: they could end it early, and names are compared without punctuation anyway).
 */
export function campaignTokens(body: z.output<typeof bodySchema>): string[] {
  if (body.group !== undefined) return [`group:${body.group}`];
  const names = (body.campaign_names ?? []).map((n) => `"${n.replace(/["“”„]/g, ' ').trim()}"`);
  return [...(body.campaign_ids ?? []), ...names];
}

/** The API's two handlers (src/routes.ts maps them; the server has read the body within its limit). */
export function createRunbookApi(deps: RunbookApiDeps) {
  const audit = deps.logger.child({ module: 'audit' });
  const log = deps.logger.child({ module: 'runbook-api' });
  const gate = createWaitGate(deps.waitLimits);
  const refusalLogged = new Map<string, number>();

  /**
   * Waits (within the bounds) for `id` to settle; `waited: false` when a bound was reached and the caller answers
   * with the state it has, at once. A wait the server cuts short (it needs the socket) ends with what there is.
   */
  async function waitFor(req: BufferedRequest, token: string, id: string, seconds: number) {
    const release = gate.enter(token);
    if (!release) {
      // Once a minute per token: a poll loop past its bound would otherwise log every call.
      const now = Date.now();
      if (now - (refusalLogged.get(token) ?? 0) > 60_000) {
        refusalLogged.set(token, now);
        log.warn({ token, waiting: gate.waiting().total }, 'too many long polls waiting: answering at once');
      }
      return { waited: false as const };
    }
    try {
      const settled = await req.waiting((signal) => deps.lifecycle.settled(id, seconds * 1000, signal));
      return { waited: true as const, settled };
    } finally {
      release();
    }
  }

  async function create(req: BufferedRequest): Promise<Answer> {
    const raw = req.rawBody.toString('utf8');
    const who = await deps.auth.authenticate(req.headers, raw, 'POST', API_PATH);
    if (!who.ok) {
      audit.info({ event: 'api_denied', reason: 'unauthenticated', detail: who.message });
      return problem(401, 'unauthorized', who.message);
    }
    const principal = who.principal;
    const headerKey = header(req, 'idempotency-key');
    const bodyKey = idempotencyKeyOf(raw);
    if (headerKey !== undefined && bodyKey !== undefined && headerKey !== bodyKey) {
      return problem(
        400,
        'invalid_request',
        'idempotency_key and the Idempotency-Key header differ',
        'idempotency_key',
      );
    }
    const key = headerKey ?? bodyKey;
    const wait = preferWait(req);
    if (key !== undefined && !/^[\x21-\x7e]{1,200}$/.test(key)) {
      return problem(
        400,
        'invalid_request',
        'Idempotency-Key must be 1–200 visible ASCII characters',
        'Idempotency-Key',
      );
    }
    const fingerprint = createHash('sha256').update(raw).digest('hex');
    // Namespaced: no token's key can be a webhook delivery's (`hook:…`).
    const scoped = key === undefined ? undefined : `token:${principal.name}:${key}`;
    return idempotent(deps.idempotency, scoped, fingerprint, () =>
      propose(req, { kind: 'token', name: principal.name }, raw, wait),
    );
  }

  async function propose(
    req: BufferedRequest,
    actor: Actor & { kind: 'token' },
    raw: string,
    waitS: number | undefined,
  ): Promise<Answer> {
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
    if (body.callback_url !== undefined) {
      const bad = callbackProblem(body.callback_url, deps.allowLoopbackCallback ?? false);
      if (bad) return problem(400, 'invalid_request', `callback_url: ${bad}`, 'callback_url');
    }
    let pauseFor: PauseFor | undefined;
    if (body.pause_for !== undefined || body.pause_until !== undefined) {
      const field = body.pause_for !== undefined ? 'pause_for' : 'pause_until';
      const read = parsePauseFor(
        field === 'pause_for' ? 'for' : 'until',
        body.pause_for ?? body.pause_until ?? '',
        deps.now?.() ?? Date.now(),
        deps.timeZone,
      );
      if (!read.ok)
        return problem(400, 'invalid_request', `${field}: ${read.message.replace(/`/g, '')}`, field);
      pauseFor = read.pauseFor;
    }
    const outcome = await deps.lifecycle.propose(
      {
        actor,
        action: body.action,
        ids: campaignTokens(body),
        reason: body.reason,
        channelId: body.channel_id,
        origin: {
          kind: 'runbook_api',
          onBehalfOf: body.requested_by,
          incident: body.incident,
          callback: body.callback_url ? { url: body.callback_url, token: actor.name } : undefined,
        },
        schedule: pauseFor,
      },
      { dryRun: body.dry_run === true },
    );
    if (outcome.kind === 'dry_run') {
      return { status: 200, body: { dry_run: true, would_propose: dryRunView(outcome.request) } };
    }
    if (outcome.kind === 'proposed' || outcome.kind === 'running') {
      // `Prefer: wait=N`: held until the request settles (decided and, if confirmed, run), or N seconds pass.
      if (waitS !== undefined && waitS > 0) {
        // It is proposed whatever the wait does: a failure to wait answers 202, never "nothing was requested".
        const waited = await waitFor(req, actor.name, outcome.request.id, waitS).catch(() => undefined);
        // Past the bounds on waiting, the wait is not applied: 202 at once, as without `Prefer: wait`.
        if (waited?.waited === false) return { status: 202, body: describe(outcome.request) };
        const settled = waited?.settled;
        if (settled && settled.state !== 'pending' && (settled.state !== 'confirmed' || settled.result)) {
          return { status: 200, body: describe(settled), headers: { 'preference-applied': `wait=${waitS}` } };
        }
        return {
          status: 202,
          body: describe(settled ?? outcome.request),
          headers: { 'preference-applied': `wait=${waitS}` },
        };
      }
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
    const wait = waitSeconds(req.url, MAX_WAIT_S);
    if (wait === undefined) {
      return problem(400, 'invalid_request', `wait must be 0–${MAX_WAIT_S} seconds`, 'wait');
    }
    const actor = { kind: 'token', name: who.principal.name } as const;
    // A token sees what the policy lets it read, and nothing of the rest (nor whether it exists).
    const found = await deps.lifecycle.read(id, actor);
    if (found.kind !== 'request') return problemFor(found);
    if (wait === 0) return { status: 200, body: describe(found.request) };
    const waited = await waitFor(req, actor.name, id, wait);
    return { status: 200, body: describe((waited.waited && waited.settled) || found.request) };
  }

  /** The door's error boundary: whatever fails on our side is a 500 problem, the error itself only logged. */
  const guarded = (fn: (req: BufferedRequest) => Promise<Answer>) =>
    guard(log, 'runbook API call', 'nothing may have been requested', fn);
  /** A bearer token judged from the headers alone: an unknown one is refused before its body is read. */
  const bearer: Preauth = (headers) => {
    const verdict = deps.auth.checkBearer(headers);
    if (!verdict || verdict.ok) return { ok: true };
    audit.info({ event: 'api_denied', reason: 'unauthenticated', detail: verdict.message });
    return { ok: false, ...problem(401, 'unauthorized', verdict.message) };
  };
  return { proposeAction: guarded(create), actionStatus: guarded(status), bearer };
}
