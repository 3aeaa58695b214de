import { describe, expect, it } from 'vitest';
import type { CampaignActionRequest } from '../../../../src/core/request.ts';
import { blockKitError } from '../../../../src/sandbox/slack-sim/block-kit.ts';
import type { SlackBlock } from '../../../../src/sandbox/slack-sim/types.ts';
import { lookupReplies } from '../../../../src/slack/views/campaign-view.ts';
import {
  completedMessage,
  confirmationMessage,
  idListReplies,
} from '../../../../src/slack/views/messages.ts';
import { resultReplies } from '../../../../src/slack/views/results.ts';

/** Every message the bot builds, at its largest, within Block Kit's limits as the strict simulator checks them. */
const longIds = Array.from({ length: 1_000 }, (_, i) => `${'x'.repeat(58)}${String(i).padStart(6, '0')}`);

function request(over: Partial<CampaignActionRequest> = {}): CampaignActionRequest {
  return {
    id: 'r1',
    action: 'STOP',
    campaignIds: longIds,
    channelId: 'C1',
    requestedBy: 'UALICE',
    reason: 'r'.repeat(2_000),
    source: 'slash_command',
    grants: [{ rule: 'leads', needed: 2, requesterMayApprove: false }],
    approvals: [],
    createdAt: 0,
    expiresAt: 1,
    messageTs: 'ts',
    state: 'pending',
    decidedBy: undefined,
    decidedAt: undefined,
    ...over,
  } as CampaignActionRequest;
}

const ok = (blocks: unknown) => expect(blockKitError(blocks as SlackBlock[])).toBeUndefined();

describe('the bot’s messages within Block Kit’s limits', () => {
  it('a confirmation of 1,000 long ids with a long reason, its thread list, and the decided message', () => {
    const r = request();
    ok(confirmationMessage(r).blocks);
    for (const reply of idListReplies(r)) ok(reply.blocks);
  });

  it('a looked-up confirmation with every id flagged and long names, and its thread table', () => {
    const campaigns = Object.fromEntries(
      longIds.map((id) => [
        id,
        { id, name: 'n'.repeat(300), channel: 'PUSH', deliveryType: 'PERIODIC', status: 'ACTIVE' },
      ]),
    );
    const flagged = Object.fromEntries(
      longIds.map((id) => [id, { flag: 'ineligible' as const, reason: 'q'.repeat(200) }]),
    );
    const r = request({ lookup: { state: 'done', at: 1, campaigns, flagged } });
    ok(confirmationMessage(r).blocks);
    for (const reply of lookupReplies(r)) ok(reply.blocks);
    ok(
      confirmationMessage(
        request({ campaignIds: longIds.slice(0, 15), lookup: { state: 'done', at: 1, campaigns, flagged } }),
      ).blocks,
    );
  });

  it('results of 1,000 failures with long MoEngage messages, and the summary', () => {
    const outcomes = longIds.map((campaignId) => ({
      campaignId,
      status: 'failed' as const,
      requestId: 'q',
      attempts: 1,
      error: { kind: 'rejected', httpStatus: 400, code: undefined, message: 'm'.repeat(1_000) },
    }));
    const report = {
      action: 'PAUSE' as const,
      outcomes,
      applied: 0,
      failed: 1_000,
      requests: 100,
      sends: [],
      elapsedMs: 1,
    };
    const replies = resultReplies(report);
    expect(replies.length).toBeGreaterThan(1);
    for (const reply of replies) ok(reply.blocks);
    ok(completedMessage(request({ state: 'confirmed', decidedBy: 'UBOB' }), report).blocks);
  });
});

describe('the strict simulator’s Block Kit check', () => {
  const section = (n: number) => ({ type: 'section', text: { type: 'mrkdwn', text: 'a'.repeat(n) } });
  it('refuses what Slack refuses', () => {
    expect(blockKitError(Array.from({ length: 51 }, () => section(1)))).toBe('invalid_blocks');
    expect(blockKitError([section(3_001)])).toBe('invalid_blocks');
    expect(blockKitError([section(3_000), section(3_000), section(3_000), section(2_001)])).toBe(
      'msg_blocks_too_long',
    );
    const button = (confirm: unknown) => ({
      type: 'actions',
      elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'Go' }, confirm }],
    });
    const dialog = (textType: string) => ({
      title: { type: 'plain_text', text: 'Sure?' },
      text: { type: textType, text: 'It cannot be undone' },
      confirm: { type: 'plain_text', text: 'Yes' },
      deny: { type: 'plain_text', text: 'No' },
    });
    expect(blockKitError([button(dialog('mrkdwn'))] as SlackBlock[])).toBe('invalid_blocks');
    expect(blockKitError([button(dialog('plain_text'))] as SlackBlock[])).toBeUndefined();
  });
});

describe('a long look before confirming', () => {
  it('says about how long it takes, and that Confirm need not wait for it', () => {
    const r = request({ campaignIds: longIds.slice(0, 20), lookup: { state: 'pending', etaMs: 549_000 } });
    expect(JSON.stringify(confirmationMessage(r).blocks)).toContain(
      'Looking these campaigns up in MoEngage… (about 9 min at MoEngage’s search limits; Confirm need not wait for it)'.replace(
        '’',
        "'",
      ),
    );
  });
});
