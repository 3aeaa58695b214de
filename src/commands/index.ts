import type { App, BlockButtonAction } from '@slack/bolt';
import { CANCEL_ACTION_ID, CONFIRM_ACTION_ID } from '../slack/messages.ts';
import type { createCampaignCommand } from './campaign-command.ts';
import type { createDecisionAction } from './decision-action.ts';

/** Every Slack surface the bot registers. A test checks this list against manifest.yml, both ways. */
export const SLACK_SURFACES = {
  commands: ['/campaign'],
  actions: [CONFIRM_ACTION_ID, CANCEL_ACTION_ID],
} as const;

export interface Listeners {
  campaignCommand: ReturnType<typeof createCampaignCommand>;
  confirm: ReturnType<typeof createDecisionAction>;
  cancel: ReturnType<typeof createDecisionAction>;
}

/** The registration file: ids to handlers, nothing else. */
export function registerListeners(app: App, listeners: Listeners): void {
  app.command('/campaign', listeners.campaignCommand);
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: CONFIRM_ACTION_ID }, listeners.confirm);
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: CANCEL_ACTION_ID }, listeners.cancel);
}
