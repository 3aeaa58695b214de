import type { DenialPart, Step } from './access.ts';
import type { CampaignAction } from './actions.ts';

/** The request's facts that every audit event carries. */
export interface RequestFields {
  requestId: string;
  action: CampaignAction;
  channel: string;
  requestedBy: string;
  onBehalfOf: string | undefined;
  campaignIds: string[];
  reason: string | undefined;
  source: string;
  /** The incident a runbook or webhook named (`{id, url}`). */
  incident?: { id: string; url?: string };
}

/**
 * The audit trail: one event per step, logged under module "audit" and fed to the metrics. A typed union, so
 * a consumer (metrics, a test, a log query) can rely on each event's fields.
 */
export type AuditEvent =
  | ({ event: 'requested'; user: string; via: string; rules: string[] } & RequestFields)
  | {
      event: 'denied';
      step: Step;
      failed: DenialPart;
      user: string;
      channel: string;
      action?: CampaignAction;
      requestId?: string;
    }
  | ({ event: 'approved'; user: string; via: string; approvals: number; of: number } & RequestFields)
  | ({ event: 'confirmed'; user: string; via: string } & RequestFields)
  | ({ event: 'cancelled'; user: string } & RequestFields)
  /** A PAUSE "for a while": its scheduled RESUME called off ("Keep paused") or brought forward ("Resume now"). */
  | ({ event: 'resume_kept' | 'resume_brought_forward'; user: string; via: string } & RequestFields)
  | ({ event: 'expired' } & RequestFields)
  | ({
      event: 'executed';
      user: string | undefined;
      moengageRequestId: string;
      attempt: number;
      status: number | undefined;
      errorKind: string | undefined;
      ms: number;
    } & RequestFields)
  | ({
      event: 'completed';
      user: string | undefined;
      outcome: 'done' | 'crashed';
      applied: number;
      failed: number;
      /** Sent without an answer or lookup saying whether they were applied (absent in older events). */
      uncertain?: number;
      moengageRequests: number;
      elapsedMs: number;
    } & RequestFields);

export type AuditSink = (event: AuditEvent) => void;
