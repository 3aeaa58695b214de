import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAccessPolicy } from '../../src/auth/policy-file.ts';
import { parseHookRules } from '../../src/doors/http/hooks/rules.ts';
import type { SimCampaign } from '../../src/sandbox/campaigns.ts';
import { CHANNEL, type Harness, messageText, startHarness, testFleet } from '../support/bot-harness.ts';
import { pagerduty, SECRETS, signed } from '../support/hook-samples.ts';

/**
 * Names and dashboard links in every door that takes ids (issue 21), against the simulators with the campaign
 * catalog on: one match proposes as usual and the confirmation shows its name and id; several propose nothing and
 * list them (a 409 with `choices` for the API); none says so; a rule that asks nobody takes no names; someone
 * outside the policy learns no name.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PD_TOKEN = 'pd-token-0123456789abcdef0123456789abcdef';
const SCRIPT_TOKEN = 'script-token-fedcba9876543210fedcba98765432';
const TOKENS = JSON.stringify([
  { name: 'pagerduty', token: PD_TOKEN, actions: ['PAUSE', 'STOP'], channels: [CHANNEL] },
  {
    name: 'emergency',
    token: SCRIPT_TOKEN,
    actions: ['PAUSE'],
    channels: [CHANNEL],
    auto_execute: ['PAUSE'],
  },
]);

const BF_PUSH = '64f1a2b3c4d5e6f7a8b9c0d1';
const BF_MAIL = '64f1a2b3c4d5e6f7a8b9c0d2';
const PRICE = '64f1a2b3c4d5e6f7a8b9c0d3';
const CAFE = '64f1a2b3c4d5e6f7a8b9c0d4';
const named = (id: string, name: string, more: Partial<SimCampaign> = {}): SimCampaign => ({
  id,
  name,
  type: 'PERIODIC',
  channel: 'PUSH',
  status: 'ACTIVE',
  ...more,
});
/** What people know these campaigns by, beside the test fleet (whose names are "periodic push 001" and so on). */
const NAMED: SimCampaign[] = [
  named(BF_PUSH, 'Black Friday push – IN'),
  named(BF_MAIL, 'Black Friday email teaser', { channel: 'EMAIL' }),
  named(PRICE, 'Price drop email', { channel: 'EMAIL', type: 'EVENT_TRIGGERED' }),
  named(CAFE, 'Café rewards push'),
];
const LINK = `https://dashboard-01.moengage.com/v4/#/push/${CAFE.toUpperCase()}/edit?step=2`;

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/**
 * The bot with the catalog on (listed fast: the simulator's own limits still apply) over the fleet and NAMED,
 * once its first full copy is stored. `loading`: the listing never gets past its first page during the test.
 */
async function start(
  env: Record<string, string> = {},
  options: Parameters<typeof startHarness>[1] & { loading?: boolean } = {},
): Promise<Harness> {
  const harness = await startHarness(
    { CAMPAIGN_CATALOG: 'on', RUNBOOK_TOKENS: TOKENS, ...env },
    {
      ...options,
      moengage: { campaigns: [...testFleet(), ...NAMED] },
      timings: { catalog: { pagesPerMinute: options.loading ? 1 : 1_200 } },
    },
  );
  h = harness;
  if (!options.loading) {
    await harness.slack.waitFor(
      () => harness.log.lines().some((l) => l.msg === 'catalog refresh' && l.state === 'done'),
      60_000,
    );
  }
  return harness;
}

/** The text of the n-th answer to a command (ephemeral, through its response_url). */
const answer = async (harness: Harness, n: number) =>
  String(((await harness.slack.waitFor(() => harness.slack.responses[n])).body as { text?: string }).text);

async function post(harness: Harness, body: object, token = PD_TOKEN) {
  const res = await request(`http://127.0.0.1:${harness.bot.port}/api/v1/campaign-actions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

describe('/campaign with names and links', () => {
  it('proposes the one campaign a name finds, showing its name and id; lists several; says when none', async () => {
    const bot = await start();
    await bot.command('UALICE', 'pause "price drop" reason: INC-7 wrong coupon');
    const message = await bot.latestMessage();
    expect(messageText(message)).toContain('Price drop email');
    expect(messageText(message)).toContain(PRICE);

    // Typographic quotes, as Slack's clients type them: both Black Friday campaigns, nothing proposed; the
    // picker opens with the two offered to choose from.
    await bot.command('UALICE', 'pause “black friday”');
    const opened = await bot.slack.waitFor(() => bot.slack.views()[0]);
    const picker = JSON.stringify(opened);
    expect(picker).toContain(BF_PUSH);
    expect(picker).toContain(BF_MAIL);
    expect(picker).toContain('matches 2 campaigns');
    expect(bot.slack.messages(CHANNEL)).toHaveLength(1);

    let seen = bot.slack.responses.length;
    await bot.command('UALICE', 'pause "cyber monday"');
    expect(await answer(bot, seen)).toBe('No campaign is named like "cyber monday".');
    expect(bot.slack.messages(CHANNEL)).toHaveLength(1);

    // A pasted dashboard link stands for its campaign (Slack sends it as <url>), accents aside in names.
    await bot.command('UALICE', `pause <${LINK}>`);
    await bot.slack.waitFor(() => bot.slack.messages(CHANNEL).length === 2);
    expect(messageText(await bot.latestMessage())).toContain('Café rewards push');
    expect(messageText(await bot.latestMessage())).toContain(CAFE);
    seen = bot.slack.responses.length;
    await bot.command('UBOB', 'status "cafe REWARDS"');
    expect(await answer(bot, seen)).toContain('Café rewards push');
    expect(bot.moengage.statusRequests()).toHaveLength(0);
  });

  it('tells someone outside the policy no name, and reads none for them (nor asks MoEngage)', async () => {
    // The listing stays on its first page: a name would be looked for live, and that search would show.
    const bot = await start({}, { loading: true });
    await bot.slack.waitFor(() => bot.moengage.searchRequests().length === 1);
    await bot.command('UEVE', 'pause "black friday"');
    await bot.command('UEVE', 'status "black friday"');
    const [denied, statusDenied] = [await answer(bot, 0), await answer(bot, 1)];
    for (const text of [denied, statusDenied]) {
      expect(text).toMatch(/not on the list of people allowed/);
      expect(text).not.toMatch(/Black Friday/i);
    }
    expect(bot.moengage.searchRequests()).toHaveLength(1);
    // Alice, who may, gets MoEngage's own name search while the list loads (V1 matches whole names: none here).
    await bot.command('UALICE', 'pause "black friday"');
    expect(await answer(bot, 2)).toMatch(
      /^No campaign is named like "black friday" \(the campaign list is still loading/,
    );
    expect(bot.moengage.searchRequests().length).toBeGreaterThan(1);
    expect(bot.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });
});

describe('the runbook API with names and links', () => {
  it('proposes by campaign_names and links (202), answers several with 409 ambiguous_name, none with 400', async () => {
    const bot = await start();
    const one = await post(bot, {
      action: 'pause',
      campaign_names: ['Price drop email'],
      campaign_ids: [LINK],
      reason: 'INC-8',
      channel_id: CHANNEL,
    });
    expect(one).toMatchObject({ status: 202, json: { campaign_ids: [CAFE, PRICE], status: 'pending' } });
    const message = await bot.latestMessage();
    expect(messageText(message)).toContain('Price drop email');
    expect(messageText(message)).toContain(PRICE);

    const several = await post(bot, {
      action: 'pause',
      campaign_names: ['black friday', 'cyber monday'],
      channel_id: CHANNEL,
    });
    expect(several).toEqual({
      status: 409,
      json: {
        error: {
          code: 'ambiguous_name',
          field: 'campaign_names',
          message: expect.stringMatching(/^Nothing was proposed/),
          choices: [
            {
              query: 'black friday',
              more: false,
              candidates: expect.arrayContaining([
                { id: BF_PUSH, name: 'Black Friday push – IN', status: 'ACTIVE', channel: 'PUSH' },
                { id: BF_MAIL, name: 'Black Friday email teaser', status: 'ACTIVE', channel: 'EMAIL' },
              ]),
            },
          ],
          missing: ['cyber monday'],
        },
      },
    });
    const none = await post(bot, { action: 'pause', campaign_names: ['cyber monday'], channel_id: CHANNEL });
    expect(none).toMatchObject({
      status: 400,
      json: { error: { code: 'invalid_request', field: 'campaign_names', message: /cyber monday/ } },
    });
    // A dry run says what a name would find, proposing nothing.
    const dry = await post(bot, {
      action: 'pause',
      campaign_names: ['café rewards'],
      channel_id: CHANNEL,
      dry_run: true,
    });
    expect(dry).toMatchObject({ status: 200, json: { would_propose: { campaign_ids: [CAFE] } } });
    expect(bot.slack.messages(CHANNEL)).toHaveLength(1);
  });

  it('refuses a name to a token whose rule runs without a confirmation, and a channel it may not use', async () => {
    const bot = await start();
    const auto = await post(
      bot,
      { action: 'pause', campaign_names: ['price drop'], channel_id: CHANNEL },
      SCRIPT_TOKEN,
    );
    expect(auto).toMatchObject({
      status: 400,
      json: { error: { field: 'campaign_names', message: /runs without a confirmation/ } },
    });
    const elsewhere = await post(bot, {
      action: 'pause',
      campaign_names: ['black friday'],
      channel_id: 'COTHER',
    });
    expect(elsewhere.status).toBe(403);
    expect(JSON.stringify(elsewhere.json)).not.toMatch(/Black Friday/i);
    expect(bot.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(bot.moengage.statusRequests()).toHaveLength(0);
  });
});

describe('the CLI with names', () => {
  /** bin/campaign-bot.mjs as a runbook script runs it, against the harness's bot. */
  function cli(harness: Harness, args: string[]) {
    const child = spawn(process.execPath, ['bin/campaign-bot.mjs', ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        CAMPAIGN_BOT_URL: `http://127.0.0.1:${harness.bot.port}`,
        CAMPAIGN_BOT_TOKEN: PD_TOKEN,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    return once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
  }

  it('lists the campaigns a name matched and exits 7; a name that finds one is proposed as usual', async () => {
    const bot = await start();
    const choose = await cli(bot, ['pause', 'black friday', '--channel', CHANNEL, '--reason', 'INC-9']);
    expect(choose.code).toBe(7);
    expect(choose.stderr).toContain('nothing was requested: a name matched several campaigns');
    expect(choose.stderr).toMatch(new RegExp(`${BF_PUSH} +Black Friday push – IN +\\(PUSH, ACTIVE\\)`));
    expect(choose.stderr).toMatch(new RegExp(`${BF_MAIL} +Black Friday email teaser +\\(EMAIL, ACTIVE\\)`));
    const none = await cli(bot, ['pause', '--name', 'cyber', '--channel', CHANNEL, '--no-wait']);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('No campaign is named like "cyber"');

    const run = cli(bot, ['pause', 'price drop email', '--channel', CHANNEL, '--reason', 'INC-9']);
    const message = await bot.latestMessage();
    expect(messageText(message)).toContain('Price drop email');
    await bot.click('UBOB', message, 'campaign_confirm');
    const done = await run;
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(new RegExp(`${PRICE} +\\| applied`));
    expect(bot.moengage.campaign(PRICE)?.status).toBe('PAUSED');
  });
});

describe('the Workflow step with names', () => {
  const inputs = (campaigns: string, user = 'UALICE') => ({
    action: 'pause',
    campaign_ids: campaigns,
    reason: 'INC-10 via workflow',
    channel_id: CHANNEL,
    requested_by: { id: user, secret: 'dXNlcl9jb250ZXh0' },
  });

  it('proposes what a name finds, fails listing several, and tells an outsider no name', async () => {
    const bot = await start();
    await bot.slack.runFunction(bot.url, {
      callbackId: 'change_campaign_status',
      inputs: inputs('"price drop", camp_001'),
    });
    const message = await bot.latestMessage();
    expect(messageText(message)).toContain('Price drop email');
    expect(messageText(message)).toContain(PRICE);
    expect(messageText(message)).toContain('camp_001');

    await bot.slack.runFunction(bot.url, {
      callbackId: 'change_campaign_status',
      inputs: inputs('“black friday”'),
    });
    await bot.slack.runFunction(bot.url, {
      callbackId: 'change_campaign_status',
      inputs: inputs('"black friday"', 'UEVE'),
    });
    await bot.slack.waitFor(() => bot.slack.completions.length === 2);
    const errors = bot.slack.completions.map((c) => String(c.error));
    const listed = errors.find((e) => e.startsWith('Nothing was proposed'));
    expect(listed).toContain(`Black Friday push – IN (${BF_PUSH}, active)`);
    expect(listed).toContain(`Black Friday email teaser (${BF_MAIL}, active)`);
    const outsider = errors.find((e) => e !== listed);
    expect(outsider).toMatch(/not on the list of people allowed/);
    expect(outsider).not.toMatch(/Black Friday/i);
    expect(bot.slack.messages(CHANNEL)).toHaveLength(1);
  });
});

describe('hook rules with names', () => {
  const rules = (campaigns: string, name = 'pd-checkout') =>
    parseHookRules(
      `rules:
  - name: ${name}
    source: pagerduty
    match: { event.event_type: ^incident\\.triggered$ }
    action: PAUSE
    campaigns: ${campaigns}
    channel: ${CHANNEL}
    reason: "PagerDuty #{{event.data.number}}"
`,
      new Set(['pagerduty']),
    );
  async function send(harness: Harness, payload: unknown) {
    const body = JSON.stringify(payload);
    const res = await request(`http://127.0.0.1:${harness.bot.port}/api/v1/hooks/pagerduty`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signed('pagerduty', body) },
      body,
    });
    return { status: res.statusCode, json: (await res.body.json()) as { proposals: object[] } };
  }
  const hookEnv = { HOOK_SECRETS: JSON.stringify({ pagerduty: SECRETS.pagerduty }) };

  it('proposes the campaign a rule names when the event comes; a name that matches several proposes nothing', async () => {
    const bot = await start(hookEnv, {
      hookRules: [
        ...rules(`[{ name: Price drop email }, '${LINK}']`),
        ...rules('[{ name: black friday }]', 'pd-friday'),
      ],
    });
    const res = await send(bot, pagerduty());
    expect(res.status).toBe(202);
    expect(res.json.proposals[0]).toMatchObject({ rule: 'pd-checkout', campaign_ids: [PRICE, CAFE] });
    expect(res.json.proposals[1]).toMatchObject({
      rule: 'pd-friday',
      error: {
        code: 'ambiguous_name',
        choices: [
          {
            query: 'black friday',
            candidates: expect.arrayContaining([expect.objectContaining({ id: BF_PUSH })]),
          },
        ],
      },
    });
    const message = await bot.latestMessage();
    expect(messageText(message)).toContain('Price drop email');
    expect(bot.slack.messages(CHANNEL)).toHaveLength(1);
  });

  it('refuses a name under a policy rule that runs the hook’s PAUSE without a confirmation', async () => {
    const policy = parseAccessPolicy(
      `rules:
  - name: people
    actions: [PAUSE, RESUME, STOP]
    requesters: [UALICE, UBOB]
    channels: [${CHANNEL}]
  - name: pagerduty-pauses
    actions: [PAUSE]
    requesters: [hook:pagerduty]
    channels: [${CHANNEL}]
    auto_execute: true
`,
      {
        groups: new Map(),
        tokenNames: new Set(['pagerduty', 'emergency']),
        hookSources: new Set(['pagerduty']),
      },
    );
    const bot = await start(hookEnv, { policy, hookRules: rules('[{ name: Price drop email }]') });
    const res = await send(bot, pagerduty());
    expect(res.status).toBe(200);
    expect(res.json.proposals[0]).toMatchObject({
      rule: 'pd-checkout',
      error: { field: 'campaign_names', message: expect.stringMatching(/runs without a confirmation/) },
    });
    expect(bot.moengage.statusRequests()).toHaveLength(0);
    expect(bot.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });
});
