import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { parsePauseFor } from '../core/pause-for.ts';
import { sendJson } from '../http/reply.ts';
import type { BufferedRequest } from '../http/routes.ts';
import type { Lifecycle } from '../lifecycle/lifecycle.ts';
import { problemFor } from '../runbook/api.ts';
import type { IdempotencyStore } from '../runbook/idempotency.ts';
import { describe } from '../runbook/resource.ts';
import { type HookRule, matchingRules, renderReason } from './rules.ts';
import { deliveryId, isHookSource, notForUs, replayed, verifyHook } from './sources.ts';

export interface HooksDeps {
  /** HOOK_SECRETS: the sources taken, each with its secret(s) (two during a rotation). */
  secrets: ReadonlyMap<string, readonly string[]>;
  rules: readonly HookRule[];
  lifecycle: Pick<Lifecycle, 'propose'>;
  /** The sender's delivery id is the idempotency key (a retried delivery gets the first answer). */
  idempotency: IdempotencyStore;
  logger: Logger;
  now?: () => number;
}

type Answer = { status: number; body: unknown };
const problem = (status: number, code: string, message: string): Answer => ({
  status,
  body: { error: { code, message } },
});

/**
 * `POST /api/v1/hooks/{source}`: an incident tool's own webhook. Verified by the sender's own scheme (see
 * sources.ts), deduplicated by its delivery id, matched against HOOK_RULES_FILE, and each matching rule proposed
 * as the policy principal `hook:<source>` through the same lifecycle as any request (a person approves unless an
 * auto_execute rule says otherwise). Events that are not for anyone, or that match no rule, are answered 200 so
 * the sender does not retry them; one the policy refuses is answered 403 (and audited).
 */
export function createHooksApi(deps: HooksDeps) {
  const audit = deps.logger.child({ module: 'audit' });
  const log = deps.logger.child({ module: 'hooks' });
  const now = deps.now ?? Date.now;

  async function receive(req: BufferedRequest): Promise<Answer> {
    const source = req.params.source ?? '';
    const secrets = deps.secrets.get(source);
    if (!isHookSource(source) || !secrets || secrets.length === 0) {
      return problem(404, 'not_found', 'no such webhook here (HOOK_SECRETS names the ones taken)');
    }
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const verified = verifyHook(source, req.headers, req.rawBody, query, secrets, now());
    if (!verified.ok) {
      audit.info({ event: 'hook_denied', source, reason: verified.message });
      return problem(401, 'unauthorized', verified.message);
    }
    let payload: unknown;
    try {
      payload = JSON.parse(req.rawBody.toString('utf8'));
    } catch {
      return problem(400, 'invalid_json', 'the body is not valid JSON');
    }
    const old = replayed(source, payload, now());
    if (old) {
      audit.info({ event: 'hook_denied', source, reason: old });
      return problem(401, 'unauthorized', old);
    }
    const skip = notForUs(source, payload);
    if (skip) {
      log.info({ source, why: skip }, 'webhook not for us');
      return { status: 200, body: { ignored: skip } };
    }
    const delivery = deliveryId(source, req.headers, payload);
    if (!delivery) return problem(400, 'invalid_request', `no delivery id in this ${source} webhook`);
    // The first answer for each rule of a delivery is its answer: a sender's retry, or Alertmanager's repeat,
    // proposes nothing again (see propose).
    return propose(source, payload, delivery);
  }

  async function propose(source: string, payload: unknown, delivery: string): Promise<Answer> {
    const matched = matchingRules(deps.rules, source as HookRule['source'], payload);
    if (matched.length === 0) {
      log.info({ source, delivery }, 'webhook matched no rule');
      return { status: 200, body: { matched: [] } };
    }
    const proposals: unknown[] = [];
    let status = 202;
    for (const rule of matched) {
      // Each rule's answer is kept apart, under the delivery's id: a retry proposes nothing already proposed, and
      // after a partial failure (Slack down for the second rule) only what failed.
      const ruleKey = `hook:${source}:${delivery}:rule:${rule.name}`;
      const before = await deps.idempotency.begin(ruleKey, 'hook');
      if (before.state === 'done') {
        if (before.status >= 400 && (status === 202 || before.status > status)) status = before.status;
        proposals.push(before.body);
        continue;
      }
      if (before.state === 'pending') {
        status = 409;
        proposals.push({
          rule: rule.name,
          error: { code: 'in_progress', message: 'this rule is being proposed' },
        });
        continue;
      }
      const pauseFor = rule.pauseFor ? parsePauseFor('for', rule.pauseFor, now()) : undefined;
      let outcome: Awaited<ReturnType<typeof deps.lifecycle.propose>>;
      try {
        outcome = await deps.lifecycle.propose({
          actor: { kind: 'hook', source },
          action: rule.action,
          ids: rule.campaigns,
          reason: renderReason(rule.reason, payload),
          channelId: rule.channel,
          source: `hook:${source}`,
          ...(pauseFor?.ok ? { pauseFor: pauseFor.pauseFor } : {}),
        });
      } catch (error) {
        await deps.idempotency.abandon(ruleKey);
        throw error;
      }
      if (outcome.kind === 'proposed' || outcome.kind === 'running') {
        const body = { rule: rule.name, ...describe(outcome.request) };
        await deps.idempotency.finish(ruleKey, 'hook', 202, body);
        proposals.push(body);
        continue;
      }
      const refused = problemFor(outcome);
      const body = { rule: rule.name, ...(refused.body as object) };
      // Our own failures (Slack, the store) are not kept: the sender's retry tries this rule again.
      if (refused.status >= 500) await deps.idempotency.abandon(ruleKey);
      else await deps.idempotency.finish(ruleKey, 'hook', refused.status, body);
      if (refused.status > status || status === 202) status = refused.status;
      proposals.push(body);
    }
    return { status, body: { delivery, matched: matched.map((r) => r.name), proposals } };
  }

  return async function hooks(req: BufferedRequest, res: ServerResponse) {
    let answer: Answer;
    try {
      answer = await receive(req);
    } catch (error) {
      log.error({ err: String(error) }, 'webhook failed');
      answer = problem(500, 'internal', 'something went wrong on our side; the sender may retry');
    }
    sendJson(req, res, answer.status, answer.body);
  };
}
