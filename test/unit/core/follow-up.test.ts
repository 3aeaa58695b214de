import { describe, expect, it } from 'vitest';
import { planFollowUp } from '../../../src/core/follow-up.ts';
import type { CampaignActionRequest } from '../../../src/core/request.ts';

const done = (over: Partial<CampaignActionRequest> = {}): CampaignActionRequest =>
  ({
    id: 'r1',
    action: 'PAUSE',
    campaignIds: ['a', 'b', 'c', 'd'],
    channelId: 'C1',
    requestedBy: 'UALICE',
    reason: 'INC-1',
    source: 'slash_command',
    grants: [],
    approvals: [],
    createdAt: 0,
    expiresAt: 1,
    messageTs: 'ts',
    state: 'confirmed',
    decidedBy: 'UBOB',
    decidedAt: 1,
    result: {
      applied: 2,
      failed: 1,
      already: 1,
      skipped: 0,
      completedAt: 1_000,
      outcomes: [
        { campaignId: 'a', status: 'applied' },
        { campaignId: 'b', status: 'failed', error: 'x' },
        { campaignId: 'c', status: 'already' },
        { campaignId: 'd', status: 'applied' },
      ],
    },
    ...over,
  }) as CampaignActionRequest;

const HOUR = 3_600_000;

describe('follow-ups of a finished request', () => {
  it('retries the failed ids with the same action, and undoes exactly what was applied', () => {
    expect(planFollowUp(done(), 'retry', 2_000, 24 * HOUR)).toEqual({
      ok: true,
      action: 'PAUSE',
      ids: ['b'],
      reason: 'retry of r1: INC-1',
    });
    expect(planFollowUp(done(), 'undo', 2_000, 24 * HOUR)).toEqual({
      ok: true,
      action: 'RESUME',
      ids: ['a', 'd'],
      reason: 'undo of r1: INC-1',
    });
  });

  it('never offers to retry an id that may have been applied (a second STOP nobody asked for), nor undo it', () => {
    const r = done({
      result: {
        applied: 1,
        failed: 1,
        uncertain: 1,
        completedAt: 1_000,
        outcomes: [
          { campaignId: 'a', status: 'applied' },
          { campaignId: 'b', status: 'failed', error: 'x' },
          { campaignId: 'c', status: 'uncertain', note: 'may have been applied: check in MoEngage' },
        ],
      },
    });
    expect(planFollowUp(r, 'retry', 2_000, HOUR)).toMatchObject({ ok: true, ids: ['b'] });
    expect(planFollowUp(r, 'undo', 2_000, HOUR)).toMatchObject({ ok: true, ids: ['a'] });
  });

  it('refuses an undo of a STOP, a lapsed undo, one proposed already, and a request not finished', () => {
    expect(planFollowUp(done({ action: 'STOP' }), 'undo', 2_000, HOUR)).toMatchObject({
      ok: false,
      why: expect.stringContaining('cannot be undone'),
    });
    expect(planFollowUp(done(), 'undo', 1_000 + 24 * HOUR + 1, 24 * HOUR)).toMatchObject({
      ok: false,
      why: expect.stringContaining('lapsed (24 h)'),
    });
    expect(planFollowUp(done({ followUps: { undo: 'r2' } }), 'undo', 2_000, HOUR)).toMatchObject({
      ok: false,
    });
    expect(planFollowUp(done({ state: 'pending', result: undefined }), 'retry', 2_000, HOUR)).toMatchObject({
      ok: false,
    });
  });
});
