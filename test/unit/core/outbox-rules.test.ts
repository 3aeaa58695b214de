import { describe, expect, it } from 'vitest';
import { type NewEntry, planEnqueue, retryDelay } from '../../../src/core/outbox.ts';
import type { CampaignActionRequest } from '../../../src/core/request.ts';
import { classifySlackFailure } from '../../../src/slack/outbox-delivery.ts';
import { SlackCallError } from '../../../src/slack/port.ts';
import type { SlackMessage } from '../../../src/slack/views/blocks.ts';
import { firstMessage } from '../../../src/slack/views/messages.ts';

const post = (text: string): NewEntry => ({ payload: text });
const edit = (text: string, rank: number, target = 'C:1.0'): NewEntry => ({ target, rank, payload: text });
const payloads = (plan: { append: NewEntry[] }) => plan.append.map((e) => e.payload);

describe('the outbox’s merge rule', () => {
  it('appends posts in order, each once', () => {
    const plan = planEnqueue([], new Map(), [post('r1'), post('r2'), post('r3')]);
    expect(payloads(plan)).toEqual(['r1', 'r2', 'r3']);
    expect(plan.remove).toEqual([]);
  });

  it('replaces a queued edit of the same message with the newer one', () => {
    const plan = planEnqueue([{ seq: 7, target: 'C:1.0' }], new Map([['C:1.0', 1]]), [
      edit('running 40%', 1),
    ]);
    expect(plan.remove).toEqual([7]);
    expect(payloads(plan)).toEqual(['running 40%']);
  });

  it('never lets an edit overtake a post queued before it: the summary goes after the details', () => {
    // Queued: the running edit (seq 1), then nothing else. A run completes: its results, then its summary.
    const queued = [{ seq: 1, target: 'C:1.0' }];
    const plan = planEnqueue(queued, new Map([['C:1.0', 1]]), [
      post('result 1'),
      post('result 2'),
      edit('summary', 2),
    ]);
    // The stale running edit goes; the summary is appended after both results, not put in its place.
    expect(plan.remove).toEqual([1]);
    expect(payloads(plan)).toEqual(['result 1', 'result 2', 'summary']);
  });

  it('drops an edit ranked below what the message has shown: no progress line after the summary', () => {
    const plan = planEnqueue([], new Map([['C:1.0', 2]]), [edit('running 90%', 1)]);
    expect(plan.append).toEqual([]);
    expect(plan.ranks.get('C:1.0')).toBe(2);
  });

  it('keeps edits of other messages apart, and merges within one batch', () => {
    const plan = planEnqueue([{ seq: 3, target: 'C:2.0' }], new Map(), [
      edit('a1', 0),
      edit('a2', 1),
      edit('b', 0, 'C:9.0'),
    ]);
    expect(plan.remove).toEqual([]);
    expect(payloads(plan)).toEqual(['a2', 'b']);
  });
});

describe('the outbox’s retry wait', () => {
  const policy = { baseMs: 1_000, maxMs: 30_000 };

  it('doubles from the base up to the cap, with jitter of at most half', () => {
    expect(retryDelay(1, policy, undefined, () => 1)).toBe(1_000);
    expect(retryDelay(3, policy, undefined, () => 1)).toBe(4_000);
    expect(retryDelay(3, policy, undefined, () => 0)).toBe(2_000);
    expect(retryDelay(20, policy, undefined, () => 1)).toBe(30_000);
  });

  it('never tries sooner than Slack’s Retry-After', () => {
    expect(retryDelay(1, policy, 45_000, () => 1)).toBe(45_000);
  });
});

describe('which Slack failures are tried again', () => {
  it('tries again on 429, 5xx, network errors and Slack’s own outages', () => {
    for (const code of [
      'ratelimited',
      'http_503',
      'http_500',
      'slack_webapi_request_error',
      'internal_error',
    ])
      expect(classifySlackFailure(new SlackCallError('chat.postMessage', code)).kind).toBe('transient');
    expect(
      classifySlackFailure(new SlackCallError('chat.update', 'ratelimited', { retryAfterMs: 30_000 })),
    ).toMatchObject({ kind: 'transient', retryAfterMs: 30_000 });
  });

  it('gives up on what Slack refuses for good', () => {
    for (const code of [
      'channel_not_found',
      'not_in_channel',
      'message_not_found',
      'invalid_blocks',
      'http_404',
    ])
      expect(classifySlackFailure(new SlackCallError('chat.postMessage', code)).kind).toBe('permanent');
  });
});

describe('a confirmation drawn when Slack takes it', () => {
  const request = (overrides: Partial<CampaignActionRequest>): CampaignActionRequest =>
    ({
      id: 'r1',
      action: 'PAUSE',
      campaignIds: ['camp_001'],
      requestedBy: 'UALICE',
      channelId: 'C1',
      createdAt: 0,
      expiresAt: 1_000,
      state: 'pending',
      grants: [],
      approvals: [],
      ...overrides,
    }) as CampaignActionRequest;
  const buttons = (m: SlackMessage) => m.blocks.some((b) => b.type === 'actions');

  it('has live buttons while it is in time', () => {
    expect(buttons(firstMessage(request({}), 999))).toBe(true);
  });

  it('is drawn expired, without buttons, once its time has passed, decided or not', () => {
    const late = firstMessage(request({}), 1_000);
    expect(buttons(late)).toBe(false);
    expect(late.text).toContain('expired');
    expect(buttons(firstMessage(request({ state: 'expired' }), 500))).toBe(false);
  });
});
