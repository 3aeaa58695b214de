import type { CatalogEntry, CatalogView } from './catalog.ts';
import { CAMPAIGN_ID_PATTERN } from './ids.ts';

/**
 * How people point at campaigns, in every door that takes ids: an id, `group:NAME`, a pasted MoEngage dashboard
 * link (`https://dashboard-01.moengage.com/v4/#/email/<24 hex>/edit`), or part of a name in double quotes
 * (`"black friday push"`). Pure.
 */
export type CampaignRef =
  | { kind: 'id'; id: string }
  | { kind: 'group'; token: string }
  | { kind: 'link'; id: string; dataCenter: string }
  | { kind: 'name'; query: string };

/** A MoEngage campaign id: 24 hex digits (either case, as links show them). */
const HEX24 = /[0-9a-fA-F]{24}/;
const HEX24_ALONE = /^[0-9a-fA-F]{24}$/;
/** MoEngage's dashboards: `dashboard-01` … `dashboard-06`, `dashboard-101` (data centers never change). */
const DASHBOARD = /^https?:\/\/dashboard-(\d{1,3})\.moengage\.com(?:[/?#]|$)/i;
/** Straight and typographic double quotes: Slack's clients and phones turn `"` into `“ ”`. */
const QUOTES = /["“”„]/;

/**
 * A dashboard link's campaign: the data center from the host and the first 24-hex run after it (MoEngage does not
 * document its links; seen: `…/v4/#/email/<id>/edit?step=2`, `…/#/sms/create?draftId=<id>`). Slack's `<url>` and
 * `<url|label>` forms are taken too. Undefined for anything else.
 */
export function dashboardLink(text: string): { id: string; dataCenter: string } | undefined {
  const url = unwrapSlackLink(text.trim());
  const host = DASHBOARD.exec(url);
  if (!host) return undefined;
  const hex = HEX24.exec(url.slice(host[0].length - 1));
  if (!hex) return undefined;
  return { id: hex[0].toLowerCase(), dataCenter: (host[1] as string).padStart(2, '0') };
}

function unwrapSlackLink(text: string): string {
  const m = /^<([^|>]+)(?:\|[^>]*)?>$/.exec(text);
  return m ? (m[1] as string) : text;
}

/**
 * Splits what follows the action into tokens: spaces, commas and new lines separate, except inside double
 * quotes, where a name is kept whole (`"black friday push"` is one token, quotes included), and inside Slack's
 * `<url|label>` (a link someone gave a text to keeps its label's spaces). An unclosed quote runs to the end.
 */
export function splitTokens(text: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quoted = false;
  let angled = false;
  const flush = () => {
    if (current !== '') tokens.push(current);
    current = '';
  };
  for (const ch of text) {
    if (angled) {
      current += ch;
      if (ch === '>') angled = false;
    } else if (!quoted && ch === '<' && current === '') {
      current = ch;
      angled = true;
    } else if (QUOTES.test(ch)) {
      if (quoted) {
        current += '"';
        flush();
        quoted = false;
      } else {
        flush();
        current = '"';
        quoted = true;
      }
    } else if (!quoted && /[\s,]/.test(ch)) flush();
    else current += ch;
  }
  // A `<` never closed was no Slack link: its words are split as any others.
  if (angled) return [...tokens, ...current.split(/[\s,]+/).filter((t) => t !== '')];
  if (quoted && current.length > 1) current += '"';
  if (current !== '"') flush();
  return tokens;
}

/** A token as a reference: `"…"` a name, a dashboard link its campaign, `group:NAME` a group, else an id. */
export function refOf(token: string): CampaignRef {
  if (token.length >= 2 && token.startsWith('"') && token.endsWith('"')) {
    return { kind: 'name', query: token.slice(1, -1).trim() };
  }
  const link = dashboardLink(token);
  if (link) return { kind: 'link', ...link };
  if (/^group:/i.test(token)) return { kind: 'group', token };
  return { kind: 'id', id: token };
}

/** True when a token needs the catalog (a quoted name) rather than being an id, a link or a group already. */
export function isNameToken(token: string): boolean {
  return refOf(token).kind === 'name';
}

/**
 * A token with links read: a dashboard link becomes its campaign id; anything else is left as it is. The ids that
 * follow are checked by the proposal's rules like any typed id.
 */
export function linkToId(token: string): string {
  const link = dashboardLink(token);
  return link ? link.id : token;
}

/**
 * Every campaign a message points at, for "Act on campaigns in this message": dashboard links, 24-hex ids standing
 * alone, and quoted names, found anywhere in its text (an alert's text, its blocks' and attachments' text flattened
 * by the caller). In the order they appear, each once.
 */
export function refsInText(text: string): CampaignRef[] {
  const found: CampaignRef[] = [];
  const seen = new Set<string>();
  const add = (key: string, ref: CampaignRef) => {
    if (seen.has(key)) return;
    seen.add(key);
    found.push(ref);
  };
  // Links first (their ids are inside them), then lone ids, then quoted names.
  const pieces = text.split(/[\s<>|()[\]{}'`*_~]+/).filter((p) => p !== '');
  for (const piece of pieces) {
    const link = dashboardLink(piece);
    if (link) add(`id:${link.id}`, { kind: 'link', ...link });
    else {
      const bare = piece.replace(/^[.,;:!?"“”]+|[.,;:!?"“”]+$/g, '');
      if (HEX24_ALONE.test(bare)) add(`id:${bare.toLowerCase()}`, { kind: 'id', id: bare.toLowerCase() });
    }
  }
  for (const m of text.matchAll(/["“”„]([^"“”„\n]{3,120})["“”„]/g)) {
    const query = (m[1] as string).trim();
    if (query !== '' && !CAMPAIGN_ID_PATTERN.test(query))
      add(`name:${query.toLowerCase()}`, { kind: 'name', query });
  }
  return found;
}

/** What a request's tokens came to once names and links were read against the catalog. */
export interface ResolvedRefs {
  /** The tokens with each link and each name that found one campaign replaced by its id (groups untouched). */
  tokens: string[];
  /** Each quoted name that found that one campaign, for the confirmation to show what it resolved to. */
  named: { query: string; entry: CatalogEntry }[];
  /** Names that found several campaigns: nothing is proposed; the person chooses. */
  ambiguous: { query: string; candidates: CatalogEntry[]; more: boolean }[];
  /** Names that found none. */
  missing: string[];
}

/** Reads every quoted name and dashboard link of `tokens` against a catalog view. Pure. */
export function resolveRefs(
  tokens: readonly string[],
  view: Pick<CatalogView, 'resolve'> | undefined,
): ResolvedRefs {
  const out: ResolvedRefs = { tokens: [], named: [], ambiguous: [], missing: [] };
  for (const token of tokens) {
    const ref = refOf(token);
    if (ref.kind === 'link') out.tokens.push(ref.id);
    else if (ref.kind !== 'name') out.tokens.push(token);
    else if (ref.query === '') out.missing.push(ref.query);
    else {
      const found = view ? view.resolve(ref.query, 10) : ({ kind: 'none' } as const);
      if (found.kind === 'one') {
        out.tokens.push(found.entry.id);
        out.named.push({ query: ref.query, entry: found.entry });
      } else if (found.kind === 'several') {
        out.ambiguous.push({ query: ref.query, candidates: found.candidates, more: found.more });
      } else out.missing.push(ref.query);
    }
  }
  return out;
}

/** True when any token needs the catalog to be read (a quoted name); links and ids do not. */
export function needsCatalog(tokens: readonly string[]): boolean {
  return tokens.some(isNameToken);
}
