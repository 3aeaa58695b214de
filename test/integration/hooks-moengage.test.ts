import { afterEach, describe, expect, it } from 'vitest';
import { parseHookRules } from '../../src/doors/http/hooks/rules.ts';
import { campaignStatsAlert, tokenExpiryAlert, unknownTypeAlert } from '../../src/sandbox/moengage-alerts.ts';
import { CHANNEL, type Harness, startHarness } from '../support/bot-harness.ts';
import { SECRETS } from '../support/hook-samples.ts';

/** MoEngage's own alerts, sent by the simulator as MoEngage sends them, into the running bot. */
const RULES = `
rules:
  - name: moe-any
    source: moengage
    action: PAUSE
    campaigns: [camp_010]
    channel: ${CHANNEL}
    reason: "MoEngage: {{alert_name}}"
`;

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const start = () =>
  startHarness(
    { HOOK_SECRETS: JSON.stringify(SECRETS), CAMPAIGN_LOOKUP: 'off' },
    { hookRules: parseHookRules(RULES, new Set(['moengage'])) },
  );

const url = () => `http://127.0.0.1:${h.bot.port}/api/v1/hooks/moengage`;

describe('POST /api/v1/hooks/moengage, from MoEngage Alert Management', () => {
  it.each([
    ['an APNs token-expiry alert', tokenExpiryAlert('APNS_TOKEN_EXPIRY'), 'token-expiry'],
    ['a Facebook token-expiry alert', tokenExpiryAlert('FACEBOOK_TOKEN_EXPIRY'), 'token-expiry'],
    ['an alert of a type MoEngage has not documented', unknownTypeAlert(), 'SEGMENT_SIZE'],
  ])(
    'answers %s 200, audits it, and proposes nothing even under a rule that matches anything',
    async (_, alert, words) => {
      h = await start();
      const res = await h.moengage.sendAlert(url(), alert, SECRETS.moengage);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ code: 'not_for_us', ignored: expect.stringContaining(words) });
      expect(h.auditEvents().find((e) => e.event === 'hook_ignored')).toMatchObject({
        source: 'moengage',
        code: 'not_for_us',
      });
      expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    },
  );

  it('takes an alert whose count differs from its list and whose last entity has an empty id, once per delivery', async () => {
    h = await start();
    const alert = campaignStatsAlert([{ id: 'camp_010', name: 'Ten' }], { count: 7, emptyIdEntity: true });
    const first = await h.moengage.sendAlert(url(), alert, SECRETS.moengage);
    expect(first.status, first.body).toBe(202);
    const again = await h.moengage.sendAlert(url(), alert, SECRETS.moengage);
    expect(again.status).toBe(202);
    expect((again.json as { proposals: { id: string }[] }).proposals[0]?.id).toBe(
      (first.json as { proposals: { id: string }[] }).proposals[0]?.id,
    );
    await h.slack.waitFor(() => h.slack.messages(CHANNEL).length === 1);
  });

  it('refuses an alert signed with another key (401)', async () => {
    h = await start();
    const res = await h.moengage.sendAlert(url(), campaignStatsAlert([]), 'not-the-moengage-key-0123456789');
    expect(res.status).toBe(401);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });
});
