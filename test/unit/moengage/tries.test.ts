import { describe, expect, it } from 'vitest';
import { MoEngageHttpError, MoEngageNetworkError } from '../../../src/moengage/errors.ts';
import type { RetryPolicy } from '../../../src/moengage/retry-policy.ts';
import {
  afterFailure,
  afterSend,
  durationText,
  endsUncertain,
  gaveUpText,
  lostAnswerResends,
  NO_TRIES,
  nextStep,
  type SendVerdict,
  type Tries,
  verdictOf,
} from '../../../src/moengage/tries.ts';

const http = (status: number) =>
  new MoEngageHttpError({
    status,
    code: undefined,
    message: `MoEngage ${status}: Something went wrong`,
    requestId: 'r',
    retryAtMs: undefined,
    detailText: '',
  });
const timeout = () =>
  new MoEngageNetworkError('MoEngage did not answer within 10000 ms', 'r', true, undefined);
const refused = () =>
  new MoEngageNetworkError('Could not reach MoEngage (ECONNREFUSED)', 'r', false, { code: 'ECONNREFUSED' });
const dropped = () =>
  new MoEngageNetworkError('Could not reach MoEngage (other side closed)', 'r', false, {
    code: 'UND_ERR_SOCKET',
  });

const policy: RetryPolicy = { maxAttempts: 50, baseDelayMs: 500, maxDelayMs: 15_000, maxElapsedMs: 90_000 };

function run(verdicts: SendVerdict[]): Tries {
  let t = NO_TRIES;
  for (const v of verdicts) t = afterFailure(afterSend(t, 0), v, 10_000);
  return t;
}

describe('what a failed send means', () => {
  it('tells a lost answer from a refusal and from an unclear server error', () => {
    expect(verdictOf(timeout())).toBe('lost');
    expect(verdictOf(dropped())).toBe('lost');
    expect(verdictOf(refused())).toBe('refused');
    expect(verdictOf(http(503))).toBe('refused');
    expect(verdictOf(http(429))).toBe('refused');
    expect(verdictOf(http(500))).toBe('unclear');
    expect(verdictOf(http(504))).toBe('unclear');
    expect(verdictOf(http(400))).toBe('final');
    expect(verdictOf(http(401))).toBe('final');
  });
});

describe('when a request is sent again', () => {
  it('retries 503s for the whole time budget, not for six quick tries', () => {
    const t = run(Array(14).fill('refused'));
    expect(nextStep(t, 'refused', policy, 2, 80_000, 5_000)).toEqual({ retry: true });
    expect(nextStep(t, 'refused', policy, 2, 88_000, 5_000)).toEqual({ retry: false, why: 'time' });
  });

  it('sends a request whose answer was lost at most twice more, whatever the time left', () => {
    expect(nextStep(run(['lost']), 'lost', policy, 2, 10_000, 0).retry).toBe(true);
    expect(nextStep(run(['lost', 'lost']), 'lost', policy, 2, 20_000, 0).retry).toBe(true);
    expect(nextStep(run(['lost', 'lost', 'lost']), 'lost', policy, 2, 30_000, 0)).toEqual({
      retry: false,
      why: 'resends',
    });
    // A 503 between them: MoEngage did not act on it, so it is not one of the two.
    expect(nextStep(run(['lost', 'refused', 'lost']), 'lost', policy, 2, 30_000, 0).retry).toBe(true);
    // Unclear 5xx after a lost answer count: MoEngage may have acted on them.
    expect(nextStep(run(['lost', 'unclear', 'unclear']), 'unclear', policy, 2, 30_000, 0).retry).toBe(false);
  });

  it('sends a V1 RESUME whose answer was lost once more only, and every V5 change twice more', () => {
    expect(lostAnswerResends('v1', 'PAUSE')).toBe(2);
    expect(lostAnswerResends('v1', 'STOP')).toBe(2);
    expect(lostAnswerResends('v1', 'RESUME')).toBe(1);
    expect(lostAnswerResends('v5', 'RESUME')).toBe(2);
    expect(nextStep(run(['lost', 'lost']), 'lost', policy, 1, 20_000, 0).retry).toBe(false);
  });

  it('never retries a refusal', () => {
    expect(nextStep(run(['final']), 'final', policy, 2, 0, 0)).toEqual({ retry: false, why: 'final' });
  });

  it('stops at the safety cap of sends', () => {
    const t = run(Array(50).fill('refused'));
    expect(nextStep(t, 'refused', policy, 2, 1_000, 0)).toEqual({ retry: false, why: 'attempts' });
  });
});

describe('whether what was not applied may have been', () => {
  it('is uncertain after a lost answer, unless a V5 answer to the same key settled it', () => {
    const lost = run(['lost', 'final']);
    expect(endsUncertain(lost, http(400), 'v1')).toBe(true);
    expect(endsUncertain(lost, http(422), 'v5')).toBe(false);
    expect(endsUncertain(run(['lost', 'refused']), http(503), 'v5')).toBe(true);
    expect(endsUncertain(run(['refused', 'refused']), http(503), 'v1')).toBe(false);
    expect(endsUncertain(run(['unclear']), http(500), 'v1')).toBe(true);
  });
});

describe('the words of a give-up', () => {
  it('says how long it tried and how many times', () => {
    const t = run(Array(14).fill('refused'));
    expect(gaveUpText(http(503), t, 90_000, false)).toBe(
      'MoEngage answered 503 for 1 min 30 s (14 tries); not applied. MoEngage said: Something went wrong',
    );
    const lost = afterFailure(
      afterSend(afterFailure(afterSend(NO_TRIES, 0), 'lost', 10_000), 0),
      'lost',
      20_000,
    );
    expect(gaveUpText(timeout(), lost, 31_000, true)).toBe(
      'MoEngage did not answer for 31.0 s (2 tries, the last one waited 20.0 s)',
    );
    expect(gaveUpText(refused(), run(['refused']), 500, false)).toBe(
      'Could not reach MoEngage (ECONNREFUSED), for 0.5 s (1 try); not applied',
    );
  });

  it('writes durations as people read them', () => {
    expect(durationText(8_500)).toBe('8.5 s');
    expect(durationText(90_000)).toBe('1 min 30 s');
    expect(durationText(120_000)).toBe('2 min');
    expect(durationText(59_990)).toBe('1 min');
  });
});
