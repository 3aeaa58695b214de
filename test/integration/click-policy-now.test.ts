import { afterEach, describe, expect, it } from 'vitest';
import { parseAccessPolicy } from '../../src/auth/policy-file.ts';
import { parseCampaignGroups } from '../../src/core/groups.ts';
import { createMemoryStore } from '../../src/stores/memory-store.ts';
import { CHANNEL, type Harness, startHarness } from '../support/bot-harness.ts';

/**
 * A click is authorized against the access policy as it is when the click comes, not as it was at the proposal:
 * a deploy that narrows the rule a request was proposed under (its actions, its campaigns, its channels) means
 * that rule no longer approves it. The store outlives the restart, as Redis or SQLite would.
 */
let h: Harness;
afterEach(async () => {
  expect(h.slack.unexpected).toEqual([]);
  await h.stop();
});

const groups = parseCampaignGroups('incident: [camp_001]\nother: [camp_002]');
const policyOf = (rule: { actions: string; campaigns: string; channels: string }) =>
  parseAccessPolicy(
    `
rules:
  - name: oncall
    actions: ${rule.actions}
    requesters: [UALICE]
    approvers: [UBOB]
    channels: ${rule.channels}
    campaigns: ${rule.campaigns}
`,
    { groups, tokenNames: new Set() },
  );
const wide = {
  actions: '[PAUSE, RESUME]',
  campaigns: '[group:incident, group:other]',
  channels: `[${CHANNEL}, COTHER]`,
};

/** Alice proposes a PAUSE of camp_001 under `wide`; the bot is redeployed with `now`; Bob clicks Confirm. */
async function clickAfterDeploy(now: typeof wide) {
  const options = { policy: policyOf(wide), groups, store: createMemoryStore() };
  h = await startHarness(
    { ACCESS_POLICY_FILE: 'given to startBot', ALLOWED_USER_IDS: '', ALLOWED_CHANNEL_IDS: '' },
    options,
  );
  await h.command('UALICE', 'pause camp_001 reason: INC-9');
  const message = await h.latestMessage();
  options.policy = policyOf(now);
  await h.restart();
  await h.click('UBOB', message, 'campaign_confirm');
  return message;
}

const refusalTo = async (user: string) => (await h.slack.waitFor(() => h.slack.ephemerals(user)[0])).text;
const denials = () =>
  h
    .auditEvents()
    .filter((e) => e.event === 'denied')
    .map((e) => [e.user, e.step, e.failed]);

describe('a click is authorized against the rule as it is now', () => {
  it('approves under the rule redeployed unchanged (the control)', async () => {
    await clickAfterDeploy(wide);
    await h.slack.waitFor(() => h.moengage.campaign('camp_001')?.status === 'PAUSED', 20_000);
    expect(denials()).toEqual([]);
  });

  it('no longer approves once the rule no longer grants the action', async () => {
    await clickAfterDeploy({ ...wide, actions: '[RESUME]' });
    expect(await refusalTo('UBOB')).toContain('not on the list of people allowed to approve');
    expect(denials()).toEqual([['UBOB', 'approve', 'approver']]);
    expect(h.moengage.statusRequests()).toHaveLength(0);
  });

  it('no longer approves once the rule no longer covers the campaigns', async () => {
    await clickAfterDeploy({ ...wide, campaigns: '[group:other]' });
    expect(await refusalTo('UBOB')).toContain('not on the list of people allowed to approve');
    expect(denials()).toEqual([['UBOB', 'approve', 'approver']]);
    expect(h.moengage.statusRequests()).toHaveLength(0);
  });

  it('no longer approves once the rule no longer allows the channel', async () => {
    await clickAfterDeploy({ ...wide, channels: '[COTHER]' });
    expect(await refusalTo('UBOB')).toContain('not allowed in this channel');
    expect(denials()).toEqual([['UBOB', 'approve', 'channel']]);
    expect(h.moengage.statusRequests()).toHaveLength(0);
  });
});
