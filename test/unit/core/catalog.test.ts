import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dashboardLink, refOf, refsInText, splitTokens } from '../../../src/core/campaign-refs.ts';
import {
  type CatalogEntry,
  catalogView,
  entryLabel,
  normalizeName,
  queryWords,
} from '../../../src/core/catalog.ts';

const at = 1_000;
function entry(id: string, name: string, status = 'ACTIVE', extra: Partial<CatalogEntry> = {}): CatalogEntry {
  return { id, name, status, channel: 'PUSH', seenAt: at, ...extra };
}
const hex = (n: number) => n.toString(16).padStart(24, '0');

describe('names as people type them', () => {
  it('compares accents, case and punctuation aside', () => {
    expect(normalizeName('Black-Friday  PÛSH (EU)')).toBe('black friday push eu');
    expect(queryWords('  Price  drop price ')).toEqual(['price', 'drop']);
  });

  it('finds a campaign by its words in any order, whole words before prefixes before parts, live before ended', () => {
    const view = catalogView(
      [
        entry(hex(1), 'Black Friday Push', 'STOPPED'),
        entry(hex(2), 'Black Friday Push EU', 'ACTIVE'),
        entry(hex(3), 'Blackout Friday teaser', 'ACTIVE'),
        entry(hex(4), 'Price drop email', 'ACTIVE'),
      ],
      at,
    );
    expect(view.search('friday black', 10).map((e) => e.id)).toEqual([hex(2), hex(1), hex(3)]);
    expect(view.search('fri bla', 10).map((e) => e.id)).toEqual([hex(2), hex(3), hex(1)]);
    expect(view.search('price email', 10).map((e) => e.id)).toEqual([hex(4)]);
    expect(view.search('cyber', 10)).toEqual([]);
    expect(view.search('', 10)).toEqual([]);
    expect(view.search(hex(4), 10).map((e) => e.id)).toEqual([hex(4)]);
  });

  it('resolves a quoted name to one campaign, several to choose from, or none', () => {
    const view = catalogView(
      [
        entry(hex(1), 'Black Friday Push'),
        entry(hex(2), 'Black Friday Push EU'),
        entry(hex(3), 'Price drop'),
      ],
      at,
    );
    expect(view.resolve('price DROP')).toEqual({ kind: 'one', entry: view.byId(hex(3)) });
    // An exact name is that campaign, though a longer name contains it.
    expect(view.resolve('black friday push')).toEqual({ kind: 'one', entry: view.byId(hex(1)) });
    const several = view.resolve('friday');
    expect(several.kind).toBe('several');
    expect(several.kind === 'several' && several.candidates.map((e) => e.id).sort()).toEqual([
      hex(1),
      hex(2),
    ]);
    expect(view.resolve('nothing like it')).toEqual({ kind: 'none' });
    const many = catalogView(
      Array.from({ length: 30 }, (_, i) => entry(hex(100 + i), `Flash sale ${i}`)),
      at,
    ).resolve('flash', 10);
    expect(many.kind === 'several' && [many.candidates.length, many.more]).toEqual([10, true]);
  });

  it('finds the whole names a message carries, never a one-word name inside other words', () => {
    const view = catalogView(
      [entry(hex(1), 'Black Friday Push'), entry(hex(2), 'Sale'), entry(hex(3), 'Price drop email')],
      at,
    );
    const alert = '[FIRING] Bounce rate high on "PRICE-DROP email" and black friday push; Sale is fine';
    expect(view.namesIn(alert).map((e) => e.id)).toEqual([hex(1), hex(3)]);
  });

  it('labels an option within 75 characters, keeping channel and status', () => {
    const long = entry(hex(1), 'A'.repeat(120), 'ACTIVE', { channel: 'EMAIL' });
    const label = entryLabel(long);
    expect(label.length).toBe(75);
    expect(label.endsWith('… · EMAIL · ACTIVE')).toBe(true);
    expect(entryLabel(entry(hex(2), 'Short'))).toBe('Short · PUSH · ACTIVE');
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 40 }), (name, channel) => {
        expect(
          entryLabel({ id: 'x', name, channel, status: 'ACTIVE', seenAt: 0 }).length,
        ).toBeLessThanOrEqual(75);
      }),
    );
  });
});

describe('how people point at campaigns', () => {
  it('keeps a quoted name whole among ids, commas and typographic quotes', () => {
    expect(splitTokens('64f1a2b3c4d5e6f7a8b9c0d1, "black friday  push" group:x “price drop”')).toEqual([
      '64f1a2b3c4d5e6f7a8b9c0d1',
      '"black friday  push"',
      'group:x',
      '"price drop"',
    ]);
    expect(splitTokens('"unclosed name')).toEqual(['"unclosed name"']);
    expect(splitTokens('a  b,,c\n"')).toEqual(['a', 'b', 'c']);
    // Slack's link with a text someone gave it stays one token (the label's spaces and quotes included).
    const link = 'https://dashboard-01.moengage.com/v4/#/push/64f1a2b3c4d5e6f7a8b9c0d1/edit';
    expect(splitTokens(`<${link}|the "BF" push>, a`)).toEqual([`<${link}|the "BF" push>`, 'a']);
    expect(dashboardLink(`<${link}|the "BF" push>`)?.id).toBe('64f1a2b3c4d5e6f7a8b9c0d1');
    expect(splitTokens('a <b c, d')).toEqual(['a', '<b', 'c', 'd']);
  });

  it('reads a dashboard link as its campaign and data center, in any of the shapes seen, and nothing else', () => {
    const id = '64F1A2B3C4D5E6F7A8B9C0D1';
    expect(dashboardLink(`https://dashboard-01.moengage.com/v4/#/email/${id}/edit?step=2`)).toEqual({
      id: id.toLowerCase(),
      dataCenter: '01',
    });
    expect(
      dashboardLink(`<https://dashboard-3.moengage.com/v4/#/sms/create?type=one-time&draftId=${id}|see>`),
    ).toEqual({ id: id.toLowerCase(), dataCenter: '03' });
    expect(dashboardLink(`https://dashboard-101.moengage.com/v4/#/push/${id}/content`)?.dataCenter).toBe(
      '101',
    );
    expect(dashboardLink(`https://evil.example/dashboard-01.moengage.com/${id}`)).toBeUndefined();
    expect(dashboardLink(`https://dashboard-01.moengage.com.evil.example/${id}`)).toBeUndefined();
    expect(dashboardLink('https://dashboard-01.moengage.com/v4/#/campaigns')).toBeUndefined();
    expect(refOf('"  Price drop "')).toEqual({ kind: 'name', query: 'Price drop' });
    expect(refOf('group:bf')).toEqual({ kind: 'group', token: 'group:bf' });
    expect(refOf('abc')).toEqual({ kind: 'id', id: 'abc' });
  });

  it('finds links, lone ids and quoted names in an alert, each once, in order', () => {
    const id1 = 'aaaaaaaaaaaaaaaaaaaaaaaa';
    const id2 = 'bbbbbbbbbbbbbbbbbbbbbbbb';
    const text = `Spike on <https://dashboard-02.moengage.com/v4/#/email/${id1}/edit|the email>. Also ${id2}, and "Price drop email". Again ${id1}; trace 0123456789abcdef0123456789abcdef.`;
    expect(refsInText(text)).toEqual([
      { kind: 'link', id: id1, dataCenter: '02' },
      { kind: 'id', id: id2 },
      { kind: 'name', query: 'Price drop email' },
    ]);
  });
});

describe('a request’s names and links, read against the catalog', () => {
  it('turns links and single matches into ids, and keeps several matches and none apart', async () => {
    const { resolveRefs, needsCatalog } = await import('../../../src/core/campaign-refs.ts');
    const view = catalogView(
      [entry(hex(1), 'Black Friday push'), entry(hex(2), 'Black Friday email'), entry(hex(3), 'Price drop')],
      at,
    );
    const link = `https://dashboard-01.moengage.com/v4/#/email/${hex(9)}/edit`;
    const tokens = ['"price drop"', link, 'group:bf', '"friday"', '"nothing"', 'plainid'];
    expect(needsCatalog(tokens)).toBe(true);
    expect(needsCatalog([link, 'x'])).toBe(false);
    const r = resolveRefs(tokens, view);
    expect(r.tokens).toEqual([hex(3), hex(9), 'group:bf', 'plainid']);
    expect(r.named).toEqual([{ query: 'price drop', entry: view.byId(hex(3)) }]);
    expect(r.ambiguous.map((a) => [a.query, a.candidates.map((c) => c.id).sort()])).toEqual([
      ['friday', [hex(1), hex(2)]],
    ]);
    expect(r.missing).toEqual(['nothing']);
    // No catalog at all: a name finds nothing (never passed on as an id).
    expect(resolveRefs(['"price drop"'], undefined)).toMatchObject({ tokens: [], missing: ['price drop'] });
  });
});
