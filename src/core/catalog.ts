/**
 * The campaign catalog: what the bot knows of every campaign of a workspace (id, name, channel, delivery type,
 * status, tags, flow), and how a name someone typed finds its campaigns. People know campaigns by name ("the
 * Black Friday push"), never by their 24-character id; MoEngage's search answers 15 a call within 100 calls a
 * minute, and Slack gives an options request 3 s, so the bot answers from its own copy. Pure: the copy is kept
 * by stores/ and refreshed by the lifecycle.
 */

export interface CatalogEntry {
  id: string;
  name: string;
  /** PUSH, EMAIL, SMS, … as MoEngage spells it. */
  channel?: string;
  /** ONE_TIME, PERIODIC, EVENT_TRIGGERED, … */
  deliveryType?: string;
  /** Upper case (MoEngage's examples answer "Active", its enum says ACTIVE). */
  status: string;
  tags?: string[];
  /** The flow (journey) whose step this campaign is, where MoEngage says. */
  flow?: { id: string; name?: string };
  /** When MoEngage last said anything of it (the bot's clock, ms). */
  seenAt: number;
}

/** Statuses in which a campaign is sending, or about to: found first, because an incident is about those. */
const LIVE = new Set(['ACTIVE', 'SCHEDULED', 'SENDING', 'RUNNING']);
const RESTING = new Set(['PAUSED']);

/**
 * A name as it is compared: accents and case aside (NFKD, marks dropped, lower case), every run of anything but
 * letters and digits one space. "Black-Friday  Pûsh" and "black friday push" compare alike.
 */
export function normalizeName(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The words of a query, normalized; empty words dropped, repeats once. */
export function queryWords(query: string): string[] {
  return [
    ...new Set(
      normalizeName(query)
        .split(' ')
        .filter((w) => w !== ''),
    ),
  ];
}

/** An entry with what every search compares, computed once when the copy is loaded. */
export interface IndexedEntry {
  entry: CatalogEntry;
  /** The normalized name, padded with a space each side so ` word ` finds whole words. */
  padded: string;
  words: string[];
}

export function indexEntry(entry: CatalogEntry): IndexedEntry {
  const normalized = normalizeName(entry.name);
  return { entry, padded: ` ${normalized} `, words: normalized.split(' ') };
}

/**
 * How well a name matches a query, or 0 when it does not: every query word must occur in the name (in any order;
 * a part of a word counts). A whole word scores most, the start of a word next, inside a word least; a live
 * campaign scores above a paused one, above one that ended.
 */
export function matchScore(item: IndexedEntry, words: readonly string[]): number {
  if (words.length === 0) return 0;
  let score = 0;
  for (const word of words) {
    if (item.padded.includes(` ${word} `)) score += 3;
    else if (item.padded.includes(` ${word}`)) score += 2;
    else if (item.padded.includes(word)) score += 1;
    else return 0;
  }
  // The query's words in the name's order, from its start: the name someone is typing.
  if (item.padded.startsWith(` ${words.join(' ')}`)) score += 1;
  return score * 4 + statusRank(item.entry.status);
}

function statusRank(status: string): number {
  if (LIVE.has(status)) return 2;
  if (RESTING.has(status)) return 1;
  return 0;
}

/**
 * The best matches of a query, best first, at most `limit`: by score, then the most recently seen, then the
 * shorter name (the closer match), then by name. A query that is a campaign id finds that campaign alone.
 */
export function searchIndex(items: readonly IndexedEntry[], query: string, limit: number): CatalogEntry[] {
  const trimmed = query.trim();
  const exact = items.find((i) => i.entry.id === trimmed);
  if (exact) return [exact.entry];
  const words = queryWords(trimmed);
  if (words.length === 0 || limit <= 0) return [];
  // A bounded heap would save little: the matches of a typed query are few; the scan itself is the cost.
  const scored: { item: IndexedEntry; score: number }[] = [];
  for (const item of items) {
    const score = matchScore(item, words);
    if (score > 0) scored.push({ item, score });
  }
  scored.sort(
    (a, b) =>
      b.score - a.score ||
      b.item.entry.seenAt - a.item.entry.seenAt ||
      a.item.entry.name.length - b.item.entry.name.length ||
      a.item.entry.name.localeCompare(b.item.entry.name),
  );
  return scored.slice(0, limit).map((s) => s.item.entry);
}

/**
 * What a quoted name stands for: one campaign (`one`), several to choose from (`several`, best first, at most
 * `limit`), or none. An exact name (accents and case aside) is one campaign even when longer names contain it.
 */
export type NameResolution =
  | { kind: 'one'; entry: CatalogEntry }
  | { kind: 'several'; candidates: CatalogEntry[]; more: boolean }
  | { kind: 'none' };

export function resolveName(items: readonly IndexedEntry[], query: string, limit = 10): NameResolution {
  const found = searchIndex(items, query, limit + 1);
  if (found.length === 0) return { kind: 'none' };
  const wanted = normalizeName(query);
  const exact = found.filter((e) => normalizeName(e.name) === wanted);
  if (exact.length === 1) return { kind: 'one', entry: exact[0] as CatalogEntry };
  if (found.length === 1) return { kind: 'one', entry: found[0] as CatalogEntry };
  return { kind: 'several', candidates: found.slice(0, limit), more: found.length > limit };
}

/** The catalog of one workspace as a door or the lifecycle reads it: a snapshot, searched in memory. */
export interface CatalogView {
  /** When the last full listing finished (undefined until the first has). */
  fullAt: number | undefined;
  size: number;
  search(query: string, limit: number): CatalogEntry[];
  resolve(query: string, limit?: number): NameResolution;
  byId(id: string): CatalogEntry | undefined;
  /** The campaigns whose whole name a text carries (see namesInText). */
  namesIn(text: string, limit?: number): CatalogEntry[];
}

export function catalogView(entries: Iterable<CatalogEntry>, fullAt: number | undefined): CatalogView {
  const items: IndexedEntry[] = [];
  const ids = new Map<string, CatalogEntry>();
  for (const entry of entries) {
    items.push(indexEntry(entry));
    ids.set(entry.id, entry);
  }
  return {
    fullAt,
    size: items.length,
    search: (query, limit) => searchIndex(items, query, limit),
    resolve: (query, limit) => resolveName(items, query, limit),
    byId: (id) => ids.get(id),
    namesIn: (text, limit) => namesInText(items, text, limit),
  };
}

/** How a campaign is named in a list or an option: `Name · EMAIL · ACTIVE`, cut to `max` characters. */
export function entryLabel(entry: CatalogEntry, max = 75): string {
  const tail = [entry.channel, entry.status].filter(Boolean).join(' · ');
  const full = tail ? `${entry.name} · ${tail}` : entry.name;
  if (full.length <= max) return full;
  const room = max - (tail ? tail.length + 3 : 0) - 1;
  if (room >= 8) return `${entry.name.slice(0, room)}…${tail ? ` · ${tail}` : ''}`;
  return `${full.slice(0, max - 1)}…`;
}

/**
 * The catalog's campaigns whose whole name appears in a text (an alert, a teammate's note), in words, accents and
 * case aside: what "Act on campaigns in this message" offers beside the ids and links it finds. Names shorter
 * than two words or eight characters are left out ("Sale" would be found in every other alert).
 */
export function namesInText(items: readonly IndexedEntry[], text: string, limit = 20): CatalogEntry[] {
  const padded = ` ${normalizeName(text)} `;
  const found: CatalogEntry[] = [];
  for (const item of items) {
    if (item.words.length < 2 && item.padded.length < 10) continue;
    if (padded.includes(item.padded)) {
      found.push(item.entry);
      if (found.length >= limit) break;
    }
  }
  return found;
}
