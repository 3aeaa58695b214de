import { isNameToken, splitTokens } from '../core/campaign-refs.ts';
import { type PauseFor, parsePauseFor } from '../core/pause-for.ts';
import type { ProposalRules } from '../core/proposal.ts';
import { escapeMrkdwn } from '../slack/views/mrkdwn.ts';
import { type ParsedCommand, parseSubcommand, USAGE } from './subcommands.ts';

export { type ParsedCommand, USAGE } from './subcommands.ts';

/**
 * Reads the text after `/campaign`. Pure and total: any input gives a request, help, or an error message in
 * mrkdwn (the caller's text escaped), never a throw. The checks are the core's, the same for every door; they
 * run here too so a typo is answered in the acknowledgement itself. What follows the first word is read by
 * that word's subcommand (subcommands.ts). Ids, `group:NAME`, dashboard links and quoted names are split apart
 * by core/campaign-refs.ts, a quoted name kept whole.
 */
export function parseCampaignCommand(
  text: string,
  rules: ProposalRules,
  clock: { now: number; timeZone?: string } = { now: Date.now() },
): ParsedCommand {
  const { rest: body, reason } = splitReason(text);
  // `"black friday push"` (straight or typographic quotes) stays one token: a name, read by the lifecycle.
  const all = splitTokens(body).map(unescapeName);
  // `for 2h` / `until 18:00` after the ids: a PAUSE for a while (no campaign id is either word).
  const at = all.findIndex((t) => /^(for|until)$/i.test(t));
  const tokens = at < 0 ? all : all.slice(0, at);
  let pauseFor: PauseFor | undefined;
  if (at >= 0) {
    const word = (all[at] as string).toLowerCase() as 'for' | 'until';
    const value = all.slice(at + 1).join(' ');
    const parsed = all.length === at + 2 ? parsePauseFor(word, value, clock.now, clock.timeZone) : undefined;
    if (!parsed?.ok) {
      const why =
        parsed?.message ?? `Say how long as \`for 2h\` or until when as \`until 18:00\`, after the ids.`;
      return { kind: 'error', message: `${escapeMrkdwn(why)}\n${USAGE}` };
    }
    if (!/^pause$/i.test(all[0] ?? '')) {
      return {
        kind: 'error',
        message: `Only \`pause\` can be for a while (\`/campaign pause <ids> for 2h\`).\n${USAGE}`,
      };
    }
    pauseFor = parsed.pauseFor;
  }
  const [word, ...rest] = tokens;
  if (word === undefined && reason === undefined) return { kind: 'help' };
  return parseSubcommand({ word, rest, reason, pauseFor, rules });
}

/** `… reason: text` or `… --reason text` (to the end of the command) → the reason, trimmed; empty means none. */
function splitReason(text: string): { rest: string; reason: string | undefined } {
  const m = /(?:^|\s)(?:reason:|--reason(?:=|\s|$))/i.exec(text);
  if (!m) return { rest: text, reason: undefined };
  const reason = text.slice(m.index + m[0].length).trim();
  return { rest: text.slice(0, m.index), reason: reason === '' ? undefined : reason };
}

/**
 * Slack sends a command's `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`: a quoted name gets them back, so
 * "Tips & tricks" is compared as typed. Other tokens are left alone (no id holds them; a refusal shows them).
 */
function unescapeName(token: string): string {
  return isNameToken(token)
    ? token.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
    : token;
}
