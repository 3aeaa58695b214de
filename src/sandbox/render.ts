/** Renders Block Kit as a person would roughly see it in Slack, for the demo transcript. */

const NAMES: Record<string, string> = {};

export function setDisplayNames(names: Record<string, string>): void {
  Object.assign(NAMES, names);
}

export function renderMrkdwn(text: string): string {
  return text
    .replace(/<@([UW][A-Z0-9]+)>/g, (_, id: string) => `@${NAMES[id] ?? id}`)
    .replace(/<!date\^\d+\^[^|]*\|([^>]*)>/g, '$1')
    .replace(/:white_check_mark:/g, '✅')
    .replace(/:x:/g, '❌')
    .replace(/:warning:/g, '⚠️')
    .replace(/:double_vertical_bar:/g, '⏸')
    .replace(/:arrow_forward:/g, '▶')
    .replace(/:octagonal_sign:/g, '🛑')
    .replace(/:hourglass_flowing_sand:|:hourglass:/g, '⏳')
    .replace(/:no_entry_sign:/g, '🚫')
    .replace(/\*([^*\n]+)\*/g, '\x1b[1m$1\x1b[0m')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export function renderBlocks(
  blocks: readonly Record<string, unknown>[] | undefined,
  fallback = '',
): string[] {
  if (!blocks || blocks.length === 0) return renderMrkdwn(fallback).split('\n');
  const lines: string[] = [];
  for (const block of blocks) {
    if (block.type === 'section')
      lines.push(...renderMrkdwn((block.text as { text: string }).text).split('\n'));
    if (block.type === 'context') {
      for (const el of block.elements as { text: string }[]) lines.push(`  ${renderMrkdwn(el.text)}`);
    }
    if (block.type === 'actions') {
      const buttons = (block.elements as { text: { text: string }; confirm?: unknown }[]).map(
        (b) => `[ ${b.text.text}${b.confirm ? ' (asks "are you sure?")' : ''} ]`,
      );
      lines.push(buttons.join('  '));
    }
  }
  return lines;
}
