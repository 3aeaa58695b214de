import type { Logger } from 'pino';
import type { Outcome } from '../../../core/outcomes.ts';
import { parsePauseFor } from '../../../core/pause-for.ts';
import type { IdempotencyStore } from '../../../core/ports.ts';
import type { CampaignActionRequest } from '../../../core/request.ts';
import { type GrafanaHeaders, isHookSource } from '../../../core/sources.ts';
import type { BufferedRequest } from '../../../http/routes.ts';
import type { Lifecycle } from '../../../lifecycle/contract.ts';
import { guard } from '../kit/guard.ts';
import { problemFor } from '../kit/problem.ts';
import { describe } from '../kit/resource.ts';
import { type HookRule, matchingRules, renderReason } from './rules.ts';
import { type NamedSecret, notAnObject, VENDORS } from './vendors/index.ts';

export interface HooksDeps {
  /** HOOK_SECRETS: the sources taken, each with its named secrets (one per subscription, two in a rotation). */
  secrets: ReadonlyMap<string, readonly NamedSecret[]>;
  /** HOOK_GRAFANA_SIGNATURE_HEADER and HOOK_GRAFANA_TIMESTAMP_HEADER (core/sources.ts has the defaults). */
  grafana?: GrafanaHeaders;
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
 * `POST /api/v1/hooks/{source}`: an incident tool's own webhook. Verified by the sender's own scheme (its file in
 * vendors/), deduplicated by its delivery id, matched against HOOK_RULES_FILE, and each matching rule proposed
 * as the policy principal `hook:<source>` through the same lifecycle as any request.
 *
 * A 4xx is a verdict to a sender (PagerDuty drops the event on any 4xx but 429 and turns the subscription off
 * after three in a row; Svix senders retry it for a day), so 4xx is kept for what the sender must fix: a bad
 * signature (401), a body that is not the vendor's (400), a source not taken (404). Everything else that proposes
 * nothing — too old, not for anyone, no rule matches, refused by the policy, already handled, being proposed —
 * is an answer: 200 with the reason, audited. Our own failures (Slack, the store) are 5xx, which senders retry.
 */
export function createHooksApi(deps: HooksDeps) {
  const audit = deps.logger.child({ module: 'audit' });
  const log = deps.logger.child({ module: 'hooks' });
  const now = deps.now ?? Date.now;

  /** 200 with the reason; audited. */
  const ignored = (source: string, code: string, reason: string, extra: object = {}): Answer => {
    audit.info({ event: 'hook_ignored', source, code, reason, ...extra });
    return { status: 200, body: { ignored: reason, code, ...extra } };
  };

  async function receive(req: BufferedRequest): Promise<Answer> {
    const source = req.params.source ?? '';
    const secrets = deps.secrets.get(source);
    if (!isHookSource(source) || !secrets || secrets.length === 0) {
      return problem(404, 'not_found', 'no such webhook here (HOOK_SECRETS names the ones taken)');
    }
    const vendor = VENDORS[source];
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const options = deps.grafana ? { grafana: deps.grafana } : {};
    const verified = vendor.verify({
      headers: req.headers,
      raw: req.rawBody,
      query,
      secrets,
      nowMs: now(),
      options,
    });
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
    const shape = notAnObject(payload) ?? vendor.notTheVendors?.(payload);
    const delivery = shape ? undefined : vendor.deliveryId(req.headers, payload);
    if (shape || !delivery) {
      const message = shape ?? `no delivery id in this ${source} webhook`;
      audit.info({ event: 'hook_denied', source, reason: message });
      return problem(400, 'invalid_request', message);
    }
    // The secret's name (never its value) says which subscription sent it.
    const by = { delivery, signed_with: verified.by };
    log.info({ source, ...by }, 'webhook verified');
    const late = verified.late ?? vendor.tooOld?.(payload, now(), verified.timeless === true);
    if (late) return ignored(source, 'too_old', late, by);
    const skip = vendor.notForUs?.(payload);
    if (skip) return ignored(source, 'not_for_us', skip, by);
    return propose(source, payload, delivery, by);
  }

  async function propose(source: string, payload: unknown, delivery: string, by: object): Promise<Answer> {
    const matched = matchingRules(deps.rules, source as HookRule['source'], payload);
    if (matched.length === 0) {
      const drill = VENDORS[source as HookRule['source']].rehearsal?.(payload);
      return drill
        ? ignored(source, 'no_rule', `an incident.io ${drill.mode} incident: no rule names its mode`, by)
        : ignored(source, 'no_rule', 'no rule matches this event', { ...by, matched: [] });
    }
    const proposals: { status: number; body: unknown }[] = [];
    // One at a time, in the file's order: each answers once its proposal is stored (proposeRule), so the whole
    // delivery is answered before any confirmation waits for Slack.
    for (const rule of matched) proposals.push(await proposeRule(source, payload, delivery, rule));
    const worst = Math.max(...proposals.map((p) => p.status));
    const status = worst >= 500 ? worst : proposals.some((p) => p.status === 202) ? 202 : 200;
    const body = { delivery, matched: matched.map((r) => r.name), proposals: proposals.map((p) => p.body) };
    if (status === 200) audit.info({ event: 'hook_ignored', source, code: 'nothing_proposed', ...by, body });
    return { status, body };
  }

  /**
   * One rule of a delivery, kept apart under the delivery's id: a retry proposes nothing already proposed, and
   * after our own failure only what failed. Answers once the proposal is stored; its confirmation goes on.
   */
  async function proposeRule(source: string, payload: unknown, delivery: string, rule: HookRule) {
    const key = `hook:${source}:${delivery}:rule:${rule.name}`;
    const before = await deps.idempotency.begin(key, 'hook');
    if (before.state === 'done') {
      // Answers kept by an earlier version (403, 409) are answers all the same: 200.
      return { status: before.status >= 300 ? 200 : before.status, body: before.body };
    }
    if (before.state === 'pending') {
      const body = { rule: rule.name, status: 'in_progress', message: 'this rule is being proposed' };
      return { status: 200, body };
    }
    const pauseFor = rule.pauseFor ? parsePauseFor('for', rule.pauseFor, now()) : undefined;
    let recorded: (r: CampaignActionRequest) => void = () => {};
    const stored = new Promise<CampaignActionRequest>((resolve) => {
      recorded = resolve;
    });
    const finished = deps.lifecycle.propose(
      {
        actor: { kind: 'hook', source },
        action: rule.action,
        ids: rule.campaigns,
        reason: renderReason(rule.reason, payload),
        channelId: rule.channel,
        origin: { kind: 'hook', source: rule.source },
        schedule: pauseFor?.ok ? pauseFor.pauseFor : undefined,
      },
      { onRecorded: recorded },
    );
    let first: { stored: CampaignActionRequest } | { outcome: Outcome };
    try {
      first = await Promise.race([
        stored.then((r) => ({ stored: r })),
        finished.then((o) => ({ outcome: o })),
      ]);
    } catch (error) {
      await deps.idempotency.abandon(key);
      throw error;
    }
    if ('stored' in first) {
      const body = { rule: rule.name, ...describe(first.stored) };
      await deps.idempotency.finish(key, 'hook', 202, body);
      void settleLater(source, delivery, rule.name, key, finished);
      return { status: 202, body };
    }
    return answerOutcome(key, rule.name, first.outcome);
  }

  /** A rule whose proposal never got stored: refused (200, kept) or our failure (5xx, forgotten for a retry). */
  async function answerOutcome(key: string, rule: string, outcome: Outcome) {
    if (outcome.kind === 'proposed' || outcome.kind === 'running') {
      const body = { rule, ...describe(outcome.request) };
      await deps.idempotency.finish(key, 'hook', 202, body);
      return { status: 202, body };
    }
    const refused = problemFor(outcome);
    const body = { rule, ...(refused.body as object) };
    if (refused.status >= 500) {
      await deps.idempotency.abandon(key);
      return { status: refused.status, body };
    }
    // Refused by the policy or by the core's rules (a rule naming an unknown group): an answer, not an error.
    // The lifecycle has audited a denial; the rule's refusal is kept so a retry gets it again.
    await deps.idempotency.finish(key, 'hook', 200, body);
    return { status: 200, body };
  }

  /**
   * After the answer: a confirmation Slack never took cancels the request (the lifecycle audits that); its
   * record is forgotten, so a redelivery (a replay from the sender's UI, a retry for another rule) proposes it again.
   */
  async function settleLater(
    source: string,
    delivery: string,
    rule: string,
    key: string,
    finished: Promise<Outcome>,
  ) {
    try {
      const outcome = await finished;
      if (outcome.kind === 'unavailable' || outcome.kind === 'not_in_channel') {
        await deps.idempotency.abandon(key);
        log.warn(
          { source, delivery, rule, outcome: outcome.kind },
          'a webhook proposal was answered but its confirmation could not be posted',
        );
      }
    } catch (error) {
      await deps.idempotency.abandon(key).catch(() => {});
      log.error({ source, delivery, rule, err: String(error) }, 'a webhook proposal failed after its answer');
    }
  }

  return guard(log, 'webhook', 'the sender may retry', receive);
}
