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
 * What to do with a request MoEngage rejected as a whole, so the ids that are fine still get applied:
 * - the ids its error names (details or message) failed, with its words: they are never sent again;
 * - the rest, when the error named any, are sent again together (one request more, however many were bad);
 * - when it named none, both halves are sent (each split again if rejected): a rejection that names nothing
 *   may not be about any one id (MoEngage had a bad moment), so no half is taken for bad unsent. One bad id
 *   among n then costs at most 2⌈log2 n⌉ extra requests.
 * A single id in a rejected request is itself the bad one: `failed` holds it.
 */
export function splitRejected(
  ids: readonly string[],
  errorText: string,
): { failed: string[]; retry: string[][] } {
  const named = ids.filter((id) => mentions(errorText, id));
  if (named.length > 0) {
    const rest = ids.filter((id) => !named.includes(id));
    return { failed: named, retry: rest.length > 0 ? [rest] : [] };
  }
  if (ids.length <= 1) return { failed: [...ids], retry: [] };
  const half = Math.ceil(ids.length / 2);
  return { failed: [], retry: [ids.slice(0, half), ids.slice(half)] };
}

/** True when `id` appears in `text` as a whole token, so `c_1` is not found inside `c_10`. */
function mentions(text: string, id: string): boolean {
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_-])${escaped}($|[^A-Za-z0-9_-])`).test(text);
}
