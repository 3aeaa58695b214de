import type {
  AllMiddlewareArgs,
  SlackOptionsMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import type { Logger } from 'pino';
import type { Actor } from '../../core/access.ts';
import type { CampaignAction } from '../../core/actions.ts';
import type { CatalogEntry } from '../../core/catalog.ts';
import { plainWords } from '../../core/outcome-words.ts';
import type { Outcome } from '../../core/outcomes.ts';
import type { Lifecycle } from '../../lifecycle/contract.ts';
import type { SlackPort } from '../../slack/port.ts';
import { outcomeText } from '../../slack/views/outcome-text.ts';
import {
  MAX_OPTIONS,
  PICKER_BLOCKS,
  pickerAnswer,
  pickerModal,
  readPauseFor,
  readPicker,
} from '../../slack/views/picker-view.ts';
import { type FailureWords, failureText, guarded } from './respond.ts';

export interface PickerDeps {
  lifecycle: Pick<Lifecycle, 'propose' | 'findCampaigns'>;
  slack: Pick<SlackPort, 'openView' | 'postEphemeral'>;
  logger: Logger;
  timeZone?: string;
  now?: () => number;
  /**
   * How long a submission or an options request waits for the lifecycle before Slack is answered anyway (Slack
   * waits 3 s for both; the rest of the time is the network's). A proposal still under way then closes the modal
   * and tells its outcome to the person in the channel.
   */
  answerWithinMs?: number;
}

/** What a picker opens with: whose and where, and what is known already. */
export interface PickerAsk {
  triggerId: string;
  actor: Actor;
  channelId: string;
  action?: CampaignAction | undefined;
  reason?: string | undefined;
  /** The pause-for field as typed (`2h`, `until 18:00`). */
  pauseFor?: string | undefined;
  chosen?: readonly CatalogEntry[];
  candidates?: readonly CatalogEntry[];
  note?: string;
  /** The catalog has no full copy yet (its answer said so). */
  loading: boolean;
}

const ANSWER_WITHIN_MS = 2_000;

/** A submission that failed before its request was stored proposed nothing. */
const PICKED_FAILED: FailureWords = {
  could: 'record the request',
  unchanged: 'Nothing was proposed and nothing was sent to MoEngage; press Propose again in a moment',
  unknown: 'Look in the channel before proposing again; if it keeps failing, check the bot logs',
};

/** The answer of `work`, or undefined once `ms` have passed (the work goes on; its answer is not waited for). */
export async function within<T>(ms: number, work: Promise<T>): Promise<{ value: T } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work.then((value) => ({ value })), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The campaign picker as the Slack door runs it: opened (by a command without campaigns, a typed name that
 * matched several, a message shortcut, an unfurl's button that needs a reason), its options answered from the
 * catalog as the person types, and its submission proposed in the channel it carries, through the same policy
 * and confirmation as a typed command (the lifecycle checks that channel again: private_metadata is never
 * trusted alone).
 */
export function createPicker(deps: PickerDeps) {
  const log = deps.logger.child({ module: 'picker' });
  const answerWithinMs = deps.answerWithinMs ?? ANSWER_WITHIN_MS;

  /** Opens the picker; false when Slack refused (the trigger expired or was used): the caller says it in words. */
  async function open(ask: PickerAsk): Promise<boolean> {
    const view = pickerModal({
      channelId: ask.channelId,
      action: ask.action,
      chosen: ask.chosen ?? [],
      candidates: ask.candidates ?? [],
      loading: ask.loading,
      ...(ask.note ? { note: ask.note } : {}),
      ...(ask.reason ? { reason: ask.reason } : {}),
      ...(ask.pauseFor ? { pauseFor: ask.pauseFor } : {}),
    });
    try {
      await deps.slack.openView(ask.triggerId, view);
      return true;
    } catch (error) {
      log.info({ err: error instanceof Error ? error.message : String(error) }, 'picker not opened');
      return false;
    }
  }

  /** An options request: what the person typed, searched in the catalog for them in the picker's channel. */
  async function options({
    ack,
    body,
  }: SlackOptionsMiddlewareArgs<'block_suggestion'> & AllMiddlewareArgs): Promise<void> {
    const started = performance.now();
    const channelId = body.view ? readPicker(body.view).channelId : undefined;
    let answer: Awaited<ReturnType<PickerDeps['lifecycle']['findCampaigns']>> | undefined;
    if (channelId) {
      try {
        const found = await within(
          answerWithinMs,
          deps.lifecycle.findCampaigns({
            actor: { kind: 'user', id: body.user.id },
            channelId,
            query: body.value ?? '',
            limit: MAX_OPTIONS,
          }),
        );
        answer = found?.value;
      } catch (error) {
        log.warn({ err: error instanceof Error ? error.message : String(error) }, 'options not found');
      }
    }
    // A refusal (not in the policy here), no catalog, or no answer in time: no options, and nothing else said.
    const reply =
      answer?.kind === 'campaigns' ? pickerAnswer(answer.entries, answer.loading) : { options: [] };
    await ack(reply as never);
    log.debug(
      { ms: Math.round(performance.now() - started), answer: answer?.kind ?? 'none' },
      'options answered',
    );
  }

  /** A submission: checked, proposed, and answered on the modal (a refusal on its field) or by closing it. */
  async function submit({
    ack,
    body,
    view,
  }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs): Promise<void> {
    const read = readPicker(view);
    const userId = body.user.id;
    const refuse = (block: string, text: string) =>
      ack({ response_action: 'errors', errors: { [block]: text } });
    if (!read.channelId)
      return refuse(PICKER_BLOCKS.action, 'This form lost its channel: run the command again.');
    const action = read.action?.toUpperCase();
    if (!action) return refuse(PICKER_BLOCKS.action, 'Choose what to do.');
    if (read.campaignIds.length === 0)
      return refuse(PICKER_BLOCKS.campaigns, 'Choose at least one campaign.');
    const pauseFor = readPauseFor(read.pauseFor, action, deps.now?.() ?? Date.now(), deps.timeZone);
    if (!pauseFor.ok) return refuse(PICKER_BLOCKS.pauseFor, pauseFor.message);

    const channelId = read.channelId;
    const tell = (text: string) => deps.slack.postEphemeral(channelId, userId, text);
    const proposing = deps.lifecycle.propose({
      actor: { kind: 'user', id: userId },
      action,
      ids: read.campaignIds,
      reason: read.reason,
      channelId,
      origin: { kind: 'slack_picker' },
      ...(pauseFor.value ? { schedule: pauseFor.value } : {}),
    });
    let answered: { value: Outcome } | undefined;
    try {
      answered = await within(answerWithinMs, proposing);
    } catch (error) {
      // Failed before anything was proposed (the storage, most likely): said on the form, which stays open.
      log.error({ err: error instanceof Error ? error.message : String(error) }, 'picker proposal failed');
      return refuse(PICKER_BLOCKS.campaigns, failureText(error, PICKED_FAILED).replace(/`/g, ''));
    }
    if (answered) {
      const block = fieldOf(answered.value);
      if (block) return refuse(block, plainWords(answered.value));
      await ack();
      return;
    }
    // Still under way (a busy channel, a slow policy look-up): the modal closes, the outcome comes in the channel.
    await ack();
    await guarded(log, tell, PICKED_FAILED, async () => outcomeText(await proposing));
  }

  return { open, options, submit };
}

/** The field a proposal's refusal is shown on; undefined when it was proposed (the modal closes). */
function fieldOf(o: Outcome): string | undefined {
  if (o.kind === 'proposed' || o.kind === 'running') return undefined;
  if (o.kind === 'invalid_input' && o.field === 'action') return PICKER_BLOCKS.action;
  if (o.kind === 'invalid_input' && o.field === 'reason') return PICKER_BLOCKS.reason;
  return PICKER_BLOCKS.campaigns;
}

export type Picker = ReturnType<typeof createPicker>;
