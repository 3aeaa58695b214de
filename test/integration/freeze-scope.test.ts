import { afterEach, describe, expect, it } from 'vitest';
import { parseAccessPolicy } from '../../src/auth/policy-file.ts';
import { parseCampaignGroups } from '../../src/core/groups.ts';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import { CHANNEL, type Harness, messageText, startHarness } from '../support/bot-harness.ts';

/**
 * What a freeze covers, as MoEngage's documents say (shared/MOENGAGE-API.md): V5's search takes 15 a page and
 * replays a repeated Idempotency-Key; V5's PAUSE applies to scheduled and sending campaigns too; neither status
 * API changes SMS. And who may freeze everything: decided before the scope is held or MoEngage is searched.
 */

let h: Harness;
afterEach(async () => {
  expect(h.slack.unexpected).toEqual([]);
  await h.stop();
});

const V5 = { MOENGAGE_API_VERSION: 'v5' };
const newMessage = (n: number) => h.slack.waitFor(() => h.slack.messages(CHANNEL)[n]);
const finished = (ts: string) =>
  h.slack.waitFor(() => {
    const m = h.slack.message(CHANNEL, ts);
    return m && messageText(m).includes('details in the thread') && m;
  }, 60_000);
const paused = () =>
  h.moengage
    .statusRequests()
    .filter((r) => r.action === 'PAUSE' && r.status === 200)
    .flatMap((r) => r.campaignIds ?? [])
    .sort();

describe('a freeze on the V5 APIs', () => {
  it('pages 40 active campaigns 15 at a time, a fresh Idempotency-Key each, and pauses all 40', async () => {
    const fleet = seedCampaigns({ count: 40, prefix: 'v5_' });
    h = await startHarness(V5, { moengage: { campaigns: fleet } });
    await h.command('UALICE', 'freeze all');
    const message = await newMessage(0);
    expect(messageText(message)).toContain('Pause 40 MoEngage campaigns');
    const searches = h.moengage.searchRequests();
    // 15 + 15 + 10: the short third page is the last.
    expect(searches.map((r) => [r.limit, r.page, r.status])).toEqual([
      [15, 1, 200],
      [15, 2, 200],
      [15, 3, 200],
    ]);
    expect(new Set(searches.map((r) => r.idempotencyKey)).size).toBe(3);
    await h.click('UBOB', message, 'campaign_confirm');
    expect(messageText(await finished(message.ts))).toContain('40 paused');
    expect(paused()).toEqual(fleet.map((c) => c.id).sort());
  });

  it('reads search rows that carry only an id, and pauses every one of them', async () => {
    const fleet = [
      ...seedCampaigns({ count: 20, prefix: 'bare_' }),
      ...seedCampaigns({ count: 5, prefix: 'held_', status: 'PAUSED' }),
    ];
    h = await startHarness(V5, { moengage: { campaigns: fleet, v5SearchRows: 'id-only' } });
    await h.command('UALICE', 'freeze');
    const message = await newMessage(0);
    expect(messageText(message)).toContain('Pause 20 MoEngage campaigns');
    await h.click('UBOB', message, 'campaign_confirm');
    expect(messageText(await finished(message.ts))).toContain('20 paused');
    expect(paused()).toEqual(fleet.slice(0, 20).map((c) => c.id));
  });

  it('pauses scheduled and sending campaigns as well as active ones (V5), and only active ones on V1', async () => {
    const fleet = [
      ...seedCampaigns({ count: 4, prefix: 'act_' }),
      ...seedCampaigns({ count: 3, prefix: 'sch_', status: 'SCHEDULED' }),
      ...seedCampaigns({
        count: 2,
        prefix: 'snd_',
        type: 'EVENT_TRIGGERED',
        status: 'SENDING',
        channel: 'EMAIL',
      }),
      // Never paused: one-time (STOP is for those) and paused already.
      ...seedCampaigns({ count: 3, prefix: 'one_', type: 'ONE_TIME', status: 'SCHEDULED' }),
      ...seedCampaigns({ count: 2, prefix: 'old_', status: 'PAUSED' }),
    ];
    h = await startHarness(V5, { moengage: { campaigns: fleet } });
    await h.command('UALICE', 'freeze');
    const message = await newMessage(0);
    expect(messageText(message)).toContain('Pause 9 MoEngage campaigns');
    expect(h.moengage.searchRequests()[0]).toMatchObject({ limit: 15, page: 1 });
    await h.click('UBOB', message, 'campaign_confirm');
    expect(messageText(await finished(message.ts))).toContain('9 paused');
    expect(paused()).toEqual(
      fleet
        .slice(0, 9)
        .map((c) => c.id)
        .sort(),
    );
    for (const id of ['sch_001', 'snd_002']) expect(h.moengage.campaign(id)?.status).toBe('PAUSED');
    await h.stop();

    // V1 pauses running campaigns only: the scheduled and sending ones are not listed.
    h = await startHarness({}, { moengage: { campaigns: fleet } });
    await h.command('UALICE', 'freeze');
    expect(messageText(await newMessage(0))).toContain('Pause 4 MoEngage campaigns');
  });

  it('says plainly that SMS (and MoEngage’s other channels) cannot be frozen, and searches nothing', async () => {
    h = await startHarness(V5, { moengage: { campaigns: seedCampaigns({ count: 3 }) } });
    const sms = await h.command('UALICE', 'freeze channel:SMS');
    const text = JSON.stringify(sms.json);
    expect(text).toContain('SMS campaigns cannot be frozen');
    expect(text).toContain('pause only email and push campaigns');
    expect(text).toContain('MoEngage dashboard');
    const whatsapp = await h.command('UALICE', 'unfreeze channel:whatsapp');
    expect(JSON.stringify(whatsapp.json)).toContain('whatsapp campaigns cannot be frozen');
    expect(h.moengage.searchRequests()).toHaveLength(0);
    expect(h.slack.messages(CHANNEL)).toHaveLength(0);
  });
});

describe('who may freeze everything', () => {
  const groups = parseCampaignGroups('black-friday-push: [camp_001, camp_002, camp_003]');
  const policy = parseAccessPolicy(
    `
rules:
  - name: oncall
    actions: [PAUSE, RESUME]
    requesters: [SONCALL]
    channels: [${CHANNEL}]
  - name: brand-team
    actions: [PAUSE, RESUME]
    requesters: [UEVE]
    channels: [${CHANNEL}]
    campaigns: [group:black-friday-push]
`,
    { groups, tokenNames: new Set() },
  );
  const env = { ACCESS_POLICY_FILE: 'given to startBot', ALLOWED_USER_IDS: '', ALLOWED_CHANNEL_IDS: '' };

  it('refuses a group-restricted user’s freeze of all before holding the scope or searching, so the on-call’s goes through', async () => {
    h = await startHarness(env, { policy, groups });
    // Were the restricted freeze to search, its first page (and the scope with it) would be held this long.
    h.moengage.inject({ kind: 'latency', ms: 2_000, api: 'search' });
    await h.command('UEVE', 'freeze all');
    // The on-call's freeze, typed at once: nothing holds the scope, so it is proposed.
    await h.command('UCAROL', 'freeze all');
    const message = await newMessage(0);
    expect(messageText(message)).toContain('Freeze of all campaigns');
    const refused = JSON.stringify((await h.slack.waitFor(() => h.slack.responses[0])).body);
    expect(refused).toContain('you cannot freeze all campaigns');
    expect(refused).toContain('group:NAME');
    // The on-call's search only: 15 active of the test fleet on two pages.
    const searches = h.moengage.searchRequests().length;
    expect(searches).toBeGreaterThan(0);
    await h.command('UEVE', 'freeze channel:PUSH');
    expect(JSON.stringify((await h.slack.waitFor(() => h.slack.responses[1])).body)).toContain(
      'you cannot freeze push campaigns',
    );
    expect(h.moengage.searchRequests()).toHaveLength(searches);
    expect(h.auditEvents().filter((e) => e.event === 'denied')).toMatchObject([
      { step: 'propose', failed: 'campaign_group', user: 'UEVE' },
      { step: 'propose', failed: 'campaign_group', user: 'UEVE' },
    ]);
    expect(h.slack.responses).toHaveLength(2);

    // The group the rule names is still theirs to freeze.
    await h.command('UEVE', 'freeze group:black-friday-push');
    expect(messageText(await newMessage(1))).toContain('Freeze of group:black-friday-push');
  });
});
