import { describe, expect, it } from 'vitest';
import { SUBCOMMANDS, subcommandFor, USAGE } from '../../../src/commands/subcommands.ts';
import { CAMPAIGN_ACTIONS } from '../../../src/core/actions.ts';

const words = SUBCOMMANDS.flatMap((s) => s.words);

describe('the table of /campaign subcommands', () => {
  it('gives each word to one subcommand only, in lower case', () => {
    const twice = words.filter((w, i) => words.indexOf(w) !== i);
    expect(twice).toEqual([]);
    expect(words.filter((w) => w !== w.toLowerCase())).toEqual([]);
  });

  it('chooses each subcommand by any of its words, in any case, and reads any other word as an action', () => {
    for (const s of SUBCOMMANDS) {
      for (const w of s.words) expect(subcommandFor(w.toUpperCase()).kind).toBe(s.kind);
    }
    expect(subcommandFor('delete').kind).toBe('request');
    expect(subcommandFor(undefined).kind).toBe('request');
  });

  it('takes every campaign action as a word of its own', () => {
    expect(subcommandFor('pause').words).toEqual(CAMPAIGN_ACTIONS.map((a) => a.toLowerCase()));
  });

  it('shows in USAGE every word but help’s, each as /campaign <word>, and no word the table lacks', () => {
    const shown = [...USAGE.matchAll(/`\/campaign ([a-z|]+)/g)].flatMap((m) => (m[1] ?? '').split('|'));
    const expected = SUBCOMMANDS.filter((s) => s.kind !== 'help').flatMap((s) => s.words);
    expect({
      missing: expected.filter((w) => !shown.includes(w)),
      extra: [...new Set(shown)].filter((w) => !expected.includes(w)),
    }).toEqual({ missing: [], extra: [] });
  });
});
