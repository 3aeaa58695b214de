import { describe, expect, it } from 'vitest';
import type { CampaignActionRequest } from '../../../../src/core/store.ts';
import type { CampaignOutcome, StatusChangeReport } from '../../../../src/moengage/types.ts';
import { mention } from '../../../../src/slack/views/blocks.ts';
import {
  CANCEL_ACTION_ID,
  CONFIRM_ACTION_ID,
  cancelledMessage,
  completedMessage,
  confirmationMessage,
  expiredMessage,
  idListReplies,
  runningMessage,
} from '../../../../src/slack/views/messages.ts';
import { escapeMrkdwn } from '../../../../src/slack/views/mrkdwn.ts';
import { resultReplies } from '../../../../src/slack/views/results.ts';

const request = (over: Partial<CampaignActionRequest> = {}): CampaignActionRequest => ({
  id: '2b1c6c3e-0000-4000-8000-000000000001',
  action: 'PAUSE',
  campaignIds: ['camp_1', 'camp_2'],
  reason: undefined,
  requestedBy: 'UALICE',
  channelId: 'CINC',
  source: 'slash_command',
  grants: [{ rule: 'ALLOWED_USER_IDS', needed: 1, requesterMayApprove: true }],
  approvals: [],
  createdAt: Date.parse('2026-11-27T10:00:00Z'),
  expiresAt: Date.parse('2026-11-27T10:15:00Z'),
  messageTs: '1.1',
  state: 'pending',
  decidedBy: undefined,
  decidedAt: undefined,
  ...over,
});

const allText = (m: { text: string; blocks: unknown[] }) => m.text + JSON.stringify(m.blocks);
const buttons = (m: { blocks: Record<string, unknown>[] }) =>
  m.blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements as Record<string, unknown>[]);

describe('message builders', () => {
  it('escapes &, < and > only', () => {
    expect(escapeMrkdwn('<!channel> & <@U1> *bold*')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt; *bold*');
  });

  it('mentions only things shaped like user ids', () => {
    expect(mention('UALICE')).toBe('<@UALICE>');
    expect(mention('<!here>')).toBe('&lt;!here&gt;');
  });

  it('builds a confirmation naming the action, every id, the requester and the expiry, with both buttons', () => {
    const m = confirmationMessage(request());
    const text = allText(m);
    expect(text).toContain('Pause 2 MoEngage campaigns');
    expect(text).toContain('`camp_1`');
    expect(text).toContain('`camp_2`');
    expect(text).toContain('<@UALICE>');
    expect(text).toMatch(/expires <!date\^\d+\^\{time\}\|2026-11-27 10:15 UTC>/);
    const [confirm, cancel] = buttons(m);
    expect(confirm).toMatchObject({
      action_id: CONFIRM_ACTION_ID,
      value: request().id,
      text: { text: 'Confirm' },
    });
    expect(confirm?.confirm).toBeUndefined();
    expect(cancel).toMatchObject({
      action_id: CANCEL_ACTION_ID,
      value: request().id,
      text: { text: 'Cancel' },
    });
  });

  it('puts a confirm dialog on STOP and says when a second person is needed', () => {
    const m = confirmationMessage(
      request({ action: 'STOP', grants: [{ rule: 'leads', needed: 1, requesterMayApprove: false }] }),
    );
    const [confirm] = buttons(m);
    expect(confirm).toMatchObject({ confirm: { text: { type: 'plain_text' } } });
    expect(confirm).toMatchObject({ style: 'danger', confirm: { title: { text: 'Stop 2 campaigns?' } } });
    expect(allText(m)).toContain('needs a second person');
  });

  it('fits 100 long ids in one confirmation within Slack limits', () => {
    const ids = Array.from({ length: 100 }, (_, i) => `64f1a2b3c4d5e6f7a8b9${String(i).padStart(4, '0')}`);
    const m = confirmationMessage(request({ campaignIds: ids }));
    for (const b of m.blocks) {
      const text = (b.text as { text?: string } | undefined)?.text ?? '';
      expect(text.length).toBeLessThanOrEqual(3_000);
    }
    expect(JSON.stringify(m.blocks).length).toBeLessThan(13_000);
    for (const id of ids) expect(allText(m)).toContain(id);
  });

  it('drops the buttons once decided and says who decided', () => {
    const decided = request({ state: 'confirmed', decidedBy: 'UBOB', decidedAt: Date.now() });
    for (const [m, words] of [
      [runningMessage(decided), 'confirmed by <@UBOB>, running'],
      [cancelledMessage({ ...decided, state: 'cancelled' }), 'cancelled by <@UBOB>'],
      [expiredMessage(request({ state: 'expired' })), 'expired at'],
    ] as const) {
      expect(buttons(m)).toEqual([]);
      expect(allText(m)).toContain(words);
    }
  });

  it('summarises a run and lists every id once in the thread, failures first, escaped', () => {
    const outcomes: CampaignOutcome[] = [
      ...Array.from(
        { length: 23 },
        (_, i): CampaignOutcome => ({
          campaignId: `ok_${i}`,
          status: 'applied',
          requestId: 'r',
          attempts: 1,
        }),
      ),
      {
        campaignId: 'bad_1',
        status: 'failed',
        requestId: 'r2',
        attempts: 1,
        error: {
          kind: 'rejected',
          httpStatus: 400,
          code: '400',
          message: 'MoEngage 400: <!channel> not found',
        },
      },
      {
        campaignId: 'bad_2',
        status: 'failed',
        requestId: 'r3',
        attempts: 1,
        error: { kind: 'rejected', httpStatus: 400, code: '400', message: 'nope' },
      },
    ];
    const report: StatusChangeReport = {
      action: 'PAUSE',
      outcomes,
      applied: 23,
      failed: 2,
      requests: 5,
      sends: [],
      elapsedMs: 2_345,
    };
    const done = completedMessage(request({ state: 'confirmed', decidedBy: 'UBOB' }), report);
    expect(allText(done)).toContain('23 paused, 2 failed');
    const replies = resultReplies(report);
    expect(replies).toHaveLength(1);
    const text = allText(replies[0] as never);
    expect(text).toContain('Results: 23 paused, 2 failed (5 MoEngage requests, 2.3 s)');
    expect(text.indexOf('bad_1')).toBeLessThan(text.indexOf('ok_0'));
    expect(text).toContain('&lt;!channel&gt; not found');
    expect(text).not.toContain('<!channel>');
    for (const o of outcomes) expect(text.split(`\`${o.campaignId}\``).length - 1).toBe(1);
  });

  it('counts ids that may have been applied apart, lists them beside the failures, and offers only the failed to retry', () => {
    const maybe = (campaignId: string): CampaignOutcome => ({
      campaignId,
      status: 'uncertain',
      requestId: 'r',
      attempts: 3,
      error: {
        kind: 'timeout',
        httpStatus: undefined,
        code: undefined,
        message: 'MoEngage did not answer for 1 min 10 s (3 tries, the last one waited 40.0 s)',
      },
    });
    const outcomes: CampaignOutcome[] = [
      { campaignId: 'ok_1', status: 'applied', requestId: 'r', attempts: 1 },
      maybe('maybe_1'),
      maybe('maybe_2'),
      {
        campaignId: 'bad_1',
        status: 'failed',
        requestId: 'r2',
        attempts: 14,
        error: { kind: 'server_error', httpStatus: 503, code: undefined, message: 'MoEngage answered 503' },
      },
    ];
    const report: StatusChangeReport = {
      action: 'PAUSE',
      outcomes,
      applied: 1,
      failed: 1,
      uncertain: 2,
      requests: 9,
      sends: [],
      elapsedMs: 70_000,
    };
    const done = completedMessage(request({ state: 'confirmed', decidedBy: 'UBOB' }), report);
    expect(allText(done)).toContain('1 paused, 1 failed, 2 may have been applied');
    expect(buttons(done as never).map((b) => (b.text as { text: string }).text)).toContain(
      'Retry failed (1)',
    );
    const text = allText(resultReplies(report)[0] as never);
    expect(text).toContain(
      '`maybe_1` may have been applied: check in MoEngage (MoEngage did not answer for 1 min 10 s',
    );
    expect(text.indexOf('maybe_2')).toBeLessThan(text.indexOf('ok_1'));
    // Only uncertain ones: no Retry at all, and not a red cross.
    const unsure = { ...report, outcomes: [maybe('maybe_1')], applied: 0, failed: 0, uncertain: 1 };
    const none = completedMessage(request({ state: 'confirmed', decidedBy: 'UBOB' }), unsure);
    expect(allText(none)).not.toContain('Retry failed');
    expect(allText(none)).toContain(':warning:');
  });

  it('splits a thousand results over several replies, each within Slack limits', () => {
    const outcomes: CampaignOutcome[] = Array.from({ length: 1_000 }, (_, i) => ({
      campaignId: `64f1a2b3c4d5e6f7a8b9${String(i).padStart(4, '0')}`,
      status: 'failed',
      requestId: 'r',
      attempts: 6,
      error: {
        kind: 'server_error',
        httpStatus: 503,
        code: undefined,
        message: 'MoEngage 503: down (gave up after 6 attempts in 80.0 s)',
      },
    }));
    const replies = resultReplies({
      action: 'STOP',
      outcomes,
      applied: 0,
      failed: 1_000,
      requests: 600,
      sends: [],
      elapsedMs: 80_000,
    });
    expect(replies.length).toBeGreaterThan(1);
    for (const r of replies) {
      expect(r.blocks.length).toBeLessThanOrEqual(50);
      expect(JSON.stringify(r.blocks).length).toBeLessThan(13_200);
    }
    const all = replies.map((r) => JSON.stringify(r.blocks)).join('');
    for (const o of outcomes) expect(all).toContain(o.campaignId);
  });
});

describe('long id lists', () => {
  it('shows every one of 100 ids of 64 characters in the confirmation', () => {
    const ids = Array.from({ length: 100 }, (_, i) => `${'x'.repeat(60)}${String(i).padStart(4, '0')}`);
    const m = confirmationMessage(request({ campaignIds: ids }));
    const text = JSON.stringify(m.blocks);
    expect(ids.filter((id) => text.includes(id))).toHaveLength(100);
    expect(text).not.toContain('more: the full list is in the thread');
    expect(idListReplies(request({ campaignIds: ids }))).toEqual([]);
    expect(JSON.stringify(m.blocks).length).toBeLessThan(13_200);
    expect(text).not.toContain('…`');
  });

  it('counts the ids a 500-id confirmation cannot show and lists all of them in thread replies', () => {
    const ids = Array.from({ length: 500 }, (_, i) => `64f1a2b3c4d5e6f7a8b9${String(i).padStart(4, '0')}`);
    const m = confirmationMessage(request({ campaignIds: ids }));
    const text = JSON.stringify(m.blocks);
    expect(text.length).toBeLessThan(13_200);
    const shown = ids.filter((id) => text.includes(id)).length;
    expect(text).toContain(`…and ${500 - shown} more: the full list is in the thread`);
    const replies = idListReplies(request({ campaignIds: ids }));
    const all = replies.map((r) => JSON.stringify(r.blocks)).join('');
    for (const id of ids) expect(all).toContain(id);
    for (const r of replies) expect(JSON.stringify(r.blocks).length).toBeLessThan(13_200);
  });
});

describe('campaign names from MoEngage', () => {
  it('stay on their line: no line breaks, no backticks posing as ids, no mentions', async () => {
    const { nameText } = await import('../../../../src/slack/views/mrkdwn.ts');
    expect(nameText('Spring\n:white_check_mark: `c9` paused <!channel>')).toBe(
      "Spring :white_check_mark: 'c9' paused &lt;!channel&gt;",
    );
    expect(nameText('   ')).toBe('(no name)');
  });
});
