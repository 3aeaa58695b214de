/** The three status changes MoEngage's campaign status API takes; every door and rule speaks of these. */
export const CAMPAIGN_ACTIONS = ['PAUSE', 'RESUME', 'STOP'] as const;
export type CampaignAction = (typeof CAMPAIGN_ACTIONS)[number];

export function isCampaignAction(value: string): value is CampaignAction {
  return (CAMPAIGN_ACTIONS as readonly string[]).includes(value);
}
