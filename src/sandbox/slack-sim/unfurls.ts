import { blockKitError } from './block-kit.ts';
import type { MessageStore } from './messages.ts';
import { type Answer, fail } from './methods.ts';
import type { SimUnfurl, SlackBlock } from './types.ts';
import { isRecord, now, parseJson, str } from './util.ts';

export type Unfurls = ReturnType<typeof createUnfurls>;

/** The links Slack sent the app in one `link_shared` event: only these can be unfurled. */
interface Share {
  channel: string;
  ts: string;
  unfurlId: string;
  source: 'conversations_history' | 'composer';
  urls: Set<string>;
}

/**
 * Link unfurling as Slack documents it: a message's links on the app's `unfurl_domains` reach the bot in
 * `link_shared`; `chat.unfurl` (by `channel` + `ts`, or `unfurl_id` + `source`) attaches a card to each, and
 * calling it again for a link replaces that card. Refused as Slack refuses: `missing_channel`, `missing_ts`,
 * `missing_unfurls`, `invalid_unfurls_format` (not a JSON map of URLs), `cannot_parse_attachment` (a card that is
 * neither blocks nor an attachment, or blocks Slack would refuse), `cannot_find_channel`, `cannot_find_message`,
 * `cannot_unfurl_message` (the URL is not in the message) and `cannot_unfurl_url` (it is, but was never shared
 * with the app, e.g. a host outside its unfurl domains).
 */
export function createUnfurls(deps: { messages: MessageStore; domains: readonly string[] }) {
  const shares: Share[] = [];
  const cards = new Map<string, SimUnfurl>();
  let seq = 0;

  /** The links of `text` (`<url>`, `<url|label>` or bare), in order, once each. */
  const linksIn = (text: string): string[] => {
    const found: string[] = [];
    for (const m of text.matchAll(/<(https?:\/\/[^|>\s]+)(?:\|[^>]*)?>|(https?:\/\/[^\s<>|]+)/g)) {
      const url = m[1] ?? m[2];
      if (url && !found.includes(url)) found.push(url);
    }
    return found;
  };

  /** A link's host, when it is one of the app's unfurl domains or under one. */
  const unfurlDomain = (url: string): string | undefined => {
    let host: string;
    try {
      host = new URL(url).hostname.toLowerCase();
    } catch {
      return undefined;
    }
    return deps.domains.some((d) => host === d.toLowerCase() || host.endsWith(`.${d.toLowerCase()}`))
      ? host
      : undefined;
  };

  const share = (s: Omit<Share, 'unfurlId' | 'urls'> & { urls: string[]; unfurlId?: string }) => {
    seq += 1;
    const unfurlId = s.unfurlId ?? `U${String(seq).padStart(6, '0')}-unfurl-${seq}`;
    shares.push({ ...s, unfurlId, urls: new Set(s.urls) });
    return unfurlId;
  };

  const unfurl = (args: Record<string, unknown>): Answer => {
    const channel = str(args.channel);
    const ts = str(args.ts);
    const unfurlId = str(args.unfurl_id);
    const source = str(args.source);
    const byMessage = channel !== undefined && ts !== undefined;
    const byId = unfurlId !== undefined && source !== undefined;
    if (!byMessage && !byId) {
      if (unfurlId !== undefined) return fail('invalid_arguments');
      return fail(channel === undefined ? 'missing_channel' : 'missing_ts');
    }
    const raw = args.unfurls;
    if (raw === undefined || raw === '') return fail('missing_unfurls');
    const map = typeof raw === 'string' ? parseJson(raw) : raw;
    if (!isRecord(map) || Object.keys(map).length === 0) return fail('invalid_unfurls_format');
    for (const card of Object.values(map)) if (!cardOk(card)) return fail('cannot_parse_attachment');

    let target: Share | undefined;
    let textUrls: string[];
    if (byMessage) {
      // The composer's `COMPOSER` is no channel: its links unfurl by unfurl_id and source.
      if (channel === 'COMPOSER' || !/^[CGD][A-Z0-9]+$/.test(channel as string))
        return fail('cannot_find_channel');
      const message = deps.messages.get(channel as string, ts as string);
      target = shares.find((s) => s.channel === channel && s.ts === ts);
      if (!message && !target) return fail('cannot_find_message');
      textUrls = message ? linksIn(message.text) : [...(target?.urls ?? [])];
    } else {
      target = shares.find((s) => s.unfurlId === unfurlId && s.source === source);
      if (!target) return fail('cannot_find_message');
      textUrls = [...target.urls];
    }
    for (const url of Object.keys(map)) {
      if (!textUrls.includes(url)) return fail('cannot_unfurl_message');
      if (!target?.urls.has(url)) return fail('cannot_unfurl_url');
    }
    const share = target as Share;
    const at = now();
    for (const [url, card] of Object.entries(map) as [string, Record<string, unknown>][]) {
      const key = `${share.unfurlId}\u0000${url}`;
      const existing = cards.get(key);
      if (existing) {
        existing.unfurl = card;
        existing.versions.push({ unfurl: card, at });
      } else {
        cards.set(key, {
          url,
          channel: share.source === 'composer' ? undefined : share.channel,
          ts: share.source === 'composer' ? undefined : share.ts,
          unfurlId: share.unfurlId,
          source: share.source,
          unfurl: card,
          versions: [{ unfurl: card, at }],
        });
      }
    }
    return { status: 200, body: { ok: true } };
  };

  return {
    linksIn,
    unfurlDomain,
    share,
    methods: { 'chat.unfurl': unfurl },
    list: (): readonly SimUnfurl[] => [...cards.values()],
  };
}

/** A card is blocks (as a message's, under the same limits) or a legacy attachment. */
function cardOk(card: unknown): boolean {
  if (!isRecord(card)) return false;
  if (card.blocks !== undefined) {
    const blocks = card.blocks;
    if (!Array.isArray(blocks) || !blocks.every((b) => isRecord(b) && typeof b.type === 'string'))
      return false;
    return blockKitError(blocks as SlackBlock[]) === undefined;
  }
  return ['text', 'title', 'fallback', 'fields', 'pretext'].some((k) => card[k] !== undefined);
}
