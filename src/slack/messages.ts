import { type CampaignInfo, lookupCounts, type RequestLookup, sendableIds } from '../core/campaign-info.ts';
import { USER_ID_PATTERN } from '../core/ids.ts';
import { approvalProgress, type CampaignActionRequest } from '../core/request.ts';
import { type RunProgress, runProgress } from '../core/run-journal.ts';
import type { CampaignAction, CampaignOutcome, StatusChangeReport } from '../moengage/types.ts';
import { escapeMrkdwn, quoteUserText, slackDate } from './mrkdwn.ts';

/** Block Kit builders: plain data in, plain data out. Every id and message from outside is escaped. */

export const CONFIRM_ACTION_ID = 'campaign_confirm';
export const CANCEL_ACTION_ID = 'campaign_cancel';

// Slack limits (field notes): a section's text ≤ 3,000 chars, ≤ 50 blocks, and about 13,200 chars of blocks in
// all per message before `msg_blocks_too_long`. Stay well inside.
const SECTION_CHARS = 2_900;
const MESSAGE_CHARS = 11_000;
const MESSAGE_BLOCKS = 40;

export type Block = Record<string, unknown>;
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

const VERB: Record<CampaignAction, { base: string; past: string; icon: string; already: string }> = {
  PAUSE: { base: 'Pause', past: 'paused', icon: ':double_vertical_bar:', already: 'already paused' },
  RESUME: { base: 'Resume', past: 'resumed', icon: ':arrow_forward:', already: 'already active' },
  STOP: { base: 'Stop', past: 'stopped', icon: ':octagonal_sign:', already: 'already stopped' },
};

/** A Slack user mention, only for something shaped like a user id; anything else is shown as escaped text. */
export function mention(userId: string): string {
  return USER_ID_PATTERN.test(userId) ? `<@${userId}>` : quoteUserText(userId, 40);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}
function context(text: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}

/** Packs items into sections of at most `max` chars, joined by `separator` (a single over-long item is cut). */
export function packLines(lines: readonly string[], max = SECTION_CHARS, separator = '\n'): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = raw.length > max ? `${raw.slice(0, max - 1)}…` : raw;
    if (current && current.length + separator.length + line.length > max) {
      out.push(current);
      current = line;
    } else {
      current = current ? `${current}${separator}${line}` : line;
    }
  }
  if (current) out.push(current);
  return out;
}

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

const ID_CHARS = 8_000;
/** Up to this many ids, the confirmation shows each campaign's line; past it, counts (and the thread a table). */
const TABLE_ON_MESSAGE = 15;

type DoneLookup = Extract<RequestLookup, { state: 'done' }>;

/** "`id` *Black Friday push* · push · periodic · active", and why it will not be sent if it is flagged. */
function campaignLine(action: CampaignAction, id: string, lookup: DoneLookup): string {
  const info = lookup.campaigns[id];
  const flag = lookup.flagged[id];
  const what = info
    ? ` *${quoteUserText(info.name || '(no name)', 80)}* · ${[info.channel, info.deliveryType, info.status]
        .filter((x): x is string => Boolean(x))
        .map((x) => escapeMrkdwn(x.toLowerCase().replace(/_/g, '-')))
        .join(' · ')}`
    : '';
  const icon = flag ? (flag.flag === 'already' ? ':ballot_box_with_check:' : ':warning:') : VERB[action].icon;
  const note = flag ? ` — _${escapeMrkdwn(flag.reason)}: not sent_` : '';
  return `${icon} \`${escapeMrkdwn(id)}\`${what}${note}`;
}

/** What the look before confirming found, in one line under the ids (or the note that there is none). */
function lookupLine(request: CampaignActionRequest): string | undefined {
  const lookup = request.lookup;
  if (!lookup) return undefined;
  if (lookup.state === 'pending') return ':mag: Looking these campaigns up in MoEngage…';
  if (lookup.state === 'unavailable')
    return `:grey_question: ${quoteUserText(lookup.note, 300)}; Confirm applies to every id listed.`;
  const flagged = Object.keys(lookup.flagged).length;
  const counts = lookupCounts(request.campaignIds, lookup)
    .map(({ label, n }) => `${n} ${escapeMrkdwn(label)}`)
    .join(', ');
  const long = request.campaignIds.length > TABLE_ON_MESSAGE;
  const apart =
    flagged > 0
      ? `; ${plural(flagged, 'flagged id')} ${flagged === 1 ? 'is' : 'are'} not sent${long ? ' (listed in the thread)' : ''}`
      : '';
  return `:mag: In MoEngage: ${counts}${apart}.`;
}

/**
 * For a long list, in the thread: every flagged campaign (what will not be sent, and why), then the others as
 * the lookup found them, up to a hundred (the rest counted by status), so a 1,000-id request does not bury the
 * channel under ten replies.
 */
export function lookupReplies(request: CampaignActionRequest): SlackMessage[] {
  const lookup = request.lookup;
  if (lookup?.state !== 'done' || request.campaignIds.length <= TABLE_ON_MESSAGE) return [];
  const flagged = request.campaignIds.filter((id) => lookup.flagged[id]);
  const rest = request.campaignIds.filter((id) => !lookup.flagged[id]);
  const shownRest = rest.slice(0, OTHERS_IN_THREAD);
  const lines = [...flagged, ...shownRest].map((id) => campaignLine(request.action, id, lookup));
  const more = rest.length - shownRest.length;
  if (more > 0) {
    const counts = new Map<string, number>();
    for (const id of rest.slice(OTHERS_IN_THREAD)) {
      const status = lookup.campaigns[id]?.status.toLowerCase() ?? 'unknown';
      counts.set(status, (counts.get(status) ?? 0) + 1);
    }
    const byStatus = [...counts].map(([status, n]) => `${n} ${escapeMrkdwn(status)}`).join(', ');
    lines.push(`_…and ${more} more to send (${byStatus})_`);
  }
  const sections = packLines(lines);
  const replies: SlackMessage[] = [];
  for (let i = 0; i < sections.length; i += 3) {
    replies.push({
      text: `The ${request.campaignIds.length} campaigns as MoEngage shows them (${flagged.length} flagged, not sent)`,
      blocks: sections.slice(i, i + 3).map(section),
    });
  }
  return replies;
}

/** Unflagged campaigns listed in the thread of a long request; past it they are counted. */
const OTHERS_IN_THREAD = 100;

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

/** `/campaign status`: each campaign as MoEngage has it, counted by status, within one ephemeral message. */
export function campaignStatusText(ids: readonly string[], found: ReadonlyMap<string, CampaignInfo>): string {
  const counts = new Map<string, number>();
  for (const id of ids) {
    const status = found.get(id)?.status.toLowerCase() ?? 'unknown';
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  const head = `*${plural(ids.length, 'campaign')} in MoEngage:* ${[...counts]
    .map(([status, n]) => `${n} ${escapeMrkdwn(status)}`)
    .join(', ')}`;
  const lines = ids.map((id) => {
    const info = found.get(id);
    if (!info) return `• \`${escapeMrkdwn(id)}\` — _MoEngage has no campaign with this id_`;
    const facts = [info.channel, info.deliveryType]
      .filter((x): x is string => Boolean(x))
      .map((x) => escapeMrkdwn(x.toLowerCase().replace(/_/g, '-')));
    return `• \`${escapeMrkdwn(id)}\` *${quoteUserText(info.name || '(no name)', 80)}* · ${[...facts, `*${escapeMrkdwn(info.status.toLowerCase())}*`].join(' · ')}`;
  });
  const [shown = ''] = packLines(lines, 2_700);
  const count = shown.split('\n').length;
  const more = ids.length > count ? `\n_…and ${ids.length - count} more_` : '';
  return `${head}\n${shown}${more}`;
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

/** "Requested by <@U…>", or by a runbook token "on behalf of <@U…> (not verified)". */
function requester(request: CampaignActionRequest): string {
  const behalf = request.onBehalfOf ? ` on behalf of ${mention(request.onBehalfOf)} (not verified)` : '';
  return `Requested by ${mention(request.requestedBy)}${behalf}`;
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

export function confirmationMessage(request: CampaignActionRequest): SlackMessage {
  const v = VERB[request.action];
  const n = request.campaignIds.length;
  const confirmButton: Block = {
    type: 'button',
    action_id: CONFIRM_ACTION_ID,
    text: { type: 'plain_text', text: 'Confirm' },
    value: request.id,
    style: request.action === 'STOP' ? 'danger' : 'primary',
  };
  // Once the lookup flagged ids, Confirm applies to the others only, and its dialog says so.
  const sendable = sendableIds(request.campaignIds, request.lookup).length;
  const left = n - sendable;
  const apart =
    left > 0
      ? `${plural(left, 'flagged campaign')} (already done, unknown or not eligible) ${left === 1 ? 'is' : 'are'} not sent. `
      : '';
  if (request.action === 'STOP' || left > 0) {
    const stop = request.action === 'STOP';
    confirmButton.confirm = {
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
    };
  }
  const who = `${requester(request)} · expires ${slackDate(request.expiresAt, '{time}')}`;
  const approvals = approvalLine(request);
  const found = lookupLine(request);
  return {
    text: `${v.base} ${plural(n, 'MoEngage campaign')}? ${requester(request)}. Confirm or cancel.`,
    blocks: [
      section(`${title(request)}?`),
      ...idBlocks(request),
      ...(found ? [context(found)] : []),
      context(approvals ? `${who} · ${approvals}` : who),
      {
        type: 'actions',
        block_id: `campaign_request:${request.id}`,
        elements: [
          confirmButton,
          {
            type: 'button',
            action_id: CANCEL_ACTION_ID,
            text: { type: 'plain_text', text: 'Cancel' },
            value: request.id,
          },
        ],
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

/** "*340 / 1,000* paused · 2 failed · about 6 min left": a long run's progress, from its journal. */
export function progressText(action: CampaignAction, p: RunProgress): string {
  if (p.done === 0 && p.etaMs === undefined) return '';
  const v = VERB[action];
  const parts = [`*${p.applied.toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')}* ${v.past}`];
  if (p.already > 0) parts.push(`${p.already} ${v.already}`);
  if (p.skipped > 0) parts.push(`${p.skipped} not sent`);
  if (p.failed > 0) parts.push(`${p.failed} failed`);
  if (p.etaMs !== undefined) parts.push(aboutLeft(p.etaMs));
  return parts.join(' · ');
}

function aboutLeft(ms: number): string {
  if (ms < 10_000) return 'a few seconds left';
  if (ms < 90_000) return `about ${Math.round(ms / 10_000) * 10} s left`;
  return `about ${Math.round(ms / 60_000)} min left`;
}

export function cancelledMessage(request: CampaignActionRequest): SlackMessage {
  const by = mention(request.decidedBy ?? '');
  return decided(request, `:no_entry_sign: cancelled by ${by}; nothing was changed`, `cancelled by ${by}`);
}

export function expiredMessage(request: CampaignActionRequest): SlackMessage {
  const at = slackDate(request.expiresAt, '{time}');
  return decided(
    request,
    `:hourglass: expired at ${at} without confirmation; nothing was changed`,
    'expired',
  );
}

function countsOf(report: StatusChangeReport) {
  const n = (status: CampaignOutcome['status']) => report.outcomes.filter((o) => o.status === status).length;
  return { applied: n('applied'), already: n('already'), skipped: n('skipped'), failed: n('failed') };
}

/** "87 paused, 9 already paused, 4 not sent (flagged), 2 failed": nothing already done counts as a failure. */
export function summaryText(report: StatusChangeReport): string {
  const v = VERB[report.action];
  const c = countsOf(report);
  const parts = [`${c.applied} ${v.past}`];
  if (c.already > 0) parts.push(`${c.already} ${v.already}`);
  if (c.skipped > 0) parts.push(`${c.skipped} not sent (flagged)`);
  if (c.failed > 0) parts.push(`${c.failed} failed`);
  return parts.join(', ');
}

export function completedMessage(request: CampaignActionRequest, report: StatusChangeReport): SlackMessage {
  const c = countsOf(report);
  const icon = c.failed === 0 ? ':white_check_mark:' : c.applied + c.already === 0 ? ':x:' : ':warning:';
  const summary = summaryText(report);
  const by = mention(request.decidedBy ?? '');
  return decided(request, `${icon} *${summary}* · confirmed by ${by} · details in the thread`, summary);
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

function outcomeLine(action: CampaignAction, o: CampaignOutcome, names: Names): string {
  const name = names[o.campaignId]?.name;
  const id = `\`${escapeMrkdwn(o.campaignId)}\`${name ? ` ${quoteUserText(name, 80)}` : ''}`;
  const v = VERB[action];
  switch (o.status) {
    case 'applied':
      return `:white_check_mark: ${id} ${v.past}${o.confirmed ? ' (confirmed by lookup)' : ''}`;
    case 'already':
      return `:ballot_box_with_check: ${id} ${v.already}${o.seen === 'before' ? ' before confirming: not sent' : ''}`;
    case 'skipped':
      return `:heavy_minus_sign: ${id} not sent: ${quoteUserText(o.reason, 300)}`;
    case 'failed':
      return `:x: ${id} failed: ${quoteUserText(o.error.message, 400)}`;
  }
}

type Names = Readonly<Record<string, { name: string } | undefined>>;

/**
 * The per-campaign results for the thread: failures first (they need attention), then the ids not sent, then
 * the applied and the already-done ones, with their names when the lookup found them,
 * split over as many replies as Slack's size limits need. Every id appears exactly once.
 */
export function resultReplies(report: StatusChangeReport, names: Names = {}): SlackMessage[] {
  const order: CampaignOutcome['status'][] = ['failed', 'skipped', 'applied', 'already'];
  const lines = order.flatMap((status) =>
    report.outcomes.filter((o) => o.status === status).map((o) => outcomeLine(report.action, o, names)),
  );
  const sections = packLines(lines);
  const replies: SlackMessage[] = [];
  let blocks: Block[] = [];
  let chars = 0;
  for (const text of sections) {
    if (blocks.length > 0 && (blocks.length + 1 > MESSAGE_BLOCKS || chars + text.length > MESSAGE_CHARS)) {
      replies.push({ text: '', blocks });
      blocks = [];
      chars = 0;
    }
    blocks.push(section(text));
    chars += text.length;
  }
  if (blocks.length > 0) replies.push({ text: '', blocks });
  const summary = `Results: ${summaryText(report)} (${plural(report.requests, 'MoEngage request')}, ${(report.elapsedMs / 1000).toFixed(1)} s)`;
  return replies.map((r, i) => ({
    text: replies.length === 1 ? summary : `${summary} — part ${i + 1} of ${replies.length}`,
    blocks: i === 0 ? [context(summary), ...r.blocks] : r.blocks,
  }));
}

export function crashReply(error: unknown): SlackMessage {
  const text = `:x: Something went wrong while running this request; some campaigns may not have a result. (${quoteUserText(String((error as Error)?.message ?? error), 200)}) Check MoEngage before retrying.`;
  return { text, blocks: [section(text)] };
}

/** Ids a crash may have had sent twice: a replica died while MoEngage was answering, and another sent them again. */
export function repeatedReply(ids: readonly string[]): SlackMessage {
  const text = `:repeat: A replica stopped while MoEngage was answering, and another sent these again with the same request_id, so MoEngage may have received them twice: ${
    packLines(
      ids.map((id) => `\`${escapeMrkdwn(id)}\``),
      2_500,
      ' ',
    )[0] ?? ''
  }${ids.length > 100 ? ' …' : ''}`;
  return { text: `${ids.length} campaign ids may have been sent twice`, blocks: [section(text)] };
}
