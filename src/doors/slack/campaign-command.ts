import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { Logger } from 'pino';
import { type ParsedCommand, parseCampaignCommand, USAGE } from '../../commands/parse.ts';
import type { FreezeAnswer } from '../../core/freeze.ts';
import type { Deduper } from '../../core/ports.ts';
import type { ProposalRules } from '../../core/proposal.ts';
import type { Lifecycle } from '../../lifecycle/contract.ts';
import type { SlackPort } from '../../slack/port.ts';
import { campaignStatusText } from '../../slack/views/campaign-view.ts';
import { freezeAnswerText } from '../../slack/views/freeze-view.ts';
import { historyText } from '../../slack/views/history-view.ts';
import { groupsList } from '../../slack/views/messages.ts';
import { escapeMrkdwn } from '../../slack/views/mrkdwn.ts';
import { outcomeText } from '../../slack/views/outcome-text.ts';
import { type PickAnswer, pickAmong, pickWhich } from './command-picker.ts';
import type { Picker } from './picker.ts';
import { type FailureWords, firstDelivery, guarded } from './respond.ts';

export interface CampaignCommandDeps {
  lifecycle: Pick<
    Lifecycle,
    'propose' | 'listGroups' | 'status' | 'history' | 'freeze' | 'unfreeze' | 'findCampaigns'
  >;
  /** The campaign picker: asked for when a command names no campaign, or a name that matched several. */
  picker: Pick<Picker, 'open'>;
  /** Where the answer goes when the command's response_url no longer takes it (expired, or used 5 times). */
  slack: Pick<SlackPort, 'postEphemeral'>;
  rules: ProposalRules;
  logger: Logger;
  /** Drops a repeated delivery of the same command (same trigger_id), across replicas. */
  dedupe?: Deduper;
  /** TIME_ZONE: the wall clock of `until 18:00`. */
  timeZone?: string;
  now?: () => number;
  onOutcome?: (outcome: 'requested' | 'help' | 'bad_input' | 'denied' | 'failed') => void;
}

/** A command that proposes (pause, resume, stop, freeze, unfreeze) and failed before storing it proposed nothing. */
export const COMMAND_FAILED: FailureWords = {
  // The same words as the lifecycle's own "unavailable" outcome (a store.create that failed).
  could: 'record the request',
  unchanged: 'Nothing was proposed and nothing was sent to MoEngage; try again in a moment',
  unknown: 'Look in the channel before running it again; if it keeps failing, check the bot logs',
};
/** `/campaign status`, `history`, `groups` change nothing. */
const READ_FAILED: FailureWords = {
  could: 'answer that',
  unchanged: 'Nothing was changed; run the command again in a moment',
};

/**
 * `/campaign` and its subcommands (the table in commands/subcommands.ts; HANDLERS below does each). Input errors
 * and help go back in the acknowledgement itself (no extra call, instant); anything else is acknowledged at once
 * and then answered via response_url.
 */
export function createCampaignCommand(deps: CampaignCommandDeps) {
  const log = deps.logger.child({ module: 'command' });
  return async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const parsed = parseCampaignCommand(command.text ?? '', deps.rules, {
      now: deps.now?.() ?? Date.now(),
      timeZone: deps.timeZone ?? 'UTC',
    });
    const actor = { kind: 'user', id: command.user_id } as const;
    if (parsed.kind === 'help') {
      deps.onOutcome?.('help');
      await ack({ response_type: 'ephemeral', text: USAGE });
      return;
    }
    if (parsed.kind === 'error') {
      deps.onOutcome?.('bad_input');
      log.info({ user: command.user_id, channel: command.channel_id }, 'command refused: bad input');
      await ack({ response_type: 'ephemeral', text: parsed.message });
      return;
    }
    await ack();
    // The response_url expires after 30 min and takes 5 posts; past that, an ephemeral message says the same.
    const tell = async (text: string) => {
      try {
        await respond({ response_type: 'ephemeral', replace_original: false, text });
      } catch (error) {
        log.info(
          { err: error instanceof Error ? error.message : String(error) },
          'response_url refused; posting ephemeral',
        );
        await deps.slack.postEphemeral(command.channel_id, command.user_id, text);
      }
    };
    const handler = handlerOf(parsed.kind, parsed);
    // Not awaited: Bolt's listener ends with the acknowledgement, so a proposal waiting for its turn in a busy
    // channel (2,000 in one channel take half an hour at Slack's pace) holds only its own few fields, not Bolt's
    // request, response and middleware chain (about a sixth of the memory of a backlog, measured).
    const work = guarded(log, tell, handler.failed, async () => {
      if (!(await firstDelivery(deps.dedupe, `command:${command.trigger_id}`, log))) {
        log.info(
          { user: command.user_id, triggerId: command.trigger_id },
          'repeated command delivery ignored',
        );
        return undefined;
      }
      return handler.run({ actor, channelId: command.channel_id, triggerId: command.trigger_id, deps });
    });
    void work.then((ok) => {
      if (!ok) deps.onOutcome?.('failed');
    });
  };
}

/** A subcommand answered after the acknowledgement (help and refused input are answered in it). */
type Answered = Exclude<ParsedCommand['kind'], 'help' | 'error'>;
type ByKind = { [K in Answered]: Extract<ParsedCommand, { kind: K }> };
interface Asked {
  actor: { kind: 'user'; id: string };
  channelId: string;
  /** The command's trigger_id: the picker opens with it (within 3 s of the command). */
  triggerId: string;
  deps: CampaignCommandDeps;
}

/** What the door does with each subcommand of the table (commands/subcommands.ts), by its kind. */
interface CommandHandler<K extends Answered> {
  /** What a failure before the answer says: a read changed nothing, a proposal proposed nothing. */
  failed: FailureWords;
  /** The answer, in mrkdwn (undefined: nothing more to say). */
  run(parsed: ByKind[K], asked: Asked): Promise<string | undefined>;
}

/** One for every kind the parser answers with: the compiler asks for a handler when a subcommand is added. */
const HANDLERS: { [K in Answered]: CommandHandler<K> } = {
  request: {
    failed: COMMAND_FAILED,
    async run(parsed, { actor, channelId, triggerId, deps }) {
      const asker = { actor, channelId, triggerId };
      // No campaign named: the picker asks which.
      if (parsed.tokens.length === 0) return picked(await pickWhich(deps, parsed, asker), deps);
      const outcome = await deps.lifecycle.propose({
        actor,
        action: parsed.action,
        ids: parsed.tokens,
        reason: parsed.reason,
        channelId,
        origin: { kind: 'slash_command' },
        schedule: parsed.pauseFor,
      });
      // A name that matched several: the picker offers them (nothing was proposed).
      if (outcome.kind === 'choose_campaigns')
        return picked(await pickAmong(deps, parsed, asker, outcome), deps);
      const ok = outcome.kind === 'proposed' || outcome.kind === 'running';
      deps.onOutcome?.(ok ? 'requested' : outcome.kind === 'denied' ? 'denied' : 'failed');
      return outcomeText(outcome);
    },
  },
  history: {
    failed: READ_FAILED,
    async run(parsed, { actor, channelId, deps }) {
      const answer = await deps.lifecycle.history({
        actor,
        ids: parsed.tokens,
        channelId,
        sinceMs: parsed.sinceMs,
      });
      deps.onOutcome?.(answer.kind === 'denied' ? 'denied' : 'help');
      if (answer.kind === 'history') return historyText(answer.entries, answer.total, answer.sinceMs);
      if (answer.kind === 'history_unavailable')
        return 'No audit trail is kept where this bot runs (it keeps one in SQLite or Redis).';
      return outcomeText(answer);
    },
  },
  status: {
    failed: READ_FAILED,
    async run(parsed, { actor, channelId, deps }) {
      const answer = await deps.lifecycle.status({ actor, ids: parsed.tokens, channelId });
      deps.onOutcome?.(answer.kind === 'denied' ? 'denied' : 'help');
      if (answer.kind === 'campaign_status') return campaignStatusText(answer.ids, answer.found);
      if (answer.kind === 'lookup_off')
        return 'Campaign lookups are turned off for this bot (`CAMPAIGN_LOOKUP=off`).';
      if (answer.kind === 'lookup_unavailable')
        return `Could not look the campaigns up in MoEngage: ${escapeMrkdwn(answer.message)}`;
      return outcomeText(answer);
    },
  },
  freeze: {
    failed: COMMAND_FAILED,
    async run(parsed, { actor, channelId, deps }) {
      const reason = parsed.reason ? { reason: parsed.reason } : {};
      return freezeAnswered(
        await deps.lifecycle.freeze({ actor, scope: parsed.scope, channelId, ...reason }),
        deps,
      );
    },
  },
  unfreeze: {
    failed: COMMAND_FAILED,
    async run(parsed, { actor, channelId, deps }) {
      return freezeAnswered(await deps.lifecycle.unfreeze({ actor, scope: parsed.scope, channelId }), deps);
    },
  },
  groups: {
    failed: READ_FAILED,
    async run(_parsed, { actor, channelId, deps }) {
      const listed = await deps.lifecycle.listGroups(channelId, actor);
      deps.onOutcome?.(listed.kind === 'groups' ? 'help' : 'denied');
      return listed.kind === 'groups' ? groupsList(listed.groups) : outcomeText(listed);
    },
  },
};

/** A command answered with the picker (or, when it could not open, in words): counted, and what to tell. */
function picked(answer: PickAnswer, deps: CampaignCommandDeps): string | undefined {
  deps.onOutcome?.(answer.counted);
  return answer.text;
}

/** A freeze or an unfreeze: counted as a request, refused or failed, and its words. */
function freezeAnswered(answer: FreezeAnswer, deps: CampaignCommandDeps): string | undefined {
  const ok = answer.kind === 'proposed' || answer.kind === 'running';
  const denied = answer.kind === 'denied' || answer.kind === 'freeze_scope_denied';
  deps.onOutcome?.(ok ? 'requested' : denied ? 'denied' : 'failed');
  return freezeAnswerText(answer);
}

/** The parsed command's handler, bound to it (kind and parsed apart, so TypeScript pairs them through the table). */
function handlerOf<K extends Answered>(
  kind: K,
  parsed: ByKind[K],
): { failed: FailureWords; run(asked: Asked): Promise<string | undefined> } {
  const handler = HANDLERS[kind];
  return { failed: handler.failed, run: (asked) => handler.run(parsed, asked) };
}
