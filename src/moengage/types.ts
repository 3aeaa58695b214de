export { CAMPAIGN_ACTIONS, type CampaignAction } from '../core/actions.ts';

/** At most this many campaign ids go in one status request (MoEngage's documented limit). */
export const MAX_IDS_PER_REQUEST = 10;

export type { CampaignOutcome } from '../core/actions.ts';

export type { SendRecord, StatusChangeReport } from '../core/report.ts';
