import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCOPES_BY_METHOD } from '../../src/slack/port.ts';
import { VERSION } from '../../src/version.ts';
import {
  ackText,
  CHANNEL,
  type Harness,
  hasButtons,
  messageText,
  SIGNING_SECRET,
  startHarness,
} from '../support/bot-harness.ts';

let h: Harness;
afterEach(async () => {
  expect(h.slack.unexpected).toEqual([]);
  // Every Web API method the bot called has its scope accounted for in manifest.yml (see manifest.test.ts).
  for (const call of h.slack.calls) expect(Object.keys(SCOPES_BY_METHOD)).toContain(call.method);
  await h.stop();
});

describe('/campaign end to end (HTTP receiver, signed requests, both simulators)', () => {
  describe('with the default configuration', () => {
    beforeEach(async () => {
      h = await startHarness();
    });

    it('pauses campaigns: command, confirmation with buttons, teammate confirms, results in the thread', async () => {
      const ack = await h.command('UALICE', 'pause camp_001 camp_002');
      expect(ack.status).toBe(200);
      expect(ack.body).toBe('');

      const message = await h.latestMessage();
      expect(message.threadTs).toBeUndefined();
      expect(hasButtons(message)).toBe(true);
      const text = messageText(message);
      for (const words of ['Pause 2 MoEngage campaigns', 'camp_001', 'camp_002', '<@UALICE>', 'expires']) {
        expect(text).toContain(words);
      }

      const click = await h.click('UBOB', message, 'campaign_confirm');
      expect(click.status).toBe(200);
      const [reply] = await h.slack.waitFor(() => {
        const t = h.slack.thread(CHANNEL, message.ts);
        return t.length > 0 && t;
      });
      expect(messageText(reply as never)).toContain('2 paused');
      expect(messageText(reply as never)).toMatch(/camp_001`?( \S.*)? paused/);

      const final = await h.slack.waitFor(() => {
        const m = h.slack.message(CHANNEL, message.ts);
        return m && messageText(m).includes('details in the thread') && m;
      });
      expect(hasButtons(final)).toBe(false);
      // Posted, looked up (names shown), running, done.
      expect(final.versions).toHaveLength(4);
      expect(messageText(final.versions[1] as never)).toContain('In MoEngage: 2 active.');
      expect(messageText(final.versions[2] as never)).toContain('confirmed by <@UBOB>, running');
      expect(messageText(final)).toContain('2 paused');
      expect(h.moengage.campaign('camp_001')?.status).toBe('PAUSED');
      expect(h.moengage.statusRequests()).toHaveLength(1);

      const events = h.auditEvents().map((e) => e.event);
      expect(events).toEqual(['requested', 'approved', 'confirmed', 'executed', 'completed']);
      const executed = h.auditEvents().find((e) => e.event === 'executed');
      expect(executed).toMatchObject({ status: 200, campaignIds: ['camp_001', 'camp_002'], action: 'PAUSE' });
      expect(executed?.moengageRequestId).toBe(h.moengage.statusRequests()[0]?.requestId);
    });

    it('shows usage for /campaign and an ephemeral error for bad input, changing nothing', async () => {
      const help = await h.command('UALICE', '');
      expect(help.json).toMatchObject({ response_type: 'ephemeral' });
      expect(ackText(help)).toContain('/campaign pause|resume|stop');
      const bad = await h.command('UALICE', 'pause not/an/id');
      expect(ackText(bad)).toMatch(/^This is not a campaign id: "not\/an\/id"/);
      expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
      expect(h.moengage.statusRequests()).toHaveLength(0);
    });

    it('refuses a user outside the allowlist, saying which check failed', async () => {
      await h.command('UEVE', 'pause camp_001');
      const response = await h.slack.waitFor(() => h.slack.responses[0]);
      expect(response.body).toMatchObject({ response_type: 'ephemeral' });
      expect(JSON.stringify(response.body)).toContain('not on the list of people allowed');
      expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
      expect(h.auditEvents()).toMatchObject([{ event: 'denied', failed: 'user', user: 'UEVE' }]);
    });

    it('refuses a channel outside the allowlist', async () => {
      await h.command('UALICE', 'pause camp_001', 'CRANDOM');
      const response = await h.slack.waitFor(() => h.slack.responses[0]);
      expect(JSON.stringify(response.body)).toContain('not allowed in this channel');
      expect(h.slack.messages('CRANDOM')).toHaveLength(0);
    });

    it('tells the requester to invite the bot when it is not in the channel', async () => {
      await h.command('UALICE', 'pause camp_001', 'CPRIVATE');
      const response = await h.slack.waitFor(() => h.slack.responses[0]);
      expect(JSON.stringify(response.body)).toContain('Invite me with `/invite @campaign-bot`');
    });

    it('refuses a click from outside the allowlist and leaves the request open for others', async () => {
      await h.command('UALICE', 'pause camp_003');
      const message = await h.latestMessage();
      await h.click('UEVE', message, 'campaign_confirm');
      const eph = await h.slack.waitFor(() => h.slack.ephemerals('UEVE')[0]);
      expect(eph.text).toContain('not on the list of people allowed');
      expect(h.moengage.statusRequests()).toHaveLength(0);

      await h.click('UBOB', message, 'campaign_confirm');
      await h.slack.waitFor(() => h.moengage.campaign('camp_003')?.status === 'PAUSED');
    });

    it('lets a member of an allowed user group request and confirm', async () => {
      await h.command('UCAROL', 'pause camp_004');
      const message = await h.latestMessage();
      await h.click('UDAVE', message, 'campaign_confirm');
      await h.slack.waitFor(() => h.moengage.campaign('camp_004')?.status === 'PAUSED');
      expect(h.slack.callsTo('usergroups.users.list').length).toBeGreaterThanOrEqual(1);
      expect(h.auditEvents().find((e) => e.event === 'requested')).toMatchObject({
        via: 'rule:ALLOWED_USER_IDS group:SONCALL',
      });
    });

    it('does not let the requester confirm their own STOP; a second person can', async () => {
      await h.command('UALICE', 'stop once_001');
      const message = await h.latestMessage();
      expect(messageText(message)).toContain('needs a second person');
      await h.click('UALICE', message, 'campaign_confirm');
      const eph = await h.slack.waitFor(() => h.slack.ephemerals('UALICE')[0]);
      expect(eph.text).toContain('A STOP needs a second person');
      expect(h.moengage.statusRequests()).toHaveLength(0);

      await h.click('UBOB', message, 'campaign_confirm');
      await h.slack.waitFor(() => h.moengage.campaign('once_001')?.status === 'STOPPED');
    });

    it('lets the requester confirm their own PAUSE (not in SECOND_APPROVER_ACTIONS)', async () => {
      await h.command('UALICE', 'pause camp_005');
      await h.click('UALICE', await h.latestMessage(), 'campaign_confirm');
      await h.slack.waitFor(() => h.moengage.campaign('camp_005')?.status === 'PAUSED');
    });

    it('runs the action exactly once for ten concurrent Confirm clicks, five times over', async () => {
      for (let round = 0; round < 5; round++) {
        const id = `camp_0${10 + round}`;
        await h.command('UALICE', `pause ${id}`);
        const message = await h.slack.waitFor(() =>
          h.slack.messages(CHANNEL).find((m) => messageText(m).includes(id)),
        );
        const clickers = [
          'UBOB',
          'UCAROL',
          'UDAVE',
          'UBOB',
          'UALICE',
          'UCAROL',
          'UBOB',
          'UDAVE',
          'UALICE',
          'UBOB',
        ];
        const acks = await Promise.all(clickers.map((u) => h.click(u, message, 'campaign_confirm')));
        expect(acks.every((a) => a.status === 200)).toBe(true);
        await h.slack.waitFor(() => h.slack.thread(CHANNEL, message.ts).length > 0);
        await h.slack.waitFor(() => h.slack.ephemerals().length >= 9 * (round + 1));
        const withId = h.moengage.statusRequests().filter((r) => r.campaignIds?.includes(id));
        expect(withId).toHaveLength(1);
      }
      expect(h.auditEvents().filter((e) => e.event === 'confirmed')).toHaveLength(5);
      const already = h.slack
        .ephemerals()
        .filter((e) => /already confirmed by <@U[A-Z]+>/.test(e.text ?? ''));
      expect(already).toHaveLength(45);
    });

    it('runs a confirmation once when the same click arrives twice (a browser double submit)', async () => {
      await h.command('UALICE', 'pause camp_020');
      const message = await h.latestMessage();
      await h.click('UBOB', message, 'campaign_confirm');
      await h.click('UBOB', message, 'campaign_confirm');
      await h.slack.waitFor(() => h.slack.ephemerals('UBOB')[0]);
      expect(h.moengage.statusRequests()).toHaveLength(1);
    });

    it('cancels: the message says who cancelled, MoEngage is never called, and a later confirm is refused', async () => {
      await h.command('UALICE', 'pause camp_021');
      const message = await h.latestMessage();
      await h.click('UBOB', message, 'campaign_cancel');
      const updated = await h.slack.waitFor(() => {
        const m = h.slack.message(CHANNEL, message.ts);
        return m && messageText(m).includes('cancelled by') && m;
      });
      expect(hasButtons(updated)).toBe(false);
      expect(messageText(updated)).toContain('cancelled by <@UBOB>');
      await h.click('UCAROL', message, 'campaign_confirm');
      const eph = await h.slack.waitFor(() => h.slack.ephemerals('UCAROL')[0]);
      expect(eph.text).toMatch(/already cancelled by <@UBOB>/);
      expect(h.moengage.statusRequests()).toHaveLength(0);
    });

    it('splits 25 ids into MoEngage requests of 10, 10 and 5', async () => {
      const ids = Array.from({ length: 25 }, (_, i) => `camp_${String(i + 1).padStart(3, '0')}`);
      await h.command('UALICE', `pause ${ids.join(',')}`);
      await h.click('UBOB', await h.latestMessage(), 'campaign_confirm');
      await h.slack.waitFor(() => h.auditEvents().find((e) => e.event === 'completed'));
      expect(
        h.moengage
          .statusRequests()
          .map((r) => r.campaignIds?.length)
          .sort(),
      ).toEqual([10, 10, 5].sort());
    });

    it('retries a MoEngage 500 and reports success', async () => {
      h.moengage.failNext(1, 500);
      await h.command('UALICE', 'pause camp_022');
      const message = await h.latestMessage();
      await h.click('UBOB', message, 'campaign_confirm');
      const [reply] = await h.slack.waitFor(
        () => h.slack.thread(CHANNEL, message.ts).length > 0 && h.slack.thread(CHANNEL, message.ts),
      );
      expect(messageText(reply as never)).toContain('1 paused');
      expect(h.moengage.statusRequests().map((r) => r.status)).toEqual([500, 200]);
    });

    it('flags an id MoEngage cannot pause before anyone confirms, and sends only the others', async () => {
      await h.command('UALICE', 'pause camp_023 once_002 camp_024');
      const message = await h.latestMessage();
      // The look before confirming: names on the message, the one-time campaign flagged, the button says so.
      const shown = messageText(message);
      expect(shown).toMatch(/camp_023`? \*periodic push 023\* · push · periodic · active/);
      expect(shown).toMatch(/once_002`?.*only periodic and triggered campaigns can be paused.*not sent/);
      expect(shown).toContain('1 flagged id is not sent');
      const confirm = JSON.stringify(message.blocks);
      expect(confirm).toContain('Pause 2 of 3?');
      await h.click('UBOB', message, 'campaign_confirm');
      const final = await h.slack.waitFor(() => {
        const m = h.slack.message(CHANNEL, message.ts);
        return m && messageText(m).includes('details in the thread') && m;
      });
      expect(messageText(final)).toContain('2 paused, 1 not sent (flagged)');
      const thread = messageText(h.slack.thread(CHANNEL, message.ts)[0] as never);
      expect(thread).toMatch(/once_002`?.* not sent: only periodic and triggered campaigns can be paused/);
      expect(h.moengage.campaign('camp_023')?.status).toBe('PAUSED');
      // once_002 never reached MoEngage's status API.
      expect(h.moengage.statusRequests().flatMap((r) => r.campaignIds)).toEqual(['camp_023', 'camp_024']);
    });

    it('never lets user input ping anyone', async () => {
      const a = await h.command('UALICE', '<!channel> camp_001');
      expect(ackText(a)).toContain('&lt;!channel&gt;');
      expect(ackText(a)).not.toContain('<!channel>');
      const b = await h.command('UALICE', 'pause <@UBOB> <!here|here> camp_001');
      expect(ackText(b)).toContain('&lt;@UBOB&gt;');
      expect(ackText(b)).not.toMatch(/<[@!]/);
      expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    });

    it('rejects bad, missing and stale signatures with 401 and does nothing', async () => {
      const wrong = await h.slack.slashCommand(
        h.url,
        { userId: 'UALICE', channelId: CHANNEL, text: 'pause camp_001' },
        { secret: 'nope' },
      );
      const stale = await h.slack.slashCommand(
        h.url,
        { userId: 'UALICE', channelId: CHANNEL, text: 'pause camp_001' },
        { timestamp: Math.floor(Date.now() / 1000) - 600 },
      );
      const missing = await request(h.url, {
        method: 'POST',
        body: 'command=%2Fcampaign&text=pause+camp_001',
      });
      await missing.body.text();
      expect([wrong.status, stale.status, missing.statusCode]).toEqual([401, 401, 401]);
      expect(SIGNING_SECRET).not.toBe('nope');
      expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    });

    it('answers /healthz once ready', async () => {
      const res = await request(`http://127.0.0.1:${h.bot.port}/healthz`);
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toEqual({ ok: true, version: VERSION });
    });
  });

  it('expires a pending request: the message says so without a click, and a late click is refused', async () => {
    h = await startHarness({ CONFIRMATION_TTL_SECONDS: '1' });
    await h.command('UALICE', 'pause camp_025');
    const message = await h.latestMessage();
    const expired = await h.slack.waitFor(() => {
      const m = h.slack.message(CHANNEL, message.ts);
      return m && messageText(m).includes('expired at') && m;
    }, 4_000);
    expect(messageText(expired)).toContain('expired at');
    expect(hasButtons(expired)).toBe(false);
    await h.click('UBOB', message, 'campaign_confirm');
    const eph = await h.slack.waitFor(() => h.slack.ephemerals('UBOB')[0]);
    expect(eph.text).toMatch(/already expired|expired at/);
    expect(h.moengage.statusRequests()).toHaveLength(0);
    expect(h.auditEvents().filter((e) => e.event === 'expired')).toHaveLength(1);
  });
});

describe('repeated deliveries', () => {
  it('posts one confirmation when Slack delivers the same command twice (same trigger_id)', async () => {
    h = await startHarness();
    const args = {
      userId: 'UALICE',
      channelId: CHANNEL,
      text: 'pause camp_026',
      triggerId: '1234.5678.abcdef',
    };
    await Promise.all([h.slack.slashCommand(h.url, args), h.slack.slashCommand(h.url, args)]);
    await h.latestMessage();
    await new Promise((r) => setTimeout(r, 200));
    expect(h.slack.messages(CHANNEL)).toHaveLength(1);
    expect(h.log.lines().some((l) => l.msg === 'repeated command delivery ignored')).toBe(true);
  });
});

describe('when Slack misbehaves during a run', () => {
  it('still calls MoEngage, posts the results and the summary when the "running" edit fails', async () => {
    h = await startHarness();
    await h.command('UALICE', 'pause camp_027');
    const message = await h.latestMessage();
    h.slack.failNext('chat.update', 'internal_error', 1);
    await h.click('UBOB', message, 'campaign_confirm');
    const final = await h.slack.waitFor(() => {
      const m = h.slack.message(CHANNEL, message.ts);
      return m && messageText(m).includes('1 paused') && m;
    });
    expect(hasButtons(final)).toBe(false);
    expect(h.moengage.campaign('camp_027')?.status).toBe('PAUSED');
    expect(h.slack.thread(CHANNEL, message.ts)).toHaveLength(1);
    // The lookup's edit (before the click), the failed "running" edit, the summary.
    expect(h.slack.callsTo('chat.update').map((c) => c.ok)).toEqual([true, false, true]);
  });
});

describe('MoEngage refusing an id (CAMPAIGN_LOOKUP=off)', () => {
  it('shows a 400 per id in the thread and applies the valid ids', async () => {
    h = await startHarness({ CAMPAIGN_LOOKUP: 'off' });
    await h.command('UALICE', 'pause camp_023 once_002 camp_024');
    const message = await h.latestMessage();
    expect(messageText(message)).not.toContain('In MoEngage');
    await h.click('UBOB', message, 'campaign_confirm');
    const final = await h.slack.waitFor(() => {
      const m = h.slack.message(CHANNEL, message.ts);
      return m && messageText(m).includes('details in the thread') && m;
    });
    expect(messageText(final)).toContain('2 paused, 1 failed');
    const thread = messageText(h.slack.thread(CHANNEL, message.ts)[0] as never);
    expect(thread).toMatch(/once_002`? failed: MoEngage 400: Campaign once_002 cannot be paused/);
    expect(h.moengage.campaign('camp_023')?.status).toBe('PAUSED');
    expect(h.moengage.searchRequests()).toHaveLength(0);
  });
});
