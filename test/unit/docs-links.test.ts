import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The README is a way in: most of the text lives in docs/ and CONTRIBUTING.md, joined by relative links.
// A moved file or a renamed heading would leave a reader at a dead end, so every relative link must resolve.
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const documents = [
  'README.md',
  'CONTRIBUTING.md',
  'CHANGELOG.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '');
  return new Set([...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] ?? '')));
}

function relativeLinks(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '');
  return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] ?? '')
    .filter((target) => !/^[a-z]+:/.test(target));
}

describe('the documents’ links', () => {
  it('finds the documents the README sends readers to', () => {
    expect(documents).toEqual(expect.arrayContaining(['docs/operating.md', 'docs/access-policy.md']));
  });

  for (const document of documents) {
    it(`resolves every relative link of ${document}, anchors included`, () => {
      const broken: string[] = [];
      for (const target of relativeLinks(readFileSync(join(root, document), 'utf8'))) {
        const [file = '', anchor] = target.split('#');
        const path = file === '' ? join(root, document) : join(root, dirname(document), file);
        if (!existsSync(path)) {
          broken.push(`${target} (no file ${relative(root, path)})`);
          continue;
        }
        if (
          anchor !== undefined &&
          path.endsWith('.md') &&
          !anchorsOf(readFileSync(path, 'utf8')).has(anchor)
        ) {
          broken.push(`${target} (no heading #${anchor})`);
        }
      }
      expect(broken).toEqual([]);
    });
  }

  it('counts a link to a heading that is not there as broken', () => {
    expect(anchorsOf('# Operating it\n## Redis as operators run it\n```\n# not a heading\n```')).toEqual(
      new Set(['operating-it', 'redis-as-operators-run-it']),
    );
    expect(slug("Incident tools' webhooks")).toBe('incident-tools-webhooks');
    expect(slug('Runbooks: HTTP API, Workflow Builder step, CLI')).toBe(
      'runbooks-http-api-workflow-builder-step-cli',
    );
  });
});
