import { afterEach, describe, expect, it } from 'vitest';
import { parseAccessPolicy } from '../../src/auth/policy-file.ts';
import { scheduleDueOf } from '../../src/core/pause-for.ts';
import type { SimMessage } from '../../src/sandbox/slack-sim.ts';
import {
  CHANNEL,
  type Harness,
  LOOKING_UP,
  messageText,
  startHarness,
  testFleet,
} from '../support/bot-harness.ts';
import { cleanup, connectRedis, redisUrl, uniquePrefix } from '../support/redis.ts';

/**
 * `/campaign pause <ids> for 2h`: the RESUME of exactly what it paused, on the bots' own clock moved forward
 * (the clock is the lifecycle's: every other timer runs as it does).
 */
let h: Harness;
let prefix: string | undefined;
afterEach(async () => {
  await h?.stop();
  if (prefix) {
    const redis = connectRedis();
    await cleanup(redis, prefix);
    redis.disconnect();
    prefix = undefined;
  }
});

const MIN = 60_000;
const clock = { offset: 0 };
const now = () => Date.now() + clock.offset;

const finished = (ts: string) =>
  h.slack.waitFor(() => {
    const m = h.slack.message(CHANNEL, ts);
    return m && messageText(m).includes('details in the thread') && m;
  }, 20_000);
const inThread = (ts: string, pattern: RegExp) =>
  h.slack.thread(CHANNEL, ts).filter((m) => pattern.test(messageText(m)));
const resumes = () => h.moengage.statusRequests().filter((r) => r.action === 'RESUME');

function pressIn(
  userId: string,
  reply: SimMessage,
  actionId: 'campaign_resume_now' | 'campaign_keep_paused',
) {
  const button = (reply.blocks ?? [])
    .flatMap((b) => (b.elements as { action_id?: string; value?: string }[] | undefined) ?? [])
    .find((e) => e.action_id === actionId);
  if (!button?.value) throw new Error(`no ${actionId} button`);
  return h.slack.clickButton(h.url, {
    userId,
    channelId: CHANNEL,
    messageTs: reply.ts,
    actionId,
    value: button.value,
  });
}

/** Pauses camp_001..3 (camp_003 paused already) for `duration`, confirmed by UBOB; the finished message. */
async function pauseFor(duration: string) {
  h.moengage.setCampaigns(
    testFleet().map((c) => (c.id === 'camp_003' ? { ...c, status: 'PAUSED' as const } : c)),
  );
  const before = h.slack.messages(CHANNEL).length;
  await h.command('UALICE', `pause camp_001 camp_002 camp_003 for ${duration} reason: INC-7 bad coupon`);
  const message = await h.slack.waitFor(() => {
    const m = h.slack.messages(CHANNEL)[before];
    return m && !messageText(m).includes(LOOKING_UP) && m;
  });
  await h.click('UBOB', message, 'campaign_confirm');
  return finished(message.ts);
}

describe('pause for a while', () => {
  it('pauses for 2h, reminds 10 min before with two buttons, then resumes exactly what it paused, once', async () => {
    clock.offset = 0;
    h = await startHarness({}, { now });
    await h.command('UALICE', 'pause camp_001 camp_002 camp_003 for 2h');
    const asked = await h.latestMessage();
    expect(messageText(asked)).toContain('Paused for 2 h from when they are paused');
    await h.click('UBOB', asked, 'campaign_cancel');

    const done = await pauseFor('2h');
    expect(messageText(done)).toContain('2 paused, 1 already paused');
    const scheduled = await h.slack.waitFor(() => inThread(done.ts, /Scheduled:/)[0]);
    expect(messageText(scheduled)).toContain('resume 2 campaigns (exactly those this paused)');
    expect(resumes()).toHaveLength(0);

    clock.offset = 2 * 60 * MIN - 9 * MIN;
    const reminder = await h.slack.waitFor(() => inThread(done.ts, /resume at/)[0], 10_000);
    expect(JSON.stringify(reminder.blocks)).toContain('Resume now');
    expect(JSON.stringify(reminder.blocks)).toContain('Keep paused');
    expect(resumes()).toHaveLength(0);

    clock.offset = 2 * 60 * MIN + MIN;
    const resumed = await h.slack.waitFor(() => {
      const m = h.slack.messages(CHANNEL).find((x) => /Resume 2 MoEngage campaigns/.test(messageText(x)));
      return m && messageText(m).includes('details in the thread') && m;
    }, 20_000);
    expect(messageText(resumed)).toContain('2 resumed');
    expect(messageText(resumed)).toContain('end of the pause for 2h');
    expect(
      resumes()
        .flatMap((r) => r.campaignIds ?? [])
        .sort(),
    ).toEqual(['camp_001', 'camp_002']);
    expect(h.moengage.campaign('camp_003')?.status).toBe('PAUSED');
    expect(inThread(done.ts, /Resuming 2 campaigns now, as scheduled/)).toHaveLength(1);
    expect(inThread(done.ts, /resume at/)).toHaveLength(1);
    const requested = h.auditEvents().filter((e) => e.event === 'requested' && e.action === 'RESUME');
    expect(requested).toHaveLength(1);
    expect(requested[0]?.source).toBe('scheduled_resume');
  });

  it('Keep paused calls it off for good; it is refused to someone the policy would refuse', async () => {
    clock.offset = 0;
    h = await startHarness({}, { now });
    const done = await pauseFor('30m');
    clock.offset = 21 * MIN;
    // As posted (the simulator edits its messages in place).
    const reminder = structuredClone(await h.slack.waitFor(() => inThread(done.ts, /resume at/)[0], 10_000));
    await pressIn('UEVE', reminder, 'campaign_keep_paused');
    const refusal = await h.slack.waitFor(() => h.slack.ephemerals('UEVE')[0]);
    expect(refusal.text).toContain('not on the list of people allowed');
    await pressIn('UALICE', reminder, 'campaign_keep_paused');
    await h.slack.waitFor(() => inThread(done.ts, /chose \*Keep paused\*: the scheduled resume is off/)[0]);
    // The reminder's buttons give way to what was chosen.
    const answered = await h.slack.waitFor(() => {
      const m = h.slack.message(CHANNEL, reminder.ts);
      return m && !JSON.stringify(m.blocks).includes('campaign_resume_now') && m;
    });
    expect(messageText(answered)).toContain('<@UALICE> chose *Keep paused*');
    clock.offset = 60 * MIN;
    await pressIn('UBOB', reminder, 'campaign_resume_now');
    const late = await h.slack.waitFor(() => h.slack.ephemerals('UBOB')[0]);
    expect(late.text).toContain('keep these campaigns paused already');
    expect(resumes()).toHaveLength(0);
    expect(h.auditEvents().some((e) => e.event === 'resume_kept' && e.user === 'UALICE')).toBe(true);
  });

  it('Resume now brings it forward, at once', async () => {
    clock.offset = 0;
    h = await startHarness({}, { now });
    const done = await pauseFor('1d');
    clock.offset = 24 * 60 * MIN - 10 * MIN;
    const reminder = await h.slack.waitFor(() => inThread(done.ts, /resume at/)[0], 10_000);
    await pressIn('UBOB', reminder, 'campaign_resume_now');
    await h.slack.waitFor(() => resumes().length === 1, 20_000);
    await h.slack.waitFor(() => inThread(done.ts, /brought forward by <@UBOB>/)[0]);
    expect(resumes()[0]?.campaignIds?.sort()).toEqual(['camp_001', 'camp_002']);
  });

  it('Resume now takes an approver of the RESUME: someone who may only request it is refused, naming the part', async () => {
    clock.offset = 0;
    const rules = `
rules:
  - name: pause-oncall
    actions: [PAUSE]
    requesters: [UALICE]
    approvers: [UBOB]
    channels: [${CHANNEL}]
  - name: resume-leads
    actions: [RESUME]
    requesters: [UALICE, UCAROL]
    approvers: [ULEAD1]
    channels: [${CHANNEL}]
    requester_may_approve: false
`;
    h = await startHarness(
      { ACCESS_POLICY_FILE: 'given to startBot', ALLOWED_USER_IDS: '', ALLOWED_CHANNEL_IDS: '' },
      { now, policy: parseAccessPolicy(rules, { groups: new Map(), tokenNames: new Set() }) },
    );
    h.moengage.setCampaigns(testFleet());
    await h.command('UALICE', `pause camp_001 for 1d reason: INC-8`);
    const message = await h.slack.waitFor(() => {
      const m = h.slack.messages(CHANNEL)[0];
      return m && !messageText(m).includes(LOOKING_UP) && m;
    });
    await h.click('UBOB', message, 'campaign_confirm');
    await h.click('ULEAD1', message, 'campaign_confirm');
    const done = await finished(message.ts);
    clock.offset = 24 * 60 * MIN - 10 * MIN;
    const reminder = await h.slack.waitFor(() => inThread(done.ts, /resume at/)[0], 10_000);
    // Carol may ask for a RESUME, not run one; Alice asked for it and the rule wants a second person.
    for (const who of ['UCAROL', 'UALICE']) {
      await pressIn(who, reminder, 'campaign_resume_now');
      const refusal = await h.slack.waitFor(() => h.slack.ephemerals(who)[0]);
      expect(refusal.text).toContain('not on the list of people allowed to approve');
    }
    const denied = h.auditEvents().filter((e) => e.event === 'denied');
    expect(denied.map((e) => [e.user, e.step, e.action, e.failed])).toEqual([
      ['UCAROL', 'approve', 'RESUME', 'approver'],
      ['UALICE', 'approve', 'RESUME', 'approver'],
    ]);
    expect(resumes()).toHaveLength(0);
    await pressIn('ULEAD1', reminder, 'campaign_resume_now');
    await h.slack.waitFor(() => resumes().length === 1, 20_000);
    await h.slack.waitFor(() => inThread(done.ts, /brought forward by <@ULEAD1>/)[0]);
  });

  it('runs the RESUME once across two replicas, after a restart of one (Redis)', async () => {
    clock.offset = 0;
    prefix = uniquePrefix('pause-for');
    h = await startHarness({ REDIS_URL: redisUrl(), REDIS_KEY_PREFIX: prefix }, { now });
    await h.replica();
    const done = await pauseFor('45m');
    const pauseId = (h.auditEvents().find((e) => e.event === 'completed')?.requestId ?? '') as string;
    // A deploy: this bot stops and starts again; the schedule is in Redis, not in either process.
    await h.restart();
    clock.offset = 46 * MIN;
    await h.slack.waitFor(() => resumes().length > 0, 20_000);
    const resumed = await h.slack.waitFor(() => {
      const m = h.slack.messages(CHANNEL).find((x) => /Resume 2 MoEngage campaigns/.test(messageText(x)));
      return m && messageText(m).includes('details in the thread') && m;
    }, 20_000);
    expect(messageText(resumed)).toContain('2 resumed');
    // Nothing is due on the PAUSE any more (so no sweep anywhere can start it again), and it ran once.
    const redis = connectRedis();
    const raw = await redis.get(`${prefix}req:${pauseId}`);
    redis.disconnect();
    const pause = JSON.parse(raw ?? '{}');
    expect(pause.resume?.created).toBe(true);
    expect(scheduleDueOf(pause)).toBeUndefined();
    expect(resumes()).toHaveLength(1);
    expect(
      h.slack.messages(CHANNEL).filter((x) => /Resume 2 MoEngage campaigns/.test(messageText(x))),
    ).toHaveLength(1);
    expect(inThread(done.ts, /Resuming 2 campaigns now/)).toHaveLength(1);
  });

  it('refuses a pause for a while to someone who may pause but not resume, naming the rule', async () => {
    clock.offset = 0;
    const rules = `
rules:
  - name: oncall-pause
    actions: [PAUSE]
    requesters: [UCAROL]
    channels: [${CHANNEL}]
`;
    h = await startHarness(
      { ACCESS_POLICY_FILE: 'given to startBot', ALLOWED_USER_IDS: '', ALLOWED_CHANNEL_IDS: '' },
      { now, policy: parseAccessPolicy(rules, { groups: new Map(), tokenNames: new Set() }) },
    );
    await h.command('UCAROL', 'pause camp_001 for 2h');
    const response = await h.slack.waitFor(() => h.slack.responses[0]);
    expect(JSON.stringify(response.body)).toContain('request a RESUME');
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    const denied = h.auditEvents().find((e) => e.event === 'denied');
    expect(denied?.action).toBe('RESUME');
  });

  it('asks the approvers of the RESUME too: a requester who may approve pauses but not resumes cannot confirm alone', async () => {
    clock.offset = 0;
    const rules = `
rules:
  - name: pause-self
    actions: [PAUSE]
    requesters: [UALICE]
    channels: [${CHANNEL}]
    requester_may_approve: true
  - name: resume-leads
    actions: [RESUME]
    requesters: [UALICE]
    approvers: [ULEAD1]
    channels: [${CHANNEL}]
    requester_may_approve: false
`;
    h = await startHarness(
      {
        ACCESS_POLICY_FILE: 'given to startBot',
        ALLOWED_USER_IDS: '',
        ALLOWED_CHANNEL_IDS: '',
        CAMPAIGN_LOOKUP: 'off',
      },
      { now, policy: parseAccessPolicy(rules, { groups: new Map(), tokenNames: new Set() }) },
    );
    await h.command('UALICE', 'pause camp_001 for 2h');
    const message = await h.latestMessage();
    // Alice's own approval counts for the PAUSE's rule only: it waits for the RESUME's approver.
    await h.click('UALICE', message, 'campaign_confirm');
    const counted = await h.slack.waitFor(() => h.slack.ephemerals('UALICE')[0]);
    expect(counted.text).toContain('Your approval is recorded');
    expect(h.moengage.statusRequests()).toHaveLength(0);
    // A lead alone would not do either: ULEAD1 is no approver of the PAUSE's rule, but of the RESUME's; with
    // Alice's, both parts are there.
    await h.click('ULEAD1', message, 'campaign_confirm');
    await finished(message.ts);
    expect(h.moengage.campaign('camp_001')?.status).toBe('PAUSED');
  });

  it('leaves paused what a freeze covers when the RESUME comes due, and says so', async () => {
    clock.offset = 0;
    h = await startHarness({}, { now });
    const done = await pauseFor('1h');
    const before = h.slack.messages(CHANNEL).length;
    await h.command('UALICE', 'freeze');
    const freeze = await h.slack.waitFor(() => h.slack.messages(CHANNEL)[before]);
    expect(messageText(freeze)).toContain('Freeze of all campaigns');
    // Confirmed (a freeze nobody confirms expires, and holds nothing).
    await h.click('UBOB', freeze, 'campaign_confirm');
    await finished(freeze.ts);
    clock.offset = 61 * MIN;
    const said = await h.slack.waitFor(
      () => inThread(done.ts, /not run: a freeze covers every campaign/)[0],
      10_000,
    );
    expect(messageText(said)).toContain('stay paused');
    expect(resumes()).toHaveLength(0);
    expect(h.moengage.campaign('camp_001')?.status).toBe('PAUSED');
  });

  it('says what is wrong with the words after the ids, and changes nothing', async () => {
    clock.offset = 0;
    h = await startHarness({ CAMPAIGN_LOOKUP: 'off' }, { now });
    const words = [
      ['resume camp_001 for 2h', 'Only `pause` can be for a while'],
      ['pause camp_001 for 2 hours', 'Say how long'],
      ['pause camp_001 for 8d', 'seven days at most'],
      ['pause camp_001 for 30s', 'Say how long'],
      ['pause camp_001 until 25:00', 'Say when'],
    ];
    for (const [text, expected] of words) {
      const res = await h.command('UALICE', text as string);
      expect(JSON.stringify(res.json)).toContain(expected);
    }
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });
});
