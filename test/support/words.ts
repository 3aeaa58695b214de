import { SUBCOMMANDS } from '../../src/commands/subcommands.ts';
import { CAMPAIGN_ACTIONS } from '../../src/core/actions.ts';

/**
 * Words people read (the manifest, the OpenAPI file, the docs, usage strings) held to the one list of actions
 * (core/actions.ts) and of webhook sources (core/sources.ts): what is written by hand is compared with the list,
 * and a test fails naming each word missing or extra, with where it is written.
 */
export function drift(where: string, written: readonly string[], list: readonly string[]): string[] {
  const missing = list.filter((w) => !written.includes(w));
  const extra = [...new Set(written)].filter((w) => !list.includes(w));
  return [
    ...(missing.length > 0 ? [`${where} lacks ${missing.join(', ')}`] : []),
    ...(extra.length > 0 ? [`${where} names ${extra.join(', ')}, which the list has not`] : []),
  ];
}

/** The words of the `/campaign` subcommand table (pause, resume, stop, status, history, freeze, …). */
export const COMMAND_WORDS: readonly string[] = SUBCOMMANDS.flatMap((s) => s.words);
/** The actions as people type them after `/campaign`. */
export const ACTION_WORDS: readonly string[] = CAMPAIGN_ACTIONS.map((a) => a.toLowerCase());

/**
 * A list of `/campaign` words as written (`pause|resume|stop|freeze`): each must be a subcommand's, and a list that
 * names an action names them all.
 */
export function commandWordsDrift(where: string, words: readonly string[]): string[] {
  const unknown = words.filter((w) => !COMMAND_WORDS.includes(w));
  const problems = unknown.length > 0 ? [`${where} names ${unknown.join(', ')}, no /campaign word`] : [];
  if (words.length > 1 && words.some((w) => ACTION_WORDS.includes(w))) {
    const actions = words.filter((w) => ACTION_WORDS.includes(w));
    problems.push(...drift(`${where} (its actions)`, actions, ACTION_WORDS));
  }
  return problems;
}

/** Every `/campaign a|b|c` written in `text` (in markdown, within backticks), as its list of words. */
export function campaignWordLists(text: string, { backticked }: { backticked: boolean }): string[][] {
  const pattern = backticked ? /`\/campaign ([a-z?-][a-z|?-]*)/g : /\/campaign ([a-z?-][a-z|?-]*)/g;
  return [...text.matchAll(pattern)].map((m) => (m[1] ?? '').split('|'));
}
