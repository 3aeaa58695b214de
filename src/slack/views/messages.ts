import { sendableIds } from '../../core/campaign-info.ts';
import { INVERSE } from '../../core/follow-up.ts';
import type { StatusChangeReport } from '../../core/report.ts';
import { approvalProgress, type CampaignActionRequest } from '../../core/request.ts';
import { runProgress } from '../../core/run-journal.ts';
import {
  type Block,
  button,
  context,
  mention,
  packLines,
  plural,
  SECTION_CHARS,
  type SlackMessage,
  section,
  VERB,
} from './blocks.ts';
import { campaignLine, lookupLine, TABLE_ON_MESSAGE } from './campaign-view.ts';
import { freezeLine } from './freeze-view.ts';
import { escapeMrkdwn, quoteUserText, slackDate } from './mrkdwn.ts';
import { countsOf, progressText, summaryText } from './results.ts';
import { pauseForLine } from './schedule-view.ts';

/** Block Kit builders: plain data in, plain data out. Every id and message from outside is escaped. */

export const CONFIRM_ACTION_ID = 'campaign_confirm';
export const CANCEL_ACTION_ID = 'campaign_cancel';
export const CLOSE_STEP_ACTION_ID = 'campaign_step_close';
export const RETRY_ACTION_ID = 'campaign_retry_failed';
export const UNDO_ACTION_ID = 'campaign_undo';

function title(request: CampaignActionRequest): string {
  const v = VERB[request.action];
  return `${v.icon} *${v.base} ${plural(request.campaignIds.length, 'MoEngage campaign')}*`;
}

/**
 * The ids as sections. Past ID_CHARS (which keeps the whole message under Slack's ~13,200-character limit for
 * blocks) the rest are counted, not shown, and `idListReplies` puts the complete list in the thread.
 */
function idBlocks(request: CampaignActionRequest): Block[] {
  const lookup = request.lookup;
  if (lookup?.state === 'done' && request.campaignIds.length <= TABLE_ON_MESSAGE) {
    const lines = request.campaignIds.map((id) => campaignLine(request.action, id, lookup));
    const blocks = packLines(lines).map(section);
    if (request.reason) blocks.push(section(`*Reason:* ${quoteUserText(request.reason, 500)}`));
    return blocks;
  }
  const { shown, hidden } = visibleIds(request.campaignIds);
  const items = shown.map((id) => `\`${escapeMrkdwn(id)}\``);
  if (hidden > 0) items.push(`_…and ${hidden} more: the full list is in the thread_`);
  const blocks = packLines(items, SECTION_CHARS, '  ').map(section);
  if (request.reason) blocks.push(section(`*Reason:* ${quoteUserText(request.reason, 500)}`));
  return blocks;
}

const ID_CHARS = 7_000;

export function visibleIds(ids: readonly string[]): { shown: string[]; hidden: number } {
  let chars = 0;
  let count = 0;
  for (const id of ids) {
    chars += id.length + 4;
    if (chars > ID_CHARS) break;
    count++;
  }
  return { shown: ids.slice(0, count), hidden: ids.length - count };
}

/** The complete id list for the thread, when the confirmation could not show them all. */
export function idListReplies(request: CampaignActionRequest): SlackMessage[] {
  if (visibleIds(request.campaignIds).hidden === 0) return [];
  const sections = packLines(
    request.campaignIds.map((id) => `\`${escapeMrkdwn(id)}\``),
    SECTION_CHARS,
    '  ',
  );
  const replies: SlackMessage[] = [];
  for (let i = 0; i < sections.length; i += 3) {
    const blocks = sections.slice(i, i + 3).map(section);
    replies.push({ text: `All ${request.campaignIds.length} campaign ids in this request`, blocks });
  }
  return replies;
}

/** The groups the policy lets this person use in this channel. */
export function groupsList(groups: readonly (readonly [string, readonly string[]])[]): string {
  if (groups.length === 0) return 'There are no campaign groups you may use here.';
  const lines = groups.map(([name, ids]) => {
    const shown = ids
      .slice(0, 5)
      .map((id) => `\`${escapeMrkdwn(id)}\``)
      .join(', ');
    return `• \`group:${escapeMrkdwn(name)}\` — ${plural(ids.length, 'campaign')}: ${shown}${ids.length > 5 ? ', …' : ''}`;
  });
  return packLines([`*Campaign groups* (use \`group:NAME\` in place of ids):`, ...lines], 2_900)
    .join('\n')
    .slice(0, 3_000);
}

/**
 * "Requested by <@U…>", or by a runbook token "on behalf of <@U…> (not verified)", and the incident it names. An AI
 * agent is named as one, so whoever approves knows a person did not ask.
 */
function requester(request: CampaignActionRequest): string {
  const behalf = request.onBehalfOf ? ` on behalf of ${mention(request.onBehalfOf)} (not verified)` : '';
  const agent = /^agent:(.+)$/.exec(request.requestedBy)?.[1];
  const who = agent
    ? `:robot_face: AI agent *${quoteUserText(agent, 40)}* (MCP)`
    : mention(request.requestedBy);
  return `Requested by ${who}${behalf}${incidentText(request)}`;
}

/** ` · :rotating_light: <url|INC-1>`: a link only for a URL that cannot break out of Slack's link syntax. */
function incidentText(request: CampaignActionRequest): string {
  const incident = request.incident;
  if (!incident) return '';
  const id = escapeMrkdwn(incident.id).replace(/\|/g, '¦');
  const url = incident.url && /^https:\/\/[^\s<>|]+$/.test(incident.url) ? incident.url : undefined;
  return ` · :rotating_light: incident ${url ? `<${url}|${id}>` : id}`;
}

/** What approving this request takes, and how far it has got: "1 of 2 approvals (<@UA>)". */
function approvalLine(request: CampaignActionRequest): string {
  const { n, of } = approvalProgress(request);
  const grant = request.grants.find((g) => g.needed === of);
  const who = request.approvals.map((a) => mention(a.by)).join(', ');
  const count = of > 1 || n > 0 ? `*${n} of ${of} approvals*${who ? ` (${who})` : ''}` : '';
  const second =
    grant && !grant.requesterMayApprove ? '*needs a second person*: the requester cannot approve it' : '';
  return [count, second].filter(Boolean).join(' · ');
}

/**
 * Confirm, as the message and the Home tab show it: a STOP's, and one whose lookup flagged ids, ask again in a
 * dialog that says what it applies to.
 */
export function confirmButton(request: CampaignActionRequest): Block {
  const v = VERB[request.action];
  const n = request.campaignIds.length;
  const stop = request.action === 'STOP';
  // Once the lookup flagged ids, Confirm applies to the others only, and its dialog says so.
  const sendable = sendableIds(request.campaignIds, request.lookup).length;
  const left = n - sendable;
  const apart =
    left > 0
      ? `${plural(left, 'flagged campaign')} (already done, unknown or not eligible) ${left === 1 ? 'is' : 'are'} not sent. `
      : '';
  const dialog =
    stop || left > 0
      ? {
          confirm: {
            title: {
              type: 'plain_text',
              text: `${v.base} ${left > 0 ? `${sendable} of ${n}` : plural(n, 'campaign')}?`,
            },
            // Slack requires plain_text in a confirm dialog's text.
            text: {
              type: 'plain_text',
              text: `${apart}${
                stop
                  ? 'Stopping ends a campaign for good: it cannot be resumed. Stop them now?'
                  : `${v.base} the other ${plural(sendable, 'campaign')} now?`
              }`,
            },
            confirm: { type: 'plain_text', text: stop ? 'Stop them' : `${v.base} ${sendable}` },
            deny: { type: 'plain_text', text: 'Go back' },
            ...(stop ? { style: 'danger' } : {}),
          },
        }
      : {};
  return button(CONFIRM_ACTION_ID, 'Confirm', request.id, { style: stop ? 'danger' : 'primary', ...dialog });
}

export function cancelButton(request: CampaignActionRequest): Block {
  return button(CANCEL_ACTION_ID, 'Cancel', request.id);
}

export function confirmationMessage(request: CampaignActionRequest): SlackMessage {
  const v = VERB[request.action];
  const n = request.campaignIds.length;
  const who = `${requester(request)} · expires ${slackDate(request.expiresAt, '{time}')}`;
  const approvals = approvalLine(request);
  const found = lookupLine(request);
  const pauseFor = pauseForLine(request);
  const freeze = freezeLine(request);
  return {
    text: `${v.base} ${plural(n, 'MoEngage campaign')}? ${requester(request)}. Confirm or cancel.`,
    blocks: [
      section(`${title(request)}?`),
      ...idBlocks(request),
      ...(found ? [context(found)] : []),
      ...(pauseFor ? [section(pauseFor)] : []),
      ...(freeze ? [section(freeze)] : []),
      context(approvals ? `${who} · ${approvals}` : who),
      {
        type: 'actions',
        block_id: `campaign_request:${request.id}`,
        elements: [confirmButton(request), cancelButton(request)],
      },
    ],
  };
}

/** The confirmation, buttons gone, with a status line in their place. */
function decided(request: CampaignActionRequest, status: string, fallback: string): SlackMessage {
  return {
    text: `${VERB[request.action].base} ${plural(request.campaignIds.length, 'MoEngage campaign')}: ${fallback}`,
    blocks: [section(title(request)), ...idBlocks(request), context(`${requester(request)} · ${status}`)],
  };
}

export function runningMessage(request: CampaignActionRequest): SlackMessage {
  const by = mention(request.decidedBy ?? '');
  const line = request.run ? progressText(request.action, runProgress(request.run, Date.now())) : '';
  return decided(
    request,
    `:hourglass_flowing_sand: confirmed by ${by}, running…${line ? ` ${line}` : ''}`,
    `confirmed by ${by}, running${line ? `: ${line.replace(/\*/g, '')}` : ''}`,
  );
}

export function cancelledMessage(request: CampaignActionRequest): SlackMessage {
  const by = mention(request.decidedBy ?? '');
  return decided(request, `:no_entry_sign: cancelled by ${by}; nothing was changed`, `cancelled by ${by}`);
}

export function expiredMessage(request: CampaignActionRequest, closeStep = false): SlackMessage {
  const at = slackDate(request.expiresAt, '{time}');
  const message = decided(
    request,
    `:hourglass: expired at ${at} without confirmation; nothing was changed`,
    'expired',
  );
  if (!closeStep) return message;
  // The Workflow step that asked cannot be finished by the bot any more (Slack's token for it has expired); a
  // click here brings a fresh one, and ends the step with the reason.
  message.blocks.push({
    type: 'actions',
    block_id: `campaign_step:${request.id}`,
    elements: [button(CLOSE_STEP_ACTION_ID, 'End the workflow step', request.id)],
  });
  return message;
}

export function completedMessage(
  request: CampaignActionRequest,
  report: StatusChangeReport,
  /** Result replies Slack would not take: the summary says so, and where every outcome can still be read. */
  undelivered = 0,
): SlackMessage {
  const c = countsOf(report);
  const icon =
    c.failed + c.uncertain === 0
      ? ':white_check_mark:'
      : c.failed > 0 && c.applied + c.already + c.uncertain === 0
        ? ':x:'
        : ':warning:';
  const summary = summaryText(report);
  const by = mention(request.decidedBy ?? '');
  const missing = undelivered > 0 ? ` · ${undeliveredLine(undelivered, request.id)}` : '';
  const message = decided(
    request,
    `${icon} *${summary}* · confirmed by ${by} · details in the thread${missing}`,
    summary,
  );
  // What comes next in an incident: the failed ids again (never those that may have been applied: a second
  // STOP or PAUSE nobody asked for), or the inverse of what was applied.
  const buttons: Block[] = [];
  if (c.failed > 0) buttons.push(button(RETRY_ACTION_ID, `Retry failed (${c.failed})`, request.id));
  const inverse = INVERSE[request.action];
  if (inverse && c.applied > 0) {
    buttons.push(
      button(
        UNDO_ACTION_ID,
        `${request.freeze ? 'Unfreeze' : 'Undo'}: ${VERB[inverse].base.toLowerCase()} ${c.applied}`,
        request.id,
      ),
    );
  }
  if (buttons.length > 0) {
    message.blocks.push({ type: 'actions', block_id: `campaign_result:${request.id}`, elements: buttons });
  } else if (!inverse && c.applied > 0) {
    message.blocks.push(context('A STOP has no undo: a stopped campaign cannot be resumed.'));
  }
  return message;
}

/** What a summary says when Slack refused some of its thread's replies for good. */
export function undeliveredLine(undelivered: number, requestId: string): string {
  return `:warning: ${undelivered === 1 ? '1 reply' : `${undelivered} replies`} of the results could not be posted (Slack refused them); every outcome is in the audit trail and the runbook API (request ${escapeMrkdwn(requestId)})`;
}

/**
 * The request's message as it must look when Slack takes it, which may be long after it was asked for (a
 * channel's posts wait their turn): a confirmation past its time is shown expired, never with live buttons.
 */
export function firstMessage(request: CampaignActionRequest, now: number): SlackMessage {
  if (request.state === 'pending') {
    return request.expiresAt <= now ? expiredMessage(request) : confirmationMessage(request);
  }
  if (request.state === 'expired') return expiredMessage(request);
  if (request.state === 'cancelled') return cancelledMessage(request);
  // Created confirmed (a RESUME a PAUSE scheduled): nothing to click.
  return runningMessage(request);
}

export function unrecordedMessage(request: CampaignActionRequest): SlackMessage {
  return decided(
    request,
    ':x: could not be recorded (storage unavailable); nothing was requested',
    'not recorded',
  );
}

export function crashedMessage(request: CampaignActionRequest): SlackMessage {
  return decided(
    request,
    ':x: the run failed before every campaign got a result; see the thread',
    'run failed',
  );
}
