import { quote } from '../../core/proposal.ts';

/**
 * Escapes text for Slack mrkdwn: `&`, `<` and `>` are the only control characters (Slack's "Formatting text"
 * docs). After this, `<!channel>` or `<@U123>` typed by a user shows as text and pings nobody.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escaped, with a length cap so an echoed value can never blow a block's limits. */
export function quoteUserText(text: string, max = 80): string {
  return escapeMrkdwn(quote(text, max));
}

/**
 * A name from outside (MoEngage's campaign names) on one line of ours: whitespace and line breaks collapsed (so
 * a name cannot start a line that looks like a result) and backticks made quotes (so it cannot pose as an id),
 * then escaped (no mention, no link) and capped.
 */
export function nameText(text: string, max = 80): string {
  return quoteUserText(text.replace(/`/g, "'").replace(/\s+/g, ' ').trim() || '(no name)', max);
}

/** A Slack date token: renders in each reader's own time zone, with a UTC fallback for old clients. */
export function slackDate(epochMs: number, format = '{date_short_pretty} at {time}'): string {
  const seconds = Math.floor(epochMs / 1000);
  const fallback = new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 16);
  return `<!date^${seconds}^${format}|${fallback} UTC>`;
}
