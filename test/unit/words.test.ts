import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAMPAIGN_ACTIONS } from '../../src/core/actions.ts';
import { HOOK_SOURCES } from '../../src/core/sources.ts';
import { USAGE as CLI_USAGE } from '../../src/doors/cli/main.ts';
import { ACTION_WORDS, campaignWordLists, commandWordsDrift, drift } from '../support/words.ts';

// The manifest and the OpenAPI file are held in their own tests (manifest.test.ts, openapi.test.ts); these are the
// documents people read and the CLI's help.
const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const documents = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(new URL('../../docs', import.meta.url))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

describe('the actions and the webhook sources, wherever people read them', () => {
  it('writes `/campaign …` in the documents with the subcommand table’s words, every action where one is listed', () => {
    const lists = documents.flatMap((path) =>
      campaignWordLists(read(path), { backticked: true }).map((words) => ({ path, words })),
    );
    expect(lists.length).toBeGreaterThan(10);
    const problems = lists.flatMap(({ path, words }) =>
      commandWordsDrift(`${path}: /campaign ${words.join('|')}`, words),
    );
    expect(problems).toEqual([]);
  });

  it('lists every webhook source in the integrations guide: a row of the tools table each, and the rules’ comment', () => {
    const guide = read('docs/integrations.md');
    const rows = [...guide.matchAll(/^\|.*`…\/api\/v1\/hooks\/([a-z]+)`/gm)].map((m) => m[1] ?? '');
    const comment = /^\s*source: \w+\s+# (.+)$/m.exec(guide)?.[1]?.split(' | ') ?? [];
    expect([
      ...drift('docs/integrations.md, the tools table', rows, HOOK_SOURCES),
      ...drift('docs/integrations.md, the `source:` comment', comment, HOOK_SOURCES),
    ]).toEqual([]);
  });

  it('lists every action in the access policy’s table of rule fields', () => {
    const row = /^\| `actions` \| (.+?) \|/m.exec(read('docs/access-policy.md'))?.[1] ?? '';
    const named = [...row.matchAll(/`([A-Z]+)`/g)].map((m) => m[1] ?? '');
    expect(drift('docs/access-policy.md, the `actions` row', named, CAMPAIGN_ACTIONS)).toEqual([]);
  });

  it('shows every action in the CLI’s usage, as its first word', () => {
    const lists = [...CLI_USAGE.matchAll(/campaign-bot <([a-z|]+)>/g)].map((m) => (m[1] ?? '').split('|'));
    expect(lists.length).toBe(2);
    expect(lists.flatMap((words, i) => drift(`the CLI's usage, line ${i + 1}`, words, ACTION_WORDS))).toEqual(
      [],
    );
  });
});
