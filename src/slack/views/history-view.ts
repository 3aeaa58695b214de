import type { HistoryEntry } from '../../core/history.ts';
import { mention, packLines, VERB } from './blocks.ts';
import { quoteUserText, slackDate } from './mrkdwn.ts';

/** `/campaign history`: one line a request, newest first, within one ephemeral message. Pure. */
export function historyText(entries: readonly HistoryEntry[], total: number, sinceMs: number): string {
  const days = Math.max(1, Math.round(sinceMs / 86_400_000));
  const window =
    sinceMs >= 86_400_000 ? `${days} day${days === 1 ? '' : 's'}` : `${Math.round(sinceMs / 3_600_000)} h`;
  if (entries.length === 0) return `No requests in the last ${window}.`;
  const lines = entries.map((h) => {
    const v = VERB[h.action];
    const approved = h.approvedBy.length > 0 ? ` · approved by ${h.approvedBy.map(mention).join(', ')}` : '';
    const end =
      h.end.kind === 'completed'
        ? `${h.end.applied} ${v.past}${h.end.failed > 0 ? `, ${h.end.failed} failed` : ''}${h.end.uncertain ? `, ${h.end.uncertain} may have been applied` : ''}`
        : h.end.kind === 'cancelled'
          ? `cancelled by ${mention(h.end.by)}`
          : h.end.kind === 'expired'
            ? 'expired'
            : 'not finished';
    const reason = h.reason ? ` · _${quoteUserText(h.reason, 80)}_` : '';
    return `• ${slackDate(h.requestedAt)} · *${v.base} ${h.campaignIds.length}* in <#${h.channel}> · asked by ${mention(h.requestedBy)}${approved} · ${end}${reason}`;
  });
  const [shown = ''] = packLines(lines, 2_700);
  const count = shown.split('\n').length;
  const more = total > count ? `\n_…and ${total - count} older_` : '';
  return `*Requests in the last ${window}:*\n${shown}${more}`;
}
