import { type CampaignAction, type CampaignOutcome, MAY_HAVE_APPLIED } from '../../core/actions.ts';
import type { StatusChangeReport } from '../../core/report.ts';
import type { RunProgress } from '../../core/run-journal.ts';
import {
  type Block,
  context,
  MESSAGE_BLOCKS,
  MESSAGE_CHARS,
  packLines,
  plural,
  type SlackMessage,
  section,
  VERB,
} from './blocks.ts';
import { escapeMrkdwn, nameText, quoteUserText } from './mrkdwn.ts';

/** What a run reports: its progress line, its summary, the per-campaign results in the thread. Pure. */

/** "*340 / 1,000* paused · 2 failed · about 6 min left": a long run's progress, from its journal. */
export function progressText(action: CampaignAction, p: RunProgress): string {
  if (p.done === 0 && p.etaMs === undefined) return '';
  const v = VERB[action];
  const parts = [`*${p.applied.toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')}* ${v.past}`];
  if (p.already > 0) parts.push(`${p.already} ${v.already}`);
  if (p.skipped > 0) parts.push(`${p.skipped} not sent`);
  if (p.failed > 0) parts.push(`${p.failed} failed`);
  if (p.uncertain > 0) parts.push(`${p.uncertain} may have been applied`);
  if (p.etaMs !== undefined) parts.push(aboutLeft(p.etaMs));
  return parts.join(' · ');
}

function aboutLeft(ms: number): string {
  if (ms < 10_000) return 'a few seconds left';
  if (ms < 90_000) return `about ${Math.round(ms / 10_000) * 10} s left`;
  return `about ${Math.round(ms / 60_000)} min left`;
}

export function countsOf(report: StatusChangeReport) {
  const n = (status: CampaignOutcome['status']) => report.outcomes.filter((o) => o.status === status).length;
  return {
    applied: n('applied'),
    already: n('already'),
    skipped: n('skipped'),
    failed: n('failed'),
    uncertain: n('uncertain'),
  };
}

/**
 * "87 paused, 9 already paused, 4 not sent (flagged), 2 failed, 3 may have been applied": nothing already done
 * counts as a failure, and nothing that may have been applied either.
 */
export function summaryText(report: StatusChangeReport): string {
  const v = VERB[report.action];
  const c = countsOf(report);
  const parts = [`${c.applied} ${v.past}`];
  if (c.already > 0) parts.push(`${c.already} ${v.already}`);
  if (c.skipped > 0) parts.push(`${c.skipped} not sent (flagged)`);
  if (c.failed > 0) parts.push(`${c.failed} failed`);
  if (c.uncertain > 0) parts.push(`${c.uncertain} may have been applied`);
  return parts.join(', ');
}

function outcomeLine(action: CampaignAction, o: CampaignOutcome, names: Names): string {
  const name = names[o.campaignId]?.name;
  const id = `\`${escapeMrkdwn(o.campaignId)}\`${name ? ` ${nameText(name)}` : ''}`;
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
    case 'uncertain':
      return `:grey_question: ${id} ${MAY_HAVE_APPLIED} (${quoteUserText(o.error.message, 400)})`;
  }
}

type Names = Readonly<Record<string, { name: string } | undefined>>;

/**
 * The per-campaign results for the thread: failures and the ids that may have been applied first (they need
 * attention), then the ids not sent, then
 * the applied and the already-done ones, with their names when the lookup found them,
 * split over as many replies as Slack's size limits need. Every id appears exactly once.
 */
export function resultReplies(report: StatusChangeReport, names: Names = {}): SlackMessage[] {
  const order: CampaignOutcome['status'][] = ['failed', 'uncertain', 'skipped', 'applied', 'already'];
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
