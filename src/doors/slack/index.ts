import type { App, BlockButtonAction } from '@slack/bolt';
import {
  CANCEL_ACTION_ID,
  CLOSE_STEP_ACTION_ID,
  CONFIRM_ACTION_ID,
  RETRY_ACTION_ID,
  UNDO_ACTION_ID,
} from '../../slack/views/messages.ts';
import { KEEP_PAUSED_ACTION_ID, RESUME_NOW_ACTION_ID } from '../../slack/views/schedule-view.ts';
import type { createCampaignCommand } from './campaign-command.ts';
import type { createDecisionAction } from './decision-action.ts';
import type { createFollowUpAction } from './follow-up-action.ts';
import type { createGroupChanged } from './group-events.ts';
import type { createHome } from './home.ts';
import type { createStepClose } from './step-close.ts';
import { type createWorkflowStep, WORKFLOW_STEP_ID } from './workflow-step.ts';

export interface Listeners {
  campaignCommand: ReturnType<typeof createCampaignCommand>;
  confirm: ReturnType<typeof createDecisionAction>;
  cancel: ReturnType<typeof createDecisionAction>;
  workflowStep: ReturnType<typeof createWorkflowStep>;
  groupChanged: ReturnType<typeof createGroupChanged>;
  stepClose: ReturnType<typeof createStepClose>;
  retryFailed: ReturnType<typeof createFollowUpAction>;
  undo: ReturnType<typeof createFollowUpAction>;
  resumeNow: ReturnType<typeof createFollowUpAction>;
  keepPaused: ReturnType<typeof createFollowUpAction>;
  homeOpened: ReturnType<typeof createHome>['opened'];
}

/** Every Slack surface the bot has: ids to listeners. A test checks what this registers against manifest.yml. */
export const COMMANDS = { '/campaign': 'campaignCommand' } as const satisfies Record<string, keyof Listeners>;
export const BUTTON_ACTIONS = {
  [CONFIRM_ACTION_ID]: 'confirm',
  [CANCEL_ACTION_ID]: 'cancel',
  [CLOSE_STEP_ACTION_ID]: 'stepClose',
  [RETRY_ACTION_ID]: 'retryFailed',
  [UNDO_ACTION_ID]: 'undo',
  [RESUME_NOW_ACTION_ID]: 'resumeNow',
  [KEEP_PAUSED_ACTION_ID]: 'keepPaused',
} as const satisfies Record<string, keyof Listeners>;

/** Workflow Builder custom steps (manifest `functions`). */
export const FUNCTIONS = { [WORKFLOW_STEP_ID]: 'workflowStep' } as const satisfies Record<
  string,
  keyof Listeners
>;

/** Events API events besides function_executed (manifest `bot_events`). */
export const EVENTS = {
  subteam_members_changed: 'groupChanged',
  subteam_updated: 'groupChanged',
  app_home_opened: 'homeOpened',
} as const satisfies Record<string, keyof Listeners>;

/** The part of Bolt's App the registration uses (so a test can record what gets registered). */
export type Registrar = Pick<App, 'command' | 'action' | 'function' | 'event'>;

/** The registration file: ids to handlers, nothing else. */
export function registerListeners(app: Registrar, listeners: Listeners): void {
  for (const [command, key] of Object.entries(COMMANDS)) app.command(command, listeners[key]);
  for (const [actionId, key] of Object.entries(BUTTON_ACTIONS)) {
    app.action<BlockButtonAction>({ type: 'block_actions', action_id: actionId }, listeners[key]);
  }
  for (const [callbackId, key] of Object.entries(FUNCTIONS)) app.function(callbackId, listeners[key]);
  for (const [event, key] of Object.entries(EVENTS)) app.event(event, listeners[key] as never);
}
