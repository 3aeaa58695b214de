import { MAX_IDS_PER_REQUEST } from './types.ts';

/** Drops repeated ids, keeping the first occurrence's position. */
export function dedupe(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

/** Splits ids into consecutive chunks of at most `size`, in order: 25 ids give 10/10/5. */
export function planChunks(ids: readonly string[], size: number = MAX_IDS_PER_REQUEST): string[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += size) chunks.push(ids.slice(i, i + size));
  return chunks;
}

/**
 * How to split a request that MoEngage rejected as a whole, so that the ids that are fine still get applied.
 * When the error names some of the ids (its details or message), those are tried alone and the rest together;
 * otherwise the request is halved. Either way every id ends up in exactly one part, and each part is smaller.
 */
export function splitRejected(ids: readonly string[], errorText: string): string[][] {
  if (ids.length <= 1) return [];
  const named = ids.filter((id) => mentions(errorText, id));
  if (named.length > 0 && named.length < ids.length) {
    const rest = ids.filter((id) => !named.includes(id));
    return [...named.map((id) => [id]), rest];
  }
  const half = Math.ceil(ids.length / 2);
  return [ids.slice(0, half), ids.slice(half)];
}

/** True when `id` appears in `text` as a whole token, so `c_1` is not found inside `c_10`. */
function mentions(text: string, id: string): boolean {
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_-])${escaped}($|[^A-Za-z0-9_-])`).test(text);
}
