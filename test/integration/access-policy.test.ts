import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAccessPolicy } from '../../src/auth/policy-file.ts';
import { parseCampaignGroups } from '../../src/core/groups.ts';
import type { ChildBot } from '../../src/sandbox/child-bot.ts';
import {
  buttonValue,
  CHANNEL,
  type Harness,
  hasButtons,
  messageText,
  startChildBotOn,
  startHarness,
  startSimulators,
} from '../support/bot-harness.ts';
import { cleanup, connectRedis, redisUrl, uniquePrefix } from '../support/redis.ts';

const TOKEN = 'pd-token-0123456789abcdef0123456789abcdef';
const TOKENS = JSON.stringify([{ name: 'pagerduty', token: TOKEN }]);
const POLICY = `
rules:
  - name: oncall-pause
    actions: [PAUSE, RESUME]
    requesters: [SONCALL]
    channels: [${CHANNEL}]
  - name: leads-stop
    actions: [STOP]
    requesters: [SONCALL]
    approvers: [SLEADS]
    channels: [${CHANNEL}]
  - name: pagerduty
    actions: [PAUSE, STOP]
    requesters: [token:pagerduty]
    approvers: [SLEADS, SONCALL]
    channels: [${CHANNEL}]
`;
/** The policy object goes to startBot directly; the variables say, as index.ts would see them, that a file is in use. */
const FILE_ENV = {
  ACCESS_POLICY_FILE: 'given to startBot',
  ALLOWED_USER_IDS: '',
  ALLOWED_CHANNEL_IDS: '',
  SECOND_APPROVER_ACTIONS: '',
  RUNBOOK_TOKENS: TOKENS,
};
const policy = () =>
  parseAccessPolicy(POLICY, { groups: parseCampaignGroups('{}'), tokenNames: new Set(['pagerduty']) });

let h: Harness;
afterEach(async () => {
  expect(h.slack.unexpected).toEqual([]);
  await h.stop();
});

const ephemeral = (user: string, n = 1) => h.slack.waitFor(() => h.slack.ephemerals(user)[n - 1]);

describe('the access policy file, end to end', () => {
  it('lets only a lead confirm an on-call STOP: the on-call requester and another on-call member cannot', async () => {
    h = await startHarness(FILE_ENV, { policy: policy() });
    await h.command('UCAROL', 'stop once_001');
    const message = await h.latestMessage();
    expect(messageText(message)).toContain('needs a second person');

    await h.click('UCAROL', message, 'campaign_confirm');
    expect((await ephemeral('UCAROL')).text).toMatch(/not on the list of people allowed to approve/);
    await h.click('UDAVE', message, 'campaign_confirm');
    expect((await ephemeral('UDAVE')).text).toMatch(/not on the list of people allowed to approve/);
    expect(h.moengage.statusRequests()).toHaveLength(0);

    await h.click('ULEAD1', message, 'campaign_confirm');
    await h.slack.waitFor(() => h.moengage.campaign('once_001')?.status === 'STOPPED');
    expect(h.auditEvents().filter((e) => e.event === 'denied')).toMatchObject([
      { step: 'approve', failed: 'approver', user: 'UCAROL' },
      { step: 'approve', failed: 'approver', user: 'UDAVE' },
    ]);
    expect(h.auditEvents().find((e) => e.event === 'confirmed')).toMatchObject({
      user: 'ULEAD1',
      via: 'rule:leads-stop group:SLEADS',
    });
  });

  it('refuses a STOP to someone the rules name only for PAUSE, saying which part failed', async () => {
    h = await startHarness(
      {},
      {
        policy: parseAccessPolicy(
          POLICY.replace(
            'requesters: [SONCALL]\n    approvers: [SLEADS]',
            'requesters: [SLEADS]\n    approvers: [SLEADS]',
          ),
          { groups: new Map(), tokenNames: new Set(['pagerduty']) },
        ),
      },
    );
    await h.command('UCAROL', 'stop once_001');
    const response = await h.slack.waitFor(() => h.slack.responses[0]);
    expect(JSON.stringify(response.body)).toContain('No rule of the access policy lets you request a STOP');
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('makes a runbook STOP need two distinct people: the person it names cannot approve, nor can one lead alone', async () => {
    h = await startHarness(FILE_ENV, { policy: policy() });
    const res = await fetch(`http://127.0.0.1:${h.bot.port}/api/v1/campaign-actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        action: 'stop',
        campaign_ids: ['once_002'],
        channel_id: CHANNEL,
        requested_by: 'ULEAD1',
      }),
    });
    expect(res.status).toBe(202);
    const created = (await res.json()) as { id: string; requested_by: string; on_behalf_of: string };
    expect(created).toMatchObject({ requested_by: 'runbook:pagerduty', on_behalf_of: 'ULEAD1' });
    const message = await h.latestMessage();
    expect(messageText(message)).toContain('on behalf of <@ULEAD1> (not verified)');
    expect(messageText(message)).toContain('0 of 2 approvals');

    await h.click('ULEAD1', message, 'campaign_confirm');
    expect((await ephemeral('ULEAD1')).text).toMatch(/needs a second person/);
    await h.click('ULEAD2', message, 'campaign_confirm');
    expect((await ephemeral('ULEAD2')).text).toContain('Your approval is recorded: 1 of 2');
    await h.click('ULEAD2', message, 'campaign_confirm');
    expect((await ephemeral('ULEAD2', 2)).text).toContain('already approved');
    const edited = await h.slack.waitFor(() => {
      const m = h.slack.message(CHANNEL, message.ts);
      return m && messageText(m).includes('1 of 2 approvals') && m;
    });
    expect(hasButtons(edited)).toBe(true);
    expect(h.moengage.statusRequests()).toHaveLength(0);

    await h.click('UCAROL', message, 'campaign_confirm');
    await h.slack.waitFor(() => h.moengage.campaign('once_002')?.status === 'STOPPED');
    const status = await fetch(
      `http://127.0.0.1:${h.bot.port}/api/v1/campaign-actions/${created.id}?wait=10`,
      {
        headers: { authorization: `Bearer ${TOKEN}` },
      },
    );
    const done = (await status.json()) as { status: string; approvals: { by: string }[]; decided_by: string };
    expect(done).toMatchObject({ status: 'completed', decided_by: 'UCAROL' });
    expect(done.approvals.map((a) => a.by)).toEqual(['ULEAD2', 'UCAROL']);
  });

  it('refuses a member removed from an allowed group at once, after Slack’s event', async () => {
    h = await startHarness(FILE_ENV, { policy: policy() });
    await h.command('UDAVE', 'pause camp_001');
    const message = await h.latestMessage();
    await h.slack.changeGroupMembers(h.url, 'SONCALL', ['UCAROL']);
    await h.slack.waitFor(() => h.log.lines().some((l) => String(l.msg).includes('user group changed')));
    await h.click('UDAVE', message, 'campaign_confirm');
    expect((await ephemeral('UDAVE')).text).toMatch(/not on the list of people allowed/);
    expect(h.moengage.statusRequests()).toHaveLength(0);
    await h.click('UCAROL', message, 'campaign_confirm');
    await h.slack.waitFor(() => h.moengage.campaign('camp_001')?.status === 'PAUSED');
  });
});

describe('2-of-2 approvals on two replicas sharing Redis', () => {
  let dir: string;
  let prefix: string;
  const bots: ChildBot[] = [];
  afterEach(async () => {
    for (const b of bots.splice(0)) b.kill('SIGKILL');
    const redis = connectRedis();
    await cleanup(redis, prefix);
    await redis.quit();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs once, after the second approval, however the clicks race over both replicas', async () => {
    const sims = await startSimulators();
    h = {
      slack: sims.slack,
      stop: async () => {
        await sims.slack.close();
        await sims.moengage.close();
      },
    } as unknown as Harness;
    dir = await mkdtemp(join(tmpdir(), 'policy-'));
    prefix = uniquePrefix('two-of-two');
    const file = join(dir, 'policy.yaml');
    await writeFile(
      file,
      `rules:\n  - name: two-leads\n    actions: [PAUSE]\n    requesters: [UALICE]\n    approvers: [UBOB, UCAROL, UDAVE]\n    approvals: 2\n    channels: [${CHANNEL}]\n`,
    );
    const env = {
      REDIS_URL: redisUrl(),
      REDIS_KEY_PREFIX: prefix,
      ACCESS_POLICY_FILE: file,
      ALLOWED_USER_IDS: '',
      ALLOWED_CHANNEL_IDS: '',
      SECOND_APPROVER_ACTIONS: '',
    };
    const replicas = [await startChildBotOn(sims, [], env), await startChildBotOn(sims, [], env)];
    bots.push(...replicas);
    for (let round = 0; round < 3; round++) {
      const id = `camp_01${round}`;
      const before = sims.slack.messages(CHANNEL).length;
      await sims.slack.slashCommand(replicas[0]?.url ?? '', {
        userId: 'UALICE',
        channelId: CHANNEL,
        text: `pause ${id}`,
      });
      const message = await sims.slack.waitFor(
        () => sims.slack.messages(CHANNEL).length > before && sims.slack.messages(CHANNEL).at(-1),
      );
      const value = buttonValue(message, 'campaign_confirm');
      const click = (i: number, userId: string) =>
        sims.slack.clickButton(replicas[i % 2]?.url ?? '', {
          userId,
          channelId: CHANNEL,
          messageTs: message.ts,
          actionId: 'campaign_confirm',
          value,
        });
      await Promise.all([
        click(0, 'UBOB'),
        click(1, 'UCAROL'),
        click(1, 'UBOB'),
        click(0, 'UCAROL'),
        click(round, 'UDAVE'),
      ]);
      await sims.slack.waitFor(
        () => /details in the thread/.test(messageText(sims.slack.message(CHANNEL, message.ts) as never)),
        30_000,
      );
      expect(sims.moengage.campaign(id)?.status).toBe('PAUSED');
      expect(sims.moengage.statusRequests().filter((r) => r.campaignIds?.includes(id))).toHaveLength(1);
    }
    expect(sims.slack.unexpected).toEqual([]);
  }, 60_000);
});

describe('user groups on an Enterprise Grid org-wide install', () => {
  it('names the workspace (SLACK_TEAM_ID) when it reads a group', async () => {
    h = await startHarness({ SLACK_TEAM_ID: 'TSIM' }, { slack: { enterpriseInstall: true } });
    await h.command('UCAROL', 'pause camp_011');
    const message = await h.latestMessage();
    expect(messageText(message)).toContain('camp_011');
    expect(h.slack.callsTo('usergroups.users.list')[0]?.args).toMatchObject({ team_id: 'TSIM' });
  });

  it('fails closed without it: the group cannot be read, so its member is refused, saying why', async () => {
    h = await startHarness({}, { slack: { enterpriseInstall: true } });
    await h.command('UCAROL', 'pause camp_012');
    const refusal = JSON.stringify((await h.slack.waitFor(() => h.slack.responses[0])).body);
    expect(refusal).toContain('I could not check your user-group membership with Slack just now');
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });
});
