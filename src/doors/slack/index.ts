import type { App, BlockButtonAction, MessageShortcut } from '@slack/bolt';
import {
  CANCEL_ACTION_ID,
  CLOSE_STEP_ACTION_ID,
  CONFIRM_ACTION_ID,
  RETRY_ACTION_ID,
  UNDO_ACTION_ID,
} from '../../slack/views/messages.ts';
import {
  PICKER_CALLBACK_ID,
  PICKER_SEARCH_ACTION_ID,
  UNFURL_ACTION_IDS,
} from '../../slack/views/picker-view.ts';
import { KEEP_PAUSED_ACTION_ID, RESUME_NOW_ACTION_ID } from '../../slack/views/schedule-view.ts';
import type { createCampaignCommand } from './campaign-command.ts';
import type { createDecisionAction } from './decision-action.ts';
import type { createFollowUpAction } from './follow-up-action.ts';
import type { createGroupChanged } from './group-events.ts';
import type { createHome } from './home.ts';
import type { createLinkShared, createUnfurlAction } from './link-unfurls.ts';
import { ACT_ON_MESSAGE_ID, type createMessageShortcut } from './message-shortcut.ts';
import type { Picker } from './picker.ts';
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
  pickerOptions: Picker['options'];
  pickerSubmit: Picker['submit'];
  actOnMessage: ReturnType<typeof createMessageShortcut>;
  linkShared: ReturnType<typeof createLinkShared>;
  unfurlPause: ReturnType<typeof createUnfurlAction>;
  unfurlResume: ReturnType<typeof createUnfurlAction>;
  unfurlStop: ReturnType<typeof createUnfurlAction>;
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
  [UNFURL_ACTION_IDS.PAUSE]: 'unfurlPause',
  [UNFURL_ACTION_IDS.RESUME]: 'unfurlResume',
  [UNFURL_ACTION_IDS.STOP]: 'unfurlStop',
} as const satisfies Record<string, keyof Listeners>;

/** External selects whose options the bot answers as the person types (manifest `message_menu_options_url`). */
export const OPTIONS = { [PICKER_SEARCH_ACTION_ID]: 'pickerOptions' } as const satisfies Record<
  string,
  keyof Listeners
>;

/** Modals whose submission the bot answers (`view_submission`, by callback_id). */
export const VIEWS = { [PICKER_CALLBACK_ID]: 'pickerSubmit' } as const satisfies Record<
  string,
  keyof Listeners
>;

/** Message shortcuts (manifest `features.shortcuts`, type message). */
export const MESSAGE_SHORTCUTS = { [ACT_ON_MESSAGE_ID]: 'actOnMessage' } as const satisfies Record<
  string,
  keyof Listeners
>;

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
  link_shared: 'linkShared',
} as const satisfies Record<string, keyof Listeners>;

/** The scope an event needs beyond what the Web API methods the bot calls need (manifest `oauth_config`). */
export const SCOPES_BY_EVENT: Partial<Record<keyof typeof EVENTS, string>> = { link_shared: 'links:read' };

/** The part of Bolt's App the registration uses (so a test can record what gets registered). */
export type Registrar = Pick<
  App,
  'command' | 'action' | 'function' | 'event' | 'options' | 'view' | 'shortcut'
>;

/** The registration file: ids to handlers, nothing else. */
export function registerListeners(app: Registrar, listeners: Listeners): void {
  for (const [command, key] of Object.entries(COMMANDS)) app.command(command, listeners[key]);
  for (const [actionId, key] of Object.entries(BUTTON_ACTIONS)) {
    app.action<BlockButtonAction>({ type: 'block_actions', action_id: actionId }, listeners[key]);
  }
  for (const [callbackId, key] of Object.entries(FUNCTIONS)) app.function(callbackId, listeners[key]);
  for (const [event, key] of Object.entries(EVENTS)) app.event(event, listeners[key] as never);
  for (const [actionId, key] of Object.entries(OPTIONS)) {
    app.options({ type: 'block_suggestion', action_id: actionId }, listeners[key] as never);
  }
  for (const [callbackId, key] of Object.entries(VIEWS)) {
    app.view({ type: 'view_submission', callback_id: callbackId }, listeners[key] as never);
  }
  for (const [callbackId, key] of Object.entries(MESSAGE_SHORTCUTS)) {
    app.shortcut<MessageShortcut>({ type: 'message_action', callback_id: callbackId }, listeners[key]);
  }
}
