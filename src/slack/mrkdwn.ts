/**
 * Escapes text for Slack mrkdwn: `&`, `<` and `>` are the only control characters (Slack's "Formatting text"
 * docs). After this, `<!channel>` or `<@U123>` typed by a user shows as text and pings nobody.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The inverse, for doors that are not Slack (runbook API, Workflow step errors): the first line of a message
 * written for Slack, unescaped and without code marks. The parser's words serve every door this way.
 */
export function plainText(mrkdwn: string): string {
  const first = mrkdwn.split('\n')[0] ?? '';
  return first.replace(/`/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Escaped, with a length cap so an echoed value can never blow a block's limits. */
export function quoteUserText(text: string, max = 80): string {
  const cut = [...text].length > max ? `${[...text].slice(0, max - 1).join('')}…` : text;
  return escapeMrkdwn(cut);
}

/** A Slack date token: renders in each reader's own time zone, with a UTC fallback for old clients. */
export function slackDate(epochMs: number, format = '{date_short_pretty} at {time}'): string {
  const seconds = Math.floor(epochMs / 1000);
  const fallback = new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 16);
  return `<!date^${seconds}^${format}|${fallback} UTC>`;
}
