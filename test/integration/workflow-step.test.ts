import { afterEach, describe, expect, it } from 'vitest';
import type { RequestStore } from '../../src/core/store.ts';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import { createMemoryStore } from '../../src/stores/memory-store.ts';
import { buttonValue, CHANNEL, type Harness, messageText, startHarness } from '../support/bot-harness.ts';

let h: Harness;
afterEach(async () => {
  expect(h.slack.unexpected).toEqual([]);
  await h.stop();
});

const inputs = (over: Record<string, unknown> = {}) => ({
  action: 'pause',
  campaign_ids: 'camp_001, camp_002\ncamp_003',
  reason: 'INC-55 via workflow',
  channel_id: CHANNEL,
  requested_by: { id: 'UALICE', secret: 'dXNlcl9jb250ZXh0' },
  ...over,
});

describe('Workflow Builder step "Change MoEngage campaign status"', () => {
  it('proposes in the channel, waits for a person to confirm, and completes with per-campaign outputs', async () => {
    h = await startHarness();
    const run = await h.slack.runFunction(h.url, { callbackId: 'change_campaign_status', inputs: inputs() });
    expect(run.status).toBe(200);
    const message = await h.latestMessage();
    expect(messageText(message)).toContain('Pause 3 MoEngage campaigns');
    expect(messageText(message)).toContain('INC-55 via workflow');
    expect(h.slack.completions).toHaveLength(0);

    await h.click('UBOB', message, 'campaign_confirm');
    const done = await h.slack.waitFor(() => h.slack.completions[0]);
    expect(done).toMatchObject({
      functionExecutionId: run.functionExecutionId,
      kind: 'success',
      outputs: {
        summary: '3 applied, 0 failed',
        applied_count: 3,
        failed_count: 0,
        results: 'camp_001: applied\ncamp_002: applied\ncamp_003: applied',
      },
    });
    expect(h.auditEvents().find((e) => e.event === 'requested')).toMatchObject({
      source: 'workflow_step',
      user: 'UALICE',
    });
  });

  it('fails cleanly when the person who ran it is not allowed, or the input is bad, and changes nothing', async () => {
    h = await startHarness();
    await h.slack.runFunction(h.url, {
      callbackId: 'change_campaign_status',
      inputs: inputs({ requested_by: { id: 'UEVE', secret: 'x' } }),
    });
    await h.slack.runFunction(h.url, {
      callbackId: 'change_campaign_status',
      inputs: inputs({ action: 'delete' }),
    });
    await h.slack.runFunction(h.url, {
      callbackId: 'change_campaign_status',
      inputs: inputs({ campaign_ids: 'group:nope' }),
    });
    // A plain user id, which a builder could type for anyone, is not a user_context: refused.
    await h.slack.runFunction(h.url, {
      callbackId: 'change_campaign_status',
      inputs: inputs({ requested_by: 'UALICE' }),
    });
    await h.slack.waitFor(() => h.slack.completions.length === 4);
    const errors = h.slack.completions.map((c) => [c.kind, c.error]);
    // The runs finish in any order.
    expect(errors).toHaveLength(4);
    expect(errors.filter(([, e]) => /not on the list of people allowed/.test(String(e)))).toHaveLength(2);
    expect(errors).toEqual(
      expect.arrayContaining([
        ['error', expect.stringMatching(/not on the list of people allowed/)],
        ['error', 'I don\'t know the action "delete".'],
        ['error', expect.stringMatching(/no campaign group "nope"/)],
      ]),
    );
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(h.moengage.statusRequests()).toHaveLength(0);
  });

  it('fails with who cancelled it when the confirmation is cancelled, and runs once for a repeated event', async () => {
    h = await startHarness();
    const first = await h.slack.runFunction(h.url, {
      callbackId: 'change_campaign_status',
      inputs: inputs(),
      eventId: 'Ev1',
    });
    await h.slack.runFunction(
      h.url,
      { callbackId: 'change_campaign_status', inputs: inputs(), eventId: 'Ev1' },
      { retryNum: 1, retryReason: 'http_timeout' },
    );
    const message = await h.latestMessage();
    await h.click('UBOB', message, 'campaign_cancel');
    const done = await h.slack.waitFor(() => h.slack.completions[0]);
    expect(done).toMatchObject({
      functionExecutionId: first.functionExecutionId,
      kind: 'error',
      error: 'the request was cancelled by UBOB; nothing changed',
    });
    expect(h.slack.messages(CHANNEL)).toHaveLength(1);
    expect(h.moengage.statusRequests()).toHaveLength(0);
  });

  it('ends the step, instead of leaving it in progress, when the bot’s storage breaks while it waits', async () => {
    const memory = createMemoryStore();
    let broken = false;
    const store: RequestStore = {
      ...memory,
      get: async (id) => {
        if (broken) throw new Error('storage gone');
        return memory.get(id);
      },
    };
    h = await startHarness({ CONFIRMATION_TTL_SECONDS: '2' }, { store });
    await h.slack.runFunction(h.url, { callbackId: 'change_campaign_status', inputs: inputs() });
    const message = await h.latestMessage();
    broken = true;
    // The click reads the store: it fails, and the person hears so. The expiry still ends the step.
    await h.click('UBOB', message, 'campaign_confirm');
    const done = await h.slack.waitFor(() => h.slack.completions[0], 20_000);
    expect(done).toMatchObject({ kind: 'error', error: 'the request was expired; nothing changed' });
    expect(h.moengage.statusRequests()).toHaveLength(0);
  });
});

describe('a Workflow step and its tokens (Slack: 15 minutes each; here seconds on both sides)', () => {
  it('completes a step confirmed after its first token expired: the click brings a fresh one, and nothing waited', async () => {
    h = await startHarness({}, { slack: { functionTokenTtlMs: 1_000 }, timings: { stepTokenLifeMs: 1_000 } });
    const run = await h.slack.runFunction(h.url, { callbackId: 'change_campaign_status', inputs: inputs() });
    const message = await h.latestMessage();
    // The confirmation is the step's: posted with its token.
    expect(h.slack.message(CHANNEL, message.ts)?.functionExecutionId).toBe(run.functionExecutionId);
    await new Promise((r) => setTimeout(r, 1_300));
    await h.click('UBOB', message, 'campaign_confirm');
    const done = await h.slack.waitFor(() => h.slack.completions[0], 10_000);
    expect(done).toMatchObject({ functionExecutionId: run.functionExecutionId, kind: 'success' });
    // Finished with the click's token, not the first (which Slack would refuse now).
    const finish = h.slack.callsTo('functions.completeSuccess').at(-1);
    expect(finish?.ok).toBe(true);
  });

  it('fails a step whose confirmation expires while its token still works, with the reason', async () => {
    h = await startHarness(
      { CONFIRMATION_TTL_SECONDS: '1' },
      { slack: { functionTokenTtlMs: 5_000 }, timings: { stepTokenLifeMs: 5_000 } },
    );
    const run = await h.slack.runFunction(h.url, { callbackId: 'change_campaign_status', inputs: inputs() });
    const done = await h.slack.waitFor(() => h.slack.completions[0], 10_000);
    expect(done).toMatchObject({
      functionExecutionId: run.functionExecutionId,
      kind: 'error',
      error: 'the request was expired; nothing changed',
    });
  });

  it('offers “End the workflow step” when the confirmation expires after the token, and its click ends it', async () => {
    h = await startHarness(
      { CONFIRMATION_TTL_SECONDS: '1' },
      { slack: { functionTokenTtlMs: 300 }, timings: { stepTokenLifeMs: 300 } },
    );
    const run = await h.slack.runFunction(h.url, { callbackId: 'change_campaign_status', inputs: inputs() });
    const message = await h.latestMessage();
    const expired = await h.slack.waitFor(() => {
      const m = h.slack.message(CHANNEL, message.ts);
      return m && messageText(m).includes('End the workflow step') && m;
    }, 10_000);
    expect(h.slack.completions).toHaveLength(0);
    await h.slack.clickButton(h.url, {
      userId: 'UBOB',
      channelId: CHANNEL,
      messageTs: expired.ts,
      actionId: 'campaign_step_close',
      value: buttonValue(expired, 'campaign_confirm'),
    });
    const done = await h.slack.waitFor(() => h.slack.completions[0], 10_000);
    expect(done).toMatchObject({ functionExecutionId: run.functionExecutionId, kind: 'error' });
    await h.slack.waitFor(
      () => !messageText(h.slack.message(CHANNEL, message.ts) as never).includes('End the workflow step'),
    );
  });

  it('ends the step early, with the reason, when the run will outlast the token; the run goes on to the end', async () => {
    h = await startHarness(
      { MOENGAGE_API_VERSION: 'v5', MAX_CAMPAIGNS_PER_COMMAND: '60' },
      { slack: { functionTokenTtlMs: 2_500 }, timings: { stepTokenLifeMs: 2_500, progressMs: 200 } },
    );
    h.moengage.setCampaigns(seedCampaigns({ count: 60 }));
    const ids = seedCampaigns({ count: 60 }).map((c) => c.id);
    const run = await h.slack.runFunction(h.url, {
      callbackId: 'change_campaign_status',
      inputs: inputs({ campaign_ids: ids.join(' ') }),
    });
    const message = await h.latestMessage();
    await h.click('UBOB', message, 'campaign_confirm');
    // 60 V5 requests at 10 a second: about 6 s, longer than the click's 2.5-s token.
    const ended = await h.slack.waitFor(() => h.slack.completions[0], 10_000);
    expect(ended).toMatchObject({ functionExecutionId: run.functionExecutionId, kind: 'error' });
    expect(ended.error).toMatch(/^the run takes longer than Slack lets this step wait/);
    await h.slack.waitFor(
      () => messageText(h.slack.message(CHANNEL, message.ts) as never).includes('details in the thread'),
      30_000,
    );
    expect(messageText(h.slack.message(CHANNEL, message.ts) as never)).toContain('60 paused');
    // Finished once: the run's end does not try again.
    await new Promise((r) => setTimeout(r, 300));
    expect(h.slack.completions).toHaveLength(1);
  }, 60_000);

  it('refuses a token past its life, as Slack does', async () => {
    h = await startHarness({}, { slack: { functionTokenTtlMs: 300 } });
    const run = await h.slack.runFunction(h.url, { callbackId: 'change_campaign_status', inputs: inputs() });
    await h.latestMessage();
    const complete = (token: string) =>
      fetch(`${h.slack.url}/api/functions.completeSuccess`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ function_execution_id: run.functionExecutionId, outputs: {} }),
      }).then((r) => r.json());
    await new Promise((r) => setTimeout(r, 400));
    expect(await complete(run.token)).toEqual({ ok: false, error: 'token_expired' });
  });
});
