import type { HistoryEntry } from './history.ts';
import type { CampaignActionRequest } from './request.ts';

/** What a person's App Home shows: each list bounded, each item one the policy lets them see. */
export interface HomeData {
  /** Pending requests this person may approve now (the policy's approve step says yes). */
  approvals: CampaignActionRequest[];
  /** Their own requests of the last seven days, newest first (from the audit trail). */
  recent: HistoryEntry[];
  freezes: CampaignActionRequest[];
  /** PAUSEs "for a while" whose RESUME is still to come. */
  scheduled: { request: CampaignActionRequest; at: number; ids: number }[];
  quota: { minute: number; perMinute: number } | undefined;
}
