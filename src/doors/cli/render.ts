import type { ActionResource, Answer, NameChoices } from './client.ts';

/** What the CLI prints; pure, so it can be tested without a bot. */

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const what = (r: ActionResource) => `${r.action} ${plural(r.campaign_ids.length, 'campaign')}`;

/** `10:15 UTC` for an ISO timestamp. */
export function utcTime(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : `${t.toISOString().slice(11, 16)} UTC`;
}

/** The line printed once the bot has accepted the request (202). */
export function requestedLine(r: ActionResource, waiting: boolean): string {
  const head = `requested ${r.id}: ${what(r)} in ${r.channel_id}`;
  const state =
    r.status === 'pending'
      ? 'waiting for confirmation in Slack'
      : r.status === 'running'
        ? 'running without confirmation (auto-execute)'
        : r.status;
  return waiting ? `${head} — ${state}…` : `${head} — ${state}; follow it with: campaign-bot status ${r.id}`;
}

/** The progress line while waiting (stderr). */
export function progressLine(r: ActionResource): string {
  switch (r.status) {
    case 'pending':
      return `pending… (expires ${utcTime(r.expires_at)})`;
    case 'running': {
      const p = r.progress;
      if (!p || (p.done === 0 && p.eta_seconds === null)) return 'running…';
      const left =
        p.eta_seconds === null
          ? ''
          : `, about ${p.eta_seconds >= 90 ? `${Math.round(p.eta_seconds / 60)} min` : `${p.eta_seconds} s`} left`;
      const failed =
        (p.failed > 0 ? `, ${p.failed} failed` : '') +
        (p.uncertain ? `, ${p.uncertain} may have been applied` : '');
      return `running… ${p.done} / ${p.total} done (${p.applied} applied${failed})${left}`;
    }
    case 'completed':
      return `completed: ${counts(r)}`;
    case 'cancelled':
      return `cancelled${r.decided_by ? ` by ${r.decided_by}` : ''}`;
    case 'expired':
      return `expired at ${utcTime(r.expires_at)}: nobody confirmed`;
    default:
      return String(r.status);
  }
}

/** "98 applied, 1 already, 1 failed": already-done ids and ids not sent are counted apart, never as failures. */
function counts(r: ActionResource): string {
  const res = r.result;
  const parts = [`${res?.applied ?? 0} applied`];
  if (res?.already) parts.push(`${res.already} already`);
  if (res?.skipped) parts.push(`${res.skipped} not sent`);
  parts.push(`${res?.failed ?? 0} failed`);
  if (res?.uncertain) parts.push(`${res.uncertain} may have been applied (check in MoEngage)`);
  return parts.join(', ');
}

/** `campaign id | outcome | detail`, one row per id. */
export function resultTable(r: ActionResource): string {
  const notRun = r.status === 'pending' ? 'waiting' : r.status === 'running' ? 'running' : 'not run';
  const rows: string[][] = r.result
    ? r.result.outcomes.map((o) => [o.campaign_id, o.status, (o.error ?? o.note ?? '').replace(/\s+/g, ' ')])
    : r.campaign_ids.map((id) => [id, notRun, '']);
  const header = ['campaign id', 'outcome', 'detail'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join(' | ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The closing line under the table. */
export function summaryLine(r: ActionResource): string {
  const by = r.decided_by ? ` by ${r.decided_by}` : '';
  switch (r.status) {
    case 'completed':
      return `${r.action}: ${counts(r)} (confirmed${by})`;
    case 'cancelled':
      return `${what(r)}: cancelled${by}; nothing was changed`;
    case 'expired':
      return `${what(r)}: expired at ${utcTime(r.expires_at)} without confirmation; nothing was changed`;
    case 'pending':
      return `${what(r)}: pending, waiting for confirmation in Slack until ${utcTime(r.expires_at)}`;
    case 'running':
      return `${what(r)}: running (confirmed${by})`;
    default:
      return `${what(r)}: ${String(r.status)}`;
  }
}

/** Why the bot said no, or why it could not be asked. */
export function failureLine(answer: Exclude<Answer, { ok: true }>): string {
  if (answer.kind === 'unreachable') return `cannot reach the bot: ${answer.message}`;
  if (answer.choices)
    return 'nothing was requested: a name matched several campaigns; choose by id and run it again';
  const field = answer.field ? ` (field: ${answer.field})` : '';
  return `refused by the bot (${answer.status} ${answer.code}): ${answer.message}${field}`;
}

/**
 * A 409 ambiguous_name's campaigns, one line each, to choose from by id:
 *
 *   "black friday" matches 2 campaigns:
 *     64f1a2b3c4d5e6f7a8b9c0d1  Black Friday push – IN  (PUSH, ACTIVE)
 */
export function choicesList(choices: readonly NameChoices[], missing: readonly string[]): string {
  const lines: string[] = [];
  for (const c of choices) {
    const n = `${c.candidates.length}${c.more ? '+' : ''}`;
    lines.push(`"${c.query}" matches ${n} campaigns:`);
    const width = Math.max(0, ...c.candidates.map((e) => e.id.length));
    for (const e of c.candidates) {
      const about = [e.channel, e.status].filter(Boolean).join(', ');
      lines.push(`  ${e.id.padEnd(width)}  ${e.name}${about ? `  (${about})` : ''}`);
    }
    if (c.more) lines.push('  … and more: give more of the name');
  }
  for (const q of missing) lines.push(`"${q}" matches no campaign`);
  return lines.join('\n');
}
