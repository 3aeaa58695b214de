import { afterEach, describe, expect, it } from 'vitest';
import { parseCampaignGroups } from '../../src/core/groups.ts';
import { ackText, CHANNEL, type Harness, messageText, startHarness } from '../support/bot-harness.ts';

let h: Harness;
afterEach(async () => {
  await h.stop();
});

const groups = parseCampaignGroups(`
black-friday-push: [camp_001, camp_002, camp_003]
newsletters:
  - camp_004
  - camp_002
`);

describe('campaign groups and reasons in /campaign', () => {
  it('expands group:NAME, shows the reason on the confirmation, in the thread summary and in the audit', async () => {
    h = await startHarness({}, { groups });
    await h.command('UALICE', 'pause group:black-friday-push camp_010 reason: INC-1234 wrong <coupon>');
    const message = await h.latestMessage();
    const text = messageText(message);
    for (const id of ['camp_001', 'camp_002', 'camp_003', 'camp_010']) expect(text).toContain(id);
    expect(text).toContain('Pause 4 MoEngage campaigns');
    expect(text).toContain('*Reason:* INC-1234 wrong &lt;coupon&gt;');
    await h.click('UBOB', message, 'campaign_confirm');
    await h.slack.waitFor(() => h.auditEvents().find((e) => e.event === 'completed'));
    expect(messageText(h.slack.message(CHANNEL, message.ts) as never)).toContain('INC-1234');
    for (const event of h.auditEvents()) expect(event.reason).toBe('INC-1234 wrong <coupon>');
    expect(h.moengage.campaign('camp_003')?.status).toBe('PAUSED');
  });

  it('refuses an unknown group without listing the others, and lists groups on /campaign groups', async () => {
    h = await startHarness({}, { groups });
    await h.command('UALICE', 'pause group:black-friday camp_001');
    const bad = JSON.stringify((await h.slack.waitFor(() => h.slack.responses[0])).body);
    expect(bad).toMatch(/There is no campaign group \\"black-friday\\" that you may use/);
    expect(bad).not.toContain('newsletters');
    await h.command('UALICE', 'groups');
    const list = JSON.stringify((await h.slack.waitFor(() => h.slack.responses[1])).body);
    expect(list).toContain('`group:black-friday-push` — 3 campaigns: `camp_001`, `camp_002`, `camp_003`');
    expect(list).toContain('`group:newsletters` — 2 campaigns');
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('tells someone outside the policy nothing of the groups, whether a group exists or not', async () => {
    h = await startHarness({}, { groups });
    await h.command('UEVE', 'pause group:black-friday-push');
    await h.command('UEVE', 'pause group:nope');
    const harness = h;
    await harness.slack.waitFor(() => harness.slack.responses.length === 2);
    const [known, unknown] = h.slack.responses.map((r) => JSON.stringify(r.body));
    expect(known).toEqual(unknown);
    expect(known).toContain('not on the list of people allowed');
  });

  it('refuses /campaign groups to someone outside the policy and outside the allowed channels', async () => {
    h = await startHarness({}, { groups });
    await h.command('UEVE', 'groups');
    await h.command('UALICE', 'groups', 'CRANDOM');
    const harness = h;
    await harness.slack.waitFor(() => harness.slack.responses.length === 2);
    const texts = h.slack.responses.map((r) => JSON.stringify(r.body));
    for (const text of texts) expect(text).not.toContain('black-friday-push');
    expect(texts.some((t) => t.includes('not on the list of people allowed'))).toBe(true);
    expect(texts.some((t) => t.includes('not allowed in this channel'))).toBe(true);
    expect(h.auditEvents().filter((e) => e.event === 'denied' && e.step === 'list_groups')).toHaveLength(2);
  });

  it('enforces a reason for the actions in REQUIRE_REASON_ACTIONS, and accepts --reason', async () => {
    h = await startHarness({ REQUIRE_REASON_ACTIONS: 'stop,pause' });
    const missing = await h.command('UALICE', 'pause camp_001');
    expect(ackText(missing)).toMatch(
      /^A PAUSE needs a reason \(e\.g\. an incident number\)\. Add `reason: <why>`/,
    );
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    await h.command('UALICE', 'pause camp_001 --reason INC-77');
    expect(messageText(await h.latestMessage())).toContain('*Reason:* INC-77');
    await h.command('UALICE', 'resume camp_002');
    await h.slack.waitFor(() => h.slack.messages(CHANNEL).length === 2);
  });
});

describe('/campaign status', () => {
  it('shows each campaign as MoEngage has it, groups expanded, proposing nothing', async () => {
    h = await startHarness({}, { groups });
    await h.command('UALICE', 'status group:black-friday-push once_001 nope_1');
    const body = (await h.slack.waitFor(() => h.slack.responses[0])).body as { text: string };
    expect(body.text).toMatch(/^\*5 campaigns in MoEngage:\* 3 active, 1 scheduled, 1 unknown/);
    expect(body.text).toContain('• `camp_001` *periodic push 001* · push · periodic · *active*');
    expect(body.text).toContain('• `once_001` *one_time email 001* · email · one-time · *scheduled*');
    expect(body.text).toContain('• `nope_1` — _MoEngage has no campaign with this id_');
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(h.moengage.statusRequests()).toHaveLength(0);
    expect(h.auditEvents().filter((e) => e.event === 'requested')).toHaveLength(0);
  });

  it('is refused, under the same policy, to someone outside it or in another channel, and looks nothing up', async () => {
    h = await startHarness({}, { groups });
    await h.command('UEVE', 'status camp_001');
    await h.command('UALICE', 'status camp_001', 'CRANDOM');
    const harness = h;
    await harness.slack.waitFor(() => harness.slack.responses.length === 2);
    const texts = h.slack.responses.map((r) => JSON.stringify(r.body));
    expect(texts.some((t) => t.includes('not on the list of people allowed'))).toBe(true);
    expect(texts.some((t) => t.includes('not allowed in this channel'))).toBe(true);
    expect(h.moengage.searchRequests()).toHaveLength(0);
  });

  it('asks for ids when none are given', async () => {
    h = await startHarness();
    const res = await h.command('UALICE', 'status');
    expect(ackText(res)).toMatch(/^Name the campaigns: `\/campaign status <ids or group:NAME>`/);
  });
});

describe('a response_url Slack no longer takes', () => {
  it('tells the person by an ephemeral message instead (the url expired, as after 30 min)', async () => {
    h = await startHarness({}, { slack: { responseUrlTtlMs: 0 } });
    await h.command('UEVE', 'pause camp_001');
    const eph = await h.slack.waitFor(() => h.slack.ephemerals('UEVE')[0]);
    expect(eph.text).toContain('not on the list of people allowed');
    expect(h.slack.responses.map((r) => r.refused)).toEqual(['expired_url']);
  });

  it('takes five posts to one response_url and refuses the sixth', async () => {
    h = await startHarness();
    const url = h.slack.responseUrl('r-five');
    const post = async () => (await fetch(url, { method: 'POST', body: '{"text":"x"}' })).status;
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push(await post());
    expect(statuses).toEqual([200, 200, 200, 200, 200, 404]);
    expect(h.slack.responses.at(-1)?.refused).toBe('used_url');
  });
});
