import type { Actor } from '../../core/access.ts';
import type { CampaignAction } from '../../core/actions.ts';
import type { Outcome } from '../../core/outcomes.ts';
import type { Deduper } from '../../core/ports.ts';
import type { ProposalRules } from '../../core/proposal.ts';
import type { FollowUpKind } from '../../core/request.ts';
import type { Lifecycle } from '../../lifecycle/contract.ts';
import type { Logger } from '../../logger.ts';
import type { SlackPort } from '../../slack/port.ts';
import { reminderAnswered } from '../../slack/views/schedule-view.ts';
import { createCampaignCommand } from './campaign-command.ts';
import { createDecisionAction } from './decision-action.ts';
import { createFollowUpAction, FOLLOW_UP_FAILED, SCHEDULE_FAILED } from './follow-up-action.ts';
import { createGroupChanged } from './group-events.ts';
import { createHome } from './home.ts';
import type { Listeners } from './index.ts';
import { createLinkShared, createUnfurlAction } from './link-unfurls.ts';
import { createMessageShortcut } from './message-shortcut.ts';
import { createPicker } from './picker.ts';
import type { FailureWords } from './respond.ts';
import { createStepClose } from './step-close.ts';
import { createUnhandledErrorReply } from './unhandled.ts';
import { createWorkflowStep } from './workflow-step.ts';

/** What the Slack door is given besides the lifecycle: the Slack port and its part of the config. */
export interface SlackListenerDeps {
  slack: SlackPort;
  logger: Logger;
  dedupe: Deduper;
  proposalRules: ProposalRules;
  onCommand: Parameters<typeof createCampaignCommand>[0]['onOutcome'];
  timeZone: string;
  invalidateGroups: (groupId: string) => void;
  now?: () => number;
  /** Slack's life of a Workflow step's token (Timings.stepTokenLifeMs). */
  stepTokenLifeMs?: number;
  /** How long the picker's submissions and options requests wait for the lifecycle (Slack waits 3 s). */
  pickerAnswerMs?: number;
}

/** A reminder's buttons, once one did something: what was chosen, in their place. */
function reminderAnswer(outcome: Outcome, by: string) {
  return outcome.kind === 'schedule_changed' ? reminderAnswered(outcome.change, by) : undefined;
}

/**
 * The Slack door over the lifecycle: its handlers, one for each id of the registration table (index.ts), which
 * the composition root registers; Bolt's error sink (`app.error`), which tells the person of an error no handler
 * caught; and the Home tab's redraws, which live as long as the bot (`close`).
 */
export function slackListeners(
  lifecycle: Lifecycle,
  deps: SlackListenerDeps,
): { listeners: Listeners; onError: ReturnType<typeof createUnhandledErrorReply>; close(): void } {
  const { slack, logger, dedupe } = deps;
  const followUp = (kind: FollowUpKind) => (id: string, actor: Actor) => lifecycle.followUp(id, kind, actor);
  const schedule = (what: 'now' | 'keep') => (id: string, actor: Actor) =>
    lifecycle.changeSchedule(id, what, actor);
  const home = createHome({ home: lifecycle.home, slack, onChange: lifecycle.onChange, logger });
  // A click on the Home tab has no channel to answer in: its Home is drawn again with the answer on it.
  const homeNotice = (userId: string, text: string | undefined) => home.refresh(userId, text);
  const { stepTokenLifeMs } = deps;
  const decision = (kind: 'confirm' | 'cancel', decide: Lifecycle['approve'] | Lifecycle['cancel']) =>
    createDecisionAction({ kind, decide, slack, logger, dedupe, homeNotice, stepTokenLifeMs });
  // Given the whole lifecycle: each listener looks up what it calls when it is called.
  const picker = createPicker({
    lifecycle,
    slack,
    logger,
    timeZone: deps.timeZone,
    now: deps.now,
    answerWithinMs: deps.pickerAnswerMs,
  });
  const unfurlAction = (action: CampaignAction) =>
    createUnfurlAction({ action, lifecycle, picker, slack, logger, dedupe });
  const button = (
    press: (id: string, actor: Actor) => Promise<Outcome>,
    failed: FailureWords,
    answered?: typeof reminderAnswer,
  ) => createFollowUpAction({ press, failed, slack, logger, dedupe, answered });
  const listeners: Listeners = {
    campaignCommand: createCampaignCommand({
      lifecycle,
      slack,
      // No groups at the acknowledgement: which ones a person may name is the policy's to say, after it.
      rules: deps.proposalRules,
      picker,
      logger,
      onOutcome: deps.onCommand,
      dedupe,
      timeZone: deps.timeZone,
      now: deps.now,
    }),
    // Looked up at each click, as every other button here does: the door takes of the lifecycle only what it calls.
    confirm: decision('confirm', (...click) => lifecycle.approve(...click)),
    cancel: decision('cancel', (...click) => lifecycle.cancel(...click)),
    stepClose: createStepClose({ slack, logger }),
    retryFailed: button(followUp('retry'), FOLLOW_UP_FAILED),
    undo: button(followUp('undo'), FOLLOW_UP_FAILED),
    resumeNow: button(schedule('now'), SCHEDULE_FAILED, reminderAnswer),
    keepPaused: button(schedule('keep'), SCHEDULE_FAILED, reminderAnswer),
    workflowStep: createWorkflowStep({ lifecycle, dedupe, logger, tokenLifeMs: stepTokenLifeMs }),
    groupChanged: createGroupChanged({ invalidate: deps.invalidateGroups, logger }),
    homeOpened: home.opened,
    pickerOptions: picker.options,
    pickerSubmit: picker.submit,
    actOnMessage: createMessageShortcut({ lifecycle, picker, slack, logger, dedupe }),
    linkShared: createLinkShared({ lifecycle, slack, logger, dedupe, now: deps.now }),
    unfurlPause: unfurlAction('PAUSE'),
    unfurlResume: unfurlAction('RESUME'),
    unfurlStop: unfurlAction('STOP'),
  };
  return { listeners, onError: createUnhandledErrorReply({ slack, logger }), close: () => home.close() };
}
