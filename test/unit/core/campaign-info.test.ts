import { describe, expect, it } from 'vitest';
import type { CampaignOutcome } from '../../../src/core/actions.ts';
import {
  type CampaignInfo,
  checkedOutcome,
  flaggedOutcomes,
  judge,
  lookupOf,
  needsCheck,
  sendableIds,
} from '../../../src/core/campaign-info.ts';

const info = (status: string, deliveryType = 'PERIODIC'): CampaignInfo => ({
  id: 'c1',
  name: 'Spring sale',
  channel: 'PUSH',
  deliveryType,
  status,
});
const v1 = { stopBeyondScheduled: false };
const v5 = { stopBeyondScheduled: true };

describe('judging a looked-up campaign against the action (MoEngage’s documented transitions)', () => {
  it.each([
    ['PAUSE', undefined, v1, 'unknown'],
    ['PAUSE', info('ACTIVE'), v1, undefined],
    ['PAUSE', info('PAUSED'), v1, 'already'],
    ['PAUSE', info('ACTIVE', 'ONE_TIME'), v1, 'ineligible'],
    ['PAUSE', info('STOPPED'), v1, 'ineligible'],
    ['RESUME', info('PAUSED'), v1, undefined],
    ['RESUME', info('ACTIVE'), v1, 'already'],
    ['RESUME', info('SCHEDULED'), v1, 'ineligible'],
    ['STOP', info('SCHEDULED', 'ONE_TIME'), v1, undefined],
    ['STOP', info('ACTIVE', 'ONE_TIME'), v1, 'ineligible'],
    ['STOP', info('ACTIVE', 'ONE_TIME'), v5, undefined],
    ['STOP', info('PAUSED', 'ONE_TIME'), v5, undefined],
    ['STOP', info('ACTIVE', 'PERIODIC'), v5, 'ineligible'],
    ['STOP', info('STOPPED', 'ONE_TIME'), v5, 'already'],
    // A delivery type the documented rules do not name is left to MoEngage.
    ['PAUSE', info('ACTIVE', 'BROADCAST_LIVE_ACTIVITY'), v1, undefined],
  ] as const)('%s on %o (%o) → %s', (action, campaign, rules, flag) => {
    expect(judge(action, campaign, rules)?.flag).toBe(flag);
  });

  it('sends only the ids not flagged, and gives the flagged ones outcomes that are never failures', () => {
    const found = new Map([
      ['a', { ...info('ACTIVE'), id: 'a' }],
      ['b', { ...info('PAUSED'), id: 'b' }],
    ]);
    const lookup = lookupOf('PAUSE', ['a', 'b', 'c'], found, v1, 1);
    expect(sendableIds(['a', 'b', 'c'], lookup)).toEqual(['a']);
    expect(flaggedOutcomes(['a', 'b', 'c'], lookup).map((o) => [o.campaignId, o.status])).toEqual([
      ['b', 'already'],
      ['c', 'skipped'],
    ]);
    expect(sendableIds(['a', 'b'], { state: 'pending' })).toEqual(['a', 'b']);
    expect(sendableIds(['a', 'b'], { state: 'unavailable', at: 1, note: 'x' })).toEqual(['a', 'b']);
  });
});

describe('checking a failed outcome against MoEngage after the run', () => {
  const failed = (
    kind: string,
    attempts = 1,
    requestId: string | null = 'r1',
    uncertain = false,
  ): CampaignOutcome => ({
    campaignId: 'c1',
    status: 'failed',
    requestId: requestId ?? undefined,
    attempts,
    ...(uncertain ? { uncertain: true as const } : {}),
    error: {
      kind,
      httpStatus: kind === 'rejected' ? 400 : undefined,
      code: undefined,
      message: 'MoEngage 400: no',
    },
  });

  it('checks what reached MoEngage, never what was not sent', () => {
    expect(needsCheck(failed('rejected'))).toBe(true);
    expect(needsCheck(failed('timeout'))).toBe(true);
    expect(needsCheck(failed('server_error', 3))).toBe(true);
    // A 503 give-up: MoEngage refused every send at the door.
    const storm: CampaignOutcome = {
      campaignId: 'c1',
      status: 'failed',
      requestId: 'r1',
      attempts: 14,
      error: { kind: 'server_error', httpStatus: 503, code: undefined, message: 'MoEngage answered 503' },
    };
    expect(needsCheck(storm)).toBe(false);
    expect(needsCheck(failed('rate_limited', 1))).toBe(false);
    // 429, 429: refused twice, nothing applied; after a timeout, the first send may have been.
    expect(needsCheck(failed('rate_limited', 2))).toBe(false);
    expect(needsCheck(failed('rate_limited', 2, 'r1', true))).toBe(true);
    expect(needsCheck(failed('cancelled'))).toBe(false);
    expect(needsCheck(failed('unauthorized'))).toBe(false);
    expect(needsCheck(failed('rejected', 1, null))).toBe(false);
  });

  it('turns an uncertain failure of a campaign now in the target state into applied, a plain refusal into already', () => {
    const paused = { ok: true as const, info: info('PAUSED') };
    expect(checkedOutcome('PAUSE', failed('timeout', 2), paused)).toMatchObject({
      status: 'applied',
      confirmed: 'lookup',
    });
    expect(checkedOutcome('PAUSE', failed('rejected', 2, 'r1', true), paused)).toMatchObject({
      status: 'applied',
      confirmed: 'lookup',
    });
    // Refused after a split (more attempts, each answered): it was paused already, not by us.
    expect(checkedOutcome('PAUSE', failed('rejected', 4), paused)).toMatchObject({ status: 'already' });
    expect(checkedOutcome('PAUSE', failed('rejected', 1), paused, true)).toMatchObject({ status: 'applied' });
    expect(checkedOutcome('PAUSE', failed('rejected', 1), paused)).toMatchObject({
      status: 'already',
      seen: 'after',
    });
  });

  it('settles an uncertain outcome by lookup: applied, or known not applied (a failure); unchecked it stays uncertain', () => {
    const maybe: CampaignOutcome = {
      campaignId: 'c1',
      status: 'uncertain',
      requestId: 'r1',
      attempts: 3,
      error: { kind: 'timeout', httpStatus: undefined, code: undefined, message: 'MoEngage did not answer' },
    };
    expect(needsCheck(maybe)).toBe(true);
    expect(checkedOutcome('PAUSE', maybe, { ok: true, info: info('PAUSED') })).toMatchObject({
      status: 'applied',
      confirmed: 'lookup',
      attempts: 3,
    });
    expect(checkedOutcome('PAUSE', maybe, { ok: true, info: info('ACTIVE') })).toMatchObject({
      status: 'failed',
      error: { message: 'MoEngage did not answer; checked: not applied (MoEngage shows it active)' },
    });
    expect(checkedOutcome('PAUSE', maybe, { ok: false, why: 'MoEngage 403: no search' })).toMatchObject({
      status: 'uncertain',
      error: { message: 'MoEngage did not answer (not checked: MoEngage 403: no search)' },
    });
  });

  it('keeps a real failure, saying what MoEngage shows or that it could not check', () => {
    const active = checkedOutcome('PAUSE', failed('rejected'), { ok: true, info: info('ACTIVE') });
    expect(active).toMatchObject({
      status: 'failed',
      error: { message: 'MoEngage 400: no (MoEngage shows it active)' },
    });
    const gone = checkedOutcome('PAUSE', failed('rejected'), { ok: true, info: undefined });
    expect(gone).toMatchObject({
      status: 'failed',
      error: { message: 'MoEngage 400: no (MoEngage does not find it)' },
    });
    const unknown = checkedOutcome('PAUSE', failed('timeout'), { ok: false, why: 'MoEngage 403: no search' });
    expect(unknown).toMatchObject({
      status: 'failed',
      error: { message: 'MoEngage 400: no (not checked: MoEngage 403: no search)' },
    });
  });
});
