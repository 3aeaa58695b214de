import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dedupe, planChunks, splitRejected } from '../../../src/moengage/plan.ts';

describe('planning requests', () => {
  it('drops repeated ids and keeps the first position of each', () => {
    expect(dedupe(['b', 'a', 'b', 'c', 'a'])).toEqual(['b', 'a', 'c']);
  });

  it('splits 25 ids into 10, 10 and 5 in order', () => {
    const ids = Array.from({ length: 25 }, (_, i) => `c${i}`);
    const chunks = planChunks(ids);
    expect(chunks.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(chunks.flat()).toEqual(ids);
    expect(planChunks([])).toEqual([]);
    expect(() => planChunks(ids, 0)).toThrow(RangeError);
  });

  it('keeps every id exactly once and no chunk over the size, for any input', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), fc.integer({ min: 1, max: 12 }), (ids, size) => {
        const chunks = planChunks(ids, size);
        expect(chunks.flat()).toEqual(ids);
        expect(chunks.every((c) => c.length >= 1 && c.length <= size)).toBe(true);
      }),
    );
  });

  it('fails the ids an error names, unsent again, and sends the rest together', () => {
    const ids = ['c_1', 'c_2', 'c_10', 'c_11'];
    expect(splitRejected(ids, 'Campaign c_10 not found\nc_2: cannot be paused')).toEqual({
      failed: ['c_2', 'c_10'],
      retry: [['c_1', 'c_11']],
    });
    expect(splitRejected(['a1', 'b1'], 'a1 and b1 are wrong')).toEqual({ failed: ['a1', 'b1'], retry: [] });
  });

  it('does not take an id for a mention inside a longer id', () => {
    expect(splitRejected(['c_1', 'c_2'], 'Campaign c_10 not found')).toEqual({
      failed: [],
      retry: [['c_1'], ['c_2']],
    });
  });

  it('halves when the error names none, and takes a single id for the bad one', () => {
    expect(splitRejected(['a', 'b', 'c', 'd', 'e'], 'Invalid campaign')).toEqual({
      failed: [],
      retry: [
        ['a', 'b', 'c'],
        ['d', 'e'],
      ],
    });
    expect(splitRejected(['only'], 'Invalid campaign')).toEqual({ failed: ['only'], retry: [] });
  });

  it('accounts for every id once, and never sends a named id again', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/), { minLength: 1, maxLength: 10 }),
        fc.string(),
        (ids, text) => {
          const { failed, retry } = splitRejected(ids, text);
          expect([...failed, ...retry.flat()].sort()).toEqual([...ids].sort());
          expect(retry.every((p) => p.length > 0 && p.length < ids.length)).toBe(true);
          for (const id of failed) expect(retry.flat()).not.toContain(id);
        },
      ),
    );
  });
});
