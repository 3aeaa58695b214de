import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Actor, Authorize, DenialPart, Step } from '../auth/authorize.ts';
import { actorId as actorIdOf } from '../auth/authorize.ts';
import type { CampaignAction } from '../core/actions.ts';
import type { AuditEvent, RequestFields } from '../core/audit.ts';
import type { JudgeRules } from '../core/campaign-info.ts';
import type { CampaignGroups } from '../core/groups.ts';
import type { Notifier } from '../core/notifier.ts';
import type { Outcome } from '../core/outcomes.ts';
import type { AuditTrail } from '../core/ports.ts';
import type { ProposalRules } from '../core/proposal.ts';
import type { CampaignActionRequest, DecideResult } from '../core/request.ts';
import type { RequestStore } from '../core/store.ts';
import { bufferedAuditAppend } from './audit-buffer.ts';
import type { CampaignCatalog } from './catalog.ts';
import { type ChangeFeed, createMemoryChangeFeed } from './changes.ts';
import type { CampaignExecutor } from './execution-deps.ts';
import type { CampaignLookup } from './lookup.ts';
import type { SweepOutcome } from './sweeps.ts';

export interface LifecycleDeps {
  store: RequestStore;
  moengage: CampaignExecutor;
  notifier: Notifier;
  authorize: Authorize;
  groups: CampaignGroups;
  proposalRules: Omit<ProposalRules, 'groups'>;
  ttlMs: number;
  /** One structured event per step, under module "audit". */
  logger: Logger;
  /** Receives every audit event too (metrics). */
  observe?: (event: AuditEvent) => void;
  /** Keeps the audit trail where it outlives the process (SQLite or Redis). */
  auditTrail?: AuditTrail;
  /** Where changes are announced for `settled` (Redis pub/sub with replicas). */
  changes?: ChangeFeed;
  now?: () => number;
  newId?: () => string;
  /** Whether a run handed back on shutdown can be continued (a replica on Redis, a restart on a SQLite file). */
  handBack?: boolean;
  /** RESUME_WINDOW_MINUTES, in ms. */
  resumeWindowMs?: number;
  /** A runner's lease (how soon a crashed run is taken over); tests shorten it. */
  leaseMs?: number;
  /** How often `start()`'s sweeps run (expiry, resume, reminders); by default sweepEvery(ttlMs). */
  sweepMs?: number;
  /** Told of each sweep loop's start and each round's end (see sweeps.ts; the metrics). */
  onSweep?: (sweep: string, outcome: SweepOutcome) => void;
  /** The store is this process's alone (a SQLite file): `start()` resumes its unfinished runs at once. */
  exclusiveStore?: boolean;
  onRepeated?: (ids: number) => void;
  /** MoEngage's campaign search: a look at each campaign before anyone confirms (CAMPAIGN_LOOKUP=on). */
  lookup?: CampaignLookup;
  /** ESCALATE_TO: the user group a STOP waiting longer than `escalateAfterMs` is escalated to. */
  escalateTo?: string;
  escalateAfterMs?: number;
  /** UNDO_WINDOW_HOURS: how long a result's "Undo" may still be pressed. */
  undoWindowHours?: number;
  /** How often a running request shows its progress; tests shorten it. */
  progressMs?: number;
  /** A lookup older than this when a run starts is looked at again for its flagged ids; tests shorten it. */
  staleLookupMs?: number;
  /** How the looked-up campaigns are judged (V5 stops more than V1). */
  lookupRules?: JudgeRules;
  /** The campaign catalog (names, links, the picker): with MoEngage's search (CAMPAIGN_LOOKUP=on). */
  catalog?: CampaignCatalog;
  /** MoEngage requests in the minute window now (the App Home's quota line). */
  quota?: () => Promise<{ minute: number; perMinute: number }>;
}

/** What every step of the lifecycle shares: its dependencies, the audit trail and the change feed. */
export function lifecycleContext(deps: LifecycleDeps) {
  const audit = deps.logger.child({ module: 'audit' });
  const now = deps.now ?? Date.now;
  // An event the store cannot take now waits in memory and is appended, in order, once it answers again.
  const append = deps.auditTrail ? bufferedAuditAppend(deps.auditTrail, { log: audit }) : undefined;
  const emit = (event: AuditEvent) => {
    audit.info(event);
    deps.observe?.(event);
    append?.(event, now());
  };
  const actorId = (a: Actor) => actorIdOf(a);
  return {
    deps,
    now,
    newId: deps.newId ?? randomUUID,
    log: deps.logger.child({ module: 'lifecycle' }),
    changes: deps.changes ?? createMemoryChangeFeed(),
    emit,
    actorId,
    fields: (r: CampaignActionRequest): RequestFields => ({
      requestId: r.id,
      action: r.action,
      channel: r.channelId,
      requestedBy: r.requestedBy,
      onBehalfOf: r.onBehalfOf,
      campaignIds: r.campaignIds,
      reason: r.reason,
      source: r.source,
      ...(r.incident ? { incident: r.incident } : {}),
    }),
    /** A refusal by the policy: audited, and answered in its code. */
    denied(
      step: Step,
      actor: Actor,
      part: DenialPart,
      about: { channelId: string; action?: CampaignAction; requestId?: string },
    ): Outcome {
      emit({
        event: 'denied',
        step,
        failed: part,
        user: actorId(actor),
        channel: about.channelId,
        ...(about.action ? { action: about.action } : {}),
        ...(about.requestId ? { requestId: about.requestId } : {}),
      });
      return about.action
        ? { kind: 'denied', step, part, action: about.action }
        : { kind: 'denied', step, part };
    },
  };
}

export type LifecycleContext = ReturnType<typeof lifecycleContext>;

/** A decision the store refused, as the outcome a door shows (who decided, when it expired). */
export function refusalOf(
  result:
    | Exclude<DecideResult, { ok: true }>
    | { ok: false; reason: string; request?: CampaignActionRequest },
): Outcome {
  if (result.reason === 'not_found' || !('request' in result) || !result.request)
    return { kind: 'not_found' };
  const r = result.request;
  if (result.reason === 'expired' || result.reason === 'not_due' || r.state === 'expired') {
    return { kind: 'expired', at: r.expiresAt };
  }
  return { kind: 'already_decided', state: r.state, by: r.decidedBy, at: r.decidedAt };
}
