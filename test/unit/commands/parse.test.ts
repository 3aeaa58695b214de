import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCampaignCommand } from '../../../src/commands/parse.ts';

describe('parseCampaignCommand', () => {
  it('reads an action in any case and ids split on spaces, commas and new lines', () => {
    expect(parseCampaignCommand('PaUsE a1, b-2\nc_3  a1', { maxIds: 100 })).toEqual({
      kind: 'request',
      action: 'PAUSE',
      campaignIds: ['a1', 'b-2', 'c_3'],
      reason: undefined,
      duplicatesDropped: 1,
      tokens: ['a1', 'b-2', 'c_3', 'a1'],
    });
    expect(parseCampaignCommand('stop x', { maxIds: 100 })).toMatchObject({
      action: 'STOP',
      campaignIds: ['x'],
    });
  });

  it('shows usage for an empty command and for help', () => {
    for (const text of ['', '   ', 'help', 'HELP', '--help']) {
      expect(parseCampaignCommand(text, { maxIds: 100 })).toEqual({ kind: 'help' });
    }
  });

  it('refuses an unknown action, naming it and showing the right form', () => {
    const parsed = parseCampaignCommand('delete abc', { maxIds: 100 });
    expect(parsed.kind).toBe('error');
    expect(parsed.kind === 'error' && parsed.message).toMatch(
      /^I don't know the action "delete"\.\n\*Usage:\*/,
    );
  });

  it('asks for ids when none are given', () => {
    const parsed = parseCampaignCommand('resume', { maxIds: 100 });
    expect(parsed.kind === 'error' && parsed.message).toMatch(/^Which campaigns should I resume\?/);
  });

  it('names the invalid ids, escaped, and says what an id looks like', () => {
    const parsed = parseCampaignCommand('pause ok_1 <!channel> a&b x', { maxIds: 100 });
    expect(parsed.kind === 'error' && parsed.message).toContain(
      'These are not campaign ids: "&lt;!channel&gt;", "a&amp;b". A campaign id is 1–64 letters, digits, `_` or `-`.',
    );
    const long = parseCampaignCommand(`pause ${'x'.repeat(65)}`, { maxIds: 100 });
    expect(long.kind).toBe('error');
  });

  it('refuses more ids than allowed, with the number, after dropping repeats', () => {
    const ids = Array.from({ length: 101 }, (_, i) => `c${i}`).join(' ');
    const parsed = parseCampaignCommand(`pause ${ids}`, { maxIds: 100 });
    expect(parsed.kind === 'error' && parsed.message).toMatch(
      /^That is 101 campaign ids; one command takes at most 100\./,
    );
    expect(parseCampaignCommand(`pause ${ids} c1 c2`.replace('c100', 'c1'), { maxIds: 100 }).kind).toBe(
      'request',
    );
  });

  it('never throws: any text gives a request, help, or an error whose user text is escaped', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.integer({ min: 1, max: 200 }),
        (text, max) => {
          const parsed = parseCampaignCommand(text, { maxIds: max });
          if (parsed.kind === 'error') {
            expect(parsed.message.length).toBeGreaterThan(0);
            expect(parsed.message).not.toMatch(/<[!@#]/);
          }
          if (parsed.kind === 'request') {
            expect(parsed.campaignIds.length).toBeGreaterThan(0);
            expect(parsed.campaignIds.length).toBeLessThanOrEqual(max);
            expect(new Set(parsed.campaignIds).size).toBe(parsed.campaignIds.length);
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('parses any well-formed command back to its ids', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('pause', 'RESUME', 'Stop'),
        fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), { minLength: 1, maxLength: 50 }),
        fc.constantFrom(' ', ',', '\n', ', '),
        (action, ids, sep) => {
          const parsed = parseCampaignCommand(`${action} ${ids.join(sep)}`, { maxIds: 100 });
          expect(parsed).toMatchObject({ kind: 'request', action: action.toUpperCase(), campaignIds: ids });
        },
      ),
    );
  });
});
