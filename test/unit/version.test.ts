import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe("the bot's version", () => {
  it("is package.json's", () => {
    expect(VERSION).toBe((JSON.parse(read('package.json')) as { version: string }).version);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  });

  it('has its entry in CHANGELOG.md, dated, below Unreleased (Keep a Changelog)', () => {
    const headings = [...read('CHANGELOG.md').matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings[0]).toBe('[Unreleased]');
    expect(headings).toContainEqual(
      expect.stringMatching(new RegExp(`^\\[${VERSION.replaceAll('.', '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`)),
    );
  });
});
