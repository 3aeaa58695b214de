import { describe, expect, it } from 'vitest';
import type { CampaignActionRequest } from '../../../../src/core/request.ts';
import { blockKitError } from '../../../../src/sandbox/slack-sim/block-kit.ts';
import type { SlackBlock } from '../../../../src/sandbox/slack-sim/types.ts';
import { homeBlocks } from '../../../../src/slack/views/home-view.ts';

const T = Date.UTC(2026, 11, 1, 13);

function request(i: number, over: Partial<CampaignActionRequest> = {}): CampaignActionRequest {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    action: i % 3 === 0 ? 'STOP' : 'PAUSE',
    campaignIds: Array.from({ length: 1_000 }, (_, n) => `campaign_${n}`),
    reason: `${'x'.repeat(450)} <!channel> *bold*`,
    requestedBy: 'UALICE',
    channelId: 'CINCIDENT',
    source: 'slash_command',
    grants: [{ rule: 'r', needed: 2, requesterMayApprove: false }],
    approvals: [],
    createdAt: T,
    expiresAt: T + 900_000,
    messageTs: '1.1',
    state: 'pending',
    decidedBy: undefined,
    decidedAt: undefined,
    ...over,
  };
}

describe('the Home tab view', () => {
  it('stays within Block Kit limits for a view at the most it lists, and escapes what people wrote', () => {
    const many = Array.from({ length: 10 }, (_, i) => request(i));
    const blocks = homeBlocks(
      {
        approvals: many,
        freezes: many.map((r) => ({
          ...r,
          state: 'confirmed',
          freeze: { scope: { kind: 'group', name: 'black-friday' } },
        })),
        scheduled: many.map((r) => ({ request: r, at: T + 3_600_000, ids: 1_000 })),
        recent: Array.from({ length: 5 }, (_, i) => ({
          requestId: String(i),
          action: 'PAUSE' as const,
          channel: 'CINCIDENT',
          requestedBy: 'UALICE',
          reason: 'r',
          campaignIds: ['a'],
          requestedAt: T,
          approvedBy: [],
          confirmedBy: 'UBOB',
          end: { kind: 'completed' as const, at: T, applied: 1, failed: 0 },
        })),
        quota: { minute: 42, perMinute: 100 },
      },
      'You have already approved this request',
    );
    expect(blockKitError(blocks as SlackBlock[], 100)).toBeUndefined();
    expect(blocks.length).toBeLessThanOrEqual(100);
    const all = JSON.stringify(blocks);
    expect(all).not.toContain('<!channel>');
    expect(all).toContain('42 of 100 requests');
    // The STOP's Confirm asks again, as it does on the message.
    expect(all).toContain('Stopping ends a campaign for good');
  });
});
