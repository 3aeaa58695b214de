import { afterEach, describe, expect, it } from 'vitest';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import {
  CHANNEL,
  type Harness,
  hasButtons,
  LOOKING_UP,
  messageText,
  startHarness,
  testFleet,
} from '../support/bot-harness.ts';

/** The look before confirming (CAMPAIGN_LOOKUP=on, the default), against MoEngage's search in the simulator. */
let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const fleet = () => [
  ...testFleet(),
  ...seedCampaigns({ count: 2, prefix: 'paused_', status: 'PAUSED' }),
  {
    id: 'promo_bf',
    name: 'Black Friday — 20% off',
    type: 'PERIODIC' as const,
    channel: 'EMAIL' as const,
    status: 'ACTIVE' as const,
  },
];

/** The confirmation as first posted, before the lookup edited it. */
const firstVersion = (ts: string) => messageText(h.slack.message(CHANNEL, ts)?.versions[0] as never);

describe('the look at each campaign before confirming', () => {
  it('shows names, channels, types and statuses; flags unknown, already-paused and ineligible ids; Confirm sends only the rest', async () => {
    h = await startHarness();
    h.moengage.setCampaigns(fleet());
    await h.command('UALICE', 'pause promo_bf camp_001 paused_001 nope_404 once_001');
    const message = await h.latestMessage();
    expect(firstVersion(message.ts)).toContain(LOOKING_UP);
    const text = messageText(message);
    expect(text).toMatch(/promo_bf`? \*Black Friday — 20% off\* · email · periodic · active/);
    expect(text).toMatch(/paused_001`?.*already paused: not sent/);
    expect(text).toMatch(/nope_404`? — _MoEngage has no campaign with this id: not sent_/);
    expect(text).toMatch(/once_001`?.*only periodic and triggered campaigns can be paused.*not sent/);
    expect(text).toContain(
      'In MoEngage: 2 active, 1 already paused, 1 unknown, 1 not eligible; 3 flagged ids are not sent.',
    );
    expect(JSON.stringify(message.blocks)).toContain(
      '3 flagged campaigns (already done, unknown or not eligible) are not sent.',
    );
    // V1 search: one id per call.
    expect(h.moengage.searchRequests().map((r) => r.campaignIds)).toHaveLength(5);

    await h.click('UBOB', message, 'campaign_confirm');
    const final = await h.slack.waitFor(() => {
      const m = h.slack.message(CHANNEL, message.ts);
      return m && messageText(m).includes('details in the thread') && m;
    });
    expect(messageText(final)).toContain('2 paused, 1 already paused, 2 not sent (flagged)');
    expect(h.moengage.statusRequests().flatMap((r) => r.campaignIds)).toEqual(['promo_bf', 'camp_001']);
    const thread = h.slack
      .thread(CHANNEL, message.ts)
      .map((m) => messageText(m))
      .join('\n');
    expect(thread).toMatch(/promo_bf`? Black Friday — 20% off paused/);
    expect(thread).toMatch(/paused_001`?.* already paused before confirming: not sent/);
    const completed = h.auditEvents().find((e) => e.event === 'completed');
    expect(completed).toMatchObject({ applied: 2 });
  });

  it('flags a STOP on a periodic campaign and says to pause it instead', async () => {
    h = await startHarness();
    await h.command('UALICE', 'stop camp_002 once_002');
    const message = await h.latestMessage();
    expect(messageText(message)).toMatch(
      /camp_002`?.*STOP applies to one-time campaigns; it is active \(periodic\) \(pause it instead\): not sent/,
    );
    expect(JSON.stringify(message.blocks)).toContain('Stop 1 of 2?');
    await h.click('UBOB', message, 'campaign_confirm');
    await h.slack.waitFor(() => h.moengage.campaign('once_002')?.status === 'STOPPED');
    expect(h.moengage.statusRequests().flatMap((r) => r.campaignIds)).toEqual(['once_002']);
    expect(h.moengage.campaign('camp_002')?.status).toBe('ACTIVE');
  });

  it('sums a long list up on the message and tables every campaign in the thread', async () => {
    h = await startHarness({ MAX_CAMPAIGNS_PER_COMMAND: '100' });
    h.moengage.setCampaigns([
      ...seedCampaigns({ count: 27 }),
      ...seedCampaigns({ count: 3, prefix: 'paused_', status: 'PAUSED' }),
    ]);
    const ids = [...seedCampaigns({ count: 27 }).map((c) => c.id), 'paused_001', 'paused_002', 'paused_003'];
    await h.command('UALICE', `pause ${ids.join(' ')}`);
    const message = await h.latestMessage();
    expect(messageText(message)).toContain(
      'In MoEngage: 27 active, 3 already paused; 3 flagged ids are not sent (listed in the thread).',
    );
    const [table] = await h.slack.waitFor(() => {
      const t = h.slack.thread(CHANNEL, message.ts);
      return t.length > 0 && t;
    });
    const tableText = messageText(table as never);
    // Flagged first, then the rest: all 30.
    expect(tableText.indexOf('paused_001')).toBeLessThan(tableText.indexOf('camp_001'));
    for (const id of ids) expect(tableText).toContain(id);
  });

  it('leaves a one-line note and blocks nothing when the account has no campaign search', async () => {
    h = await startHarness({}, { moengage: { searchEnabled: false } });
    await h.command('UALICE', 'pause camp_003');
    const message = await h.latestMessage();
    expect(messageText(message)).toMatch(
      /campaign search is not available to this account \(MoEngage 403: .*contact your CSM.*\); ask your MoEngage CSM to enable it; Confirm applies to every id listed/,
    );
    await h.click('UBOB', message, 'campaign_confirm');
    await h.slack.waitFor(() => h.moengage.campaign('camp_003')?.status === 'PAUSED');
    // Refused once, believed: a second request's look asks MoEngage nothing.
    const asked = h.moengage.searchRequests().length;
    await h.command('UALICE', 'pause camp_010 camp_011 camp_012');
    const second = await h.slack.waitFor(() => {
      const m = h.slack.messages(CHANNEL)[1];
      return m && messageText(m).includes('not available to this account') && m;
    });
    expect(hasButtons(second)).toBe(true);
    expect(h.moengage.searchRequests()).toHaveLength(asked);
  });

  it('posts the confirmation before MoEngage’s search answers, and a search that keeps failing leaves a note', async () => {
    h = await startHarness();
    // Slow, then failing on each of its 3 attempts.
    h.moengage.inject({ kind: 'status', status: 500, api: 'search' }, 3);
    await h.command('UALICE', 'pause camp_004');
    const posted = await h.slack.waitFor(() => h.slack.messages(CHANNEL).at(-1));
    expect(firstVersion(posted.ts)).toContain(LOOKING_UP);
    const noted = await h.slack.waitFor(() => {
      const m = h.slack.message(CHANNEL, posted.ts);
      return m && /Could not look the campaigns up in MoEngage \(MoEngage 500/.test(messageText(m)) && m;
    }, 15_000);
    expect(noted.versions.length).toBe(2);
    await h.click('UBOB', noted, 'campaign_confirm');
    await h.slack.waitFor(() => h.moengage.campaign('camp_004')?.status === 'PAUSED');
  });

  it('does not look when CAMPAIGN_LOOKUP=off', async () => {
    h = await startHarness({ CAMPAIGN_LOOKUP: 'off' });
    await h.command('UALICE', 'pause camp_005');
    const message = await h.latestMessage();
    expect(messageText(message)).not.toContain('MoEngage:');
    expect(h.moengage.searchRequests()).toHaveLength(0);
  });
});

describe('outcomes checked against MoEngage after the run', () => {
  const confirmAndFinish = async (text: string) => {
    await h.command('UALICE', text);
    const message = await h.latestMessage();
    return message;
  };
  const finished = (ts: string) =>
    h.slack.waitFor(() => {
      const m = h.slack.message(CHANNEL, ts);
      return m && messageText(m).includes('details in the thread') && m;
    });

  it('reports a request MoEngage applied but whose answer was lost as applied, confirmed by lookup (V1)', async () => {
    h = await startHarness();
    const message = await confirmAndFinish('pause camp_006');
    // Applied, then the connection drops: the retry (same request_id) is refused, as the campaign is paused now.
    h.moengage.inject({ kind: 'drop' });
    await h.click('UBOB', message, 'campaign_confirm');
    const final = await finished(message.ts);
    expect(h.moengage.statusRequests().map((r) => r.outcome)).toEqual(['dropped', 'rejected']);
    expect(messageText(final)).toContain('1 paused');
    expect(messageText(final)).not.toContain('failed');
    const thread = h.slack
      .thread(CHANNEL, message.ts)
      .map((m) => messageText(m))
      .join('\n');
    expect(thread).toMatch(/camp_006`?.* paused \(confirmed by lookup\)/);
    // The lookup before confirming and the check after.
    expect(h.moengage.searchRequests()).toHaveLength(2);
  });

  it('never reports a campaign already in the state asked for as a failure (paused elsewhere meanwhile)', async () => {
    h = await startHarness();
    const message = await confirmAndFinish('pause camp_007 camp_008');
    // Someone pauses camp_007 in the dashboard after the lookup: MoEngage refuses it as not active.
    const paused = h.moengage.campaign('camp_007');
    h.moengage.setCampaigns([
      ...testFleet().filter((c) => c.id !== 'camp_007'),
      { ...(paused as NonNullable<typeof paused>), status: 'PAUSED' },
    ]);
    await h.click('UBOB', message, 'campaign_confirm');
    const final = await finished(message.ts);
    expect(messageText(final)).toContain('1 paused, 1 already paused');
    expect(messageText(final)).not.toContain('failed');
    const thread = h.slack
      .thread(CHANNEL, message.ts)
      .map((m) => messageText(m))
      .join('\n');
    expect(thread).toMatch(/camp_007`?.* already paused/);
  });

  it('keeps a real failure a failure, and says what MoEngage shows', async () => {
    h = await startHarness();
    const message = await confirmAndFinish('pause camp_009');
    h.moengage.inject({ kind: 'status', status: 500 }, 10);
    await h.click('UBOB', message, 'campaign_confirm');
    const final = await finished(message.ts);
    expect(messageText(final)).toContain('1 failed');
    const thread = h.slack
      .thread(CHANNEL, message.ts)
      .map((m) => messageText(m))
      .join('\n');
    expect(thread).toMatch(/camp_009`?.* failed: .*MoEngage shows it active/);
  });
});

describe('flags that went stale before the confirmation', () => {
  it('looks the flagged ids up again when the look is old, and sends one that became eligible', async () => {
    // Every look counts as old: the confirmation below comes "later" than the staleness limit.
    h = await startHarness({}, { timings: { staleLookupMs: 0 } });
    h.moengage.setCampaigns([
      ...testFleet().filter((c) => c.id !== 'camp_013'),
      { id: 'camp_013', name: 'resumed meanwhile', type: 'PERIODIC', channel: 'PUSH', status: 'PAUSED' },
    ]);
    await h.command('UALICE', 'pause camp_013 camp_014 nope_9');
    const message = await h.latestMessage();
    expect(messageText(message)).toMatch(/camp_013`?.*already paused: not sent/);
    // Someone resumes camp_013 in the dashboard before Bob confirms: pausing it is needed again.
    const c = h.moengage.campaign('camp_013');
    h.moengage.setCampaigns([
      ...testFleet().filter((x) => x.id !== 'camp_013'),
      { ...(c as NonNullable<typeof c>), status: 'ACTIVE' },
    ]);
    await h.click('UBOB', message, 'campaign_confirm');
    const final = await h.slack.waitFor(() => {
      const m = h.slack.message(CHANNEL, message.ts);
      return m && messageText(m).includes('details in the thread') && m;
    });
    expect(h.moengage.campaign('camp_013')?.status).toBe('PAUSED');
    expect(messageText(final)).toContain('2 paused, 1 not sent (flagged)');
    expect(
      h.moengage
        .statusRequests()
        .flatMap((r) => r.campaignIds)
        .sort(),
    ).toEqual(['camp_013', 'camp_014']);
  });
});
