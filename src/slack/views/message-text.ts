/**
 * All the text a Slack message carries, for "Act on campaigns in this message": its `text`, every string inside
 * its blocks (sections, fields, rich text, context, buttons' URLs) and its attachments (an alert from Grafana,
 * PagerDuty or MoEngage is mostly attachments), joined by new lines. Bounded: a message is at most 40,000
 * characters of text and this reads at most `max`.
 */
export function messageText(message: unknown, max = 100_000): string {
  const out: string[] = [];
  let size = 0;
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (size >= max || depth > 12 || value === null || value === undefined) return;
    if (typeof value === 'string') {
      out.push(value);
      size += value.length + 1;
      return;
    }
    if (typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) {
      for (const item of value) visit(item, depth + 1);
      return;
    }
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      // Ids, styles and colours are not text anyone wrote.
      if (
        ['type', 'style', 'block_id', 'action_id', 'color', 'id', 'ts', 'bot_id', 'team', 'user'].includes(
          key,
        )
      )
        continue;
      visit(item, depth + 1);
    }
  };
  const m = message as { text?: unknown; blocks?: unknown; attachments?: unknown };
  visit(m?.text, 0);
  visit(m?.blocks, 0);
  visit(m?.attachments, 0);
  return out.join('\n').slice(0, max);
}
