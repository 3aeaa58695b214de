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

  it('leaves the campaigns to the picker when none are named, keeping the action, reason and pause-for', () => {
    expect(parseCampaignCommand('resume', { maxIds: 100 })).toEqual({
      kind: 'request',
      action: 'RESUME',
      tokens: [],
      campaignIds: [],
      reason: undefined,
      duplicatesDropped: 0,
    });
    expect(
      parseCampaignCommand(
        'pause for 2h reason: INC-9',
        { maxIds: 100, requireReasonFor: ['PAUSE'] },
        { now: 0 },
      ),
    ).toMatchObject({
      kind: 'request',
      action: 'PAUSE',
      tokens: [],
      reason: 'INC-9',
      pauseFor: { ms: 7_200_000 },
    });
    // Not an action: refused as before.
    expect(parseCampaignCommand('frobnicate', { maxIds: 100 }).kind).toBe('error');
  });

  it('keeps a quoted name whole and reads a dashboard link as its id, leaving names to the lifecycle', () => {
    const link = 'https://dashboard-01.moengage.com/v4/#/email/64F1A2B3C4D5E6F7A8B9C0D1/edit';
    const parsed = parseCampaignCommand(`pause “black friday push”, ${link} c1 reason: INC-1`, {
      maxIds: 100,
    });
    expect(parsed).toMatchObject({
      kind: 'request',
      action: 'PAUSE',
      tokens: ['"black friday push"', link, 'c1'],
      campaignIds: ['64f1a2b3c4d5e6f7a8b9c0d1', 'c1'],
      reason: 'INC-1',
    });
    expect(parseCampaignCommand('stop "cyber monday"', { maxIds: 100 })).toMatchObject({
      kind: 'request',
      tokens: ['"cyber monday"'],
      campaignIds: [],
    });
    // A link to anything but a campaign is no id.
    expect(parseCampaignCommand('pause https://example.com/x', { maxIds: 100 }).kind).toBe('error');
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
            // Ids, or only what the lifecycle reads after the policy (groups, quoted names), or nothing (the picker).
            const later = (t: string) => /^group:/i.test(t) || /^".*"$/.test(t);
            expect(parsed.campaignIds.length > 0 || parsed.tokens.every(later)).toBe(true);
            expect(parsed.campaignIds.length).toBeLessThanOrEqual(max);
            expect(new Set(parsed.campaignIds).size).toBe(parsed.campaignIds.length);
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('keeps a quoted name whole, in straight or typographic quotes, beside ids and dashboard links', () => {
    const link = 'https://dashboard-01.moengage.com/v4/#/email/64F1A2B3C4D5E6F7A8B9C0D1/edit?step=2';
    expect(
      parseCampaignCommand(`pause "Black Friday  push", camp_1 ${link} reason: INC-9 "bad" coupon`, {
        maxIds: 100,
      }),
    ).toEqual({
      kind: 'request',
      action: 'PAUSE',
      tokens: ['"Black Friday  push"', 'camp_1', link],
      // The link is its campaign; the name waits for the catalog (read after the policy's first look).
      campaignIds: ['camp_1', '64f1a2b3c4d5e6f7a8b9c0d1'],
      reason: 'INC-9 "bad" coupon',
      duplicatesDropped: 0,
    });
    expect(parseCampaignCommand('resume “price drop email”\n„café rewards”', { maxIds: 100 })).toMatchObject({
      kind: 'request',
      tokens: ['"price drop email"', '"café rewards"'],
      campaignIds: [],
    });
    // Slack escapes &, < and > in a command's text: a name gets them back.
    expect(parseCampaignCommand('pause "tips &amp; tricks &lt;3"', { maxIds: 100 })).toMatchObject({
      tokens: ['"tips & tricks <3"'],
    });
  });

  it('reads a name with a pause for a while, and names in status and history', () => {
    expect(parseCampaignCommand('pause "black friday" for 2h', { maxIds: 100 }, { now: 0 })).toMatchObject({
      kind: 'request',
      tokens: ['"black friday"'],
      pauseFor: { ms: 2 * 3_600_000 },
    });
    expect(parseCampaignCommand('status "price drop" camp_1', { maxIds: 100 })).toEqual({
      kind: 'status',
      tokens: ['"price drop"', 'camp_1'],
    });
    expect(parseCampaignCommand('history “black friday push” since 3d', { maxIds: 100 })).toEqual({
      kind: 'history',
      tokens: ['"black friday push"'],
      sinceMs: 3 * 86_400_000,
    });
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
