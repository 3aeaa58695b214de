import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MoEngageHttpError, parseErrorBody } from '../../../src/moengage/errors.ts';
import { backoffDelay, retryAtFromHeaders, retryPolicies } from '../../../src/moengage/retry-policy.ts';

describe('parseErrorBody', () => {
  it('reads the documented 400 shape', () => {
    const body =
      '{"error":{"code":"400 Bad Request","message":"request_id key is mandatory field","target":"request_id","details":[{"target":"request_id","message":"request_id key is mandatory field"}],"request_id":"11"}}';
    expect(parseErrorBody(400, body)).toMatchObject({
      code: '400 Bad Request',
      message: 'request_id key is mandatory field',
    });
  });

  it('reads a 401 whose detail message is an array of objects', () => {
    const body = JSON.stringify({
      error: {
        code: '401 Authentication error',
        message: 'Authentication required',
        details: [{ code: 'InvalidValue', target: 'APP_SECRET_KEY', message: [{ message: 'Invalid key' }] }],
      },
    });
    expect(parseErrorBody(401, body)).toMatchObject({
      code: '401 Authentication error',
      message: 'Authentication required (APP_SECRET_KEY: Invalid key)',
    });
  });

  it('says clearly when a body is empty, not JSON or not the error shape', () => {
    expect(parseErrorBody(502, '').message).toBe('MoEngage answered HTTP 502 with an empty body');
    expect(parseErrorBody(502, 'Bad gateway').message).toBe(
      'MoEngage answered HTTP 502 with a body that is not JSON: Bad gateway',
    );
    expect(parseErrorBody(418, '{"oops":1}').message).toBe(
      'MoEngage answered HTTP 418 with an unexpected body: {"oops":1}',
    );
    expect(parseErrorBody(500, '{"error":{}}').message).toBe('HTTP 500');
  });

  it('never throws and always gives a non-empty message, for any body', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ error: v })),
        ),
        (raw) => {
          const parsed = parseErrorBody(400, raw);
          expect(parsed.message.length).toBeGreaterThan(0);
          expect(parsed.message.length).toBeLessThanOrEqual(1_000);
        },
      ),
    );
  });

  it('classifies statuses: 5xx, 408 and 429 retryable; other 4xx final', () => {
    const make = (status: number) =>
      new MoEngageHttpError({
        status,
        code: undefined,
        message: 'm',
        requestId: 'r',
        retryAtMs: undefined,
        detailText: '',
      });
    expect([500, 503, 408, 429].map((s) => make(s).retryable)).toEqual([true, true, true, true]);
    expect([400, 401, 403, 404, 422].map((s) => make(s).retryable)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect([401, 403, 429, 502, 400].map((s) => make(s).kind)).toEqual([
      'unauthorized',
      'unauthorized',
      'rate_limited',
      'server_error',
      'rejected',
    ]);
  });
});

describe('retry policy', () => {
  it('backs off exponentially with full jitter, capped', () => {
    const policy = retryPolicies.standard;
    expect(backoffDelay(policy, 1, () => 0.999)).toBe(499);
    expect(backoffDelay(policy, 3, () => 0.5)).toBe(1_000);
    expect(backoffDelay(policy, 20, () => 0.999)).toBe(14_985);
    expect(backoffDelay(policy, 4, () => 0)).toBe(0);
  });

  it('reads x-ratelimit-reset as epoch seconds, or as seconds to wait when small', () => {
    const now = 1_800_000_000_000;
    expect(retryAtFromHeaders({ 'x-ratelimit-reset': '1800000005' }, now)).toBe(1_800_000_005_000);
    expect(retryAtFromHeaders({ 'x-ratelimit-reset': '3' }, now)).toBe(now + 3_000);
  });

  it('falls back to Retry-After in seconds or as a date, and ignores junk', () => {
    const now = Date.parse('2026-11-27T10:00:00Z');
    expect(retryAtFromHeaders({ 'retry-after': '7' }, now)).toBe(now + 7_000);
    expect(retryAtFromHeaders({ 'retry-after': 'Fri, 27 Nov 2026 10:00:30 GMT' }, now)).toBe(now + 30_000);
    expect(retryAtFromHeaders({ 'retry-after': 'soon', 'x-ratelimit-reset': 'later' }, now)).toBeUndefined();
    expect(retryAtFromHeaders({}, now)).toBeUndefined();
  });
});
