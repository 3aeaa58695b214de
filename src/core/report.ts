import type { CampaignAction, CampaignOutcome } from './actions.ts';

/** What one status change did, campaign by campaign: what the executor returns and every door shows. */
export interface StatusChangeReport {
  action: CampaignAction;
  outcomes: CampaignOutcome[];
  applied: number;
  failed: number;
  /** Sent, but whether MoEngage applied them is not known (see CampaignOutcome's `uncertain`). */
  uncertain?: number;
  /** HTTP requests sent to MoEngage, retries and failure isolation included. */
  requests: number;
  /** Every send, in order: what went in it and what came back (for the audit trail). */
  sends: SendRecord[];
  elapsedMs: number;
}

export interface SendRecord {
  requestId: string;
  campaignIds: string[];
  attempt: number;
  /** HTTP status, or undefined when no response came. */
  status: number | undefined;
  errorKind: string | undefined;
  ms: number;
}
