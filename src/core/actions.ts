/** The three status changes MoEngage's campaign status API takes; every door and rule speaks of these. */
export const CAMPAIGN_ACTIONS = ['PAUSE', 'RESUME', 'STOP'] as const;
export type CampaignAction = (typeof CAMPAIGN_ACTIONS)[number];

export function isCampaignAction(value: string): value is CampaignAction {
  return (CAMPAIGN_ACTIONS as readonly string[]).includes(value);
}

/** What happened to one campaign id. Every id handed to the client gets exactly one of these. */
export type CampaignOutcome =
  | { campaignId: string; status: 'applied'; requestId: string; attempts: number }
  | {
      campaignId: string;
      status: 'failed';
      /** The request the id last went in; undefined when it was never sent (e.g. credentials already refused). */
      requestId: string | undefined;
      attempts: number;
      error: { kind: string; httpStatus: number | undefined; code: string | undefined; message: string };
    };
