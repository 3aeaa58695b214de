import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.ts';
import { CHANNEL, type Harness, startHarness } from '../support/bot-harness.ts';

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

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** Runs `bin/campaign-bot.mjs` as a runbook script would, against the harness's bot unless `env` says otherwise. */
function cli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['bin/campaign-bot.mjs', ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      ...(h ? { CAMPAIGN_BOT_URL: `http://127.0.0.1:${h.bot.port}` } : {}),
      CAMPAIGN_BOT_TOKEN: PD_TOKEN,
      ...env,
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
  const exited = once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return { exited, stdout: () => stdout };
}

const pause = (...ids: string[]) => [
  'pause',
  ...ids,
  '--reason',
  'INC-1234 wrong coupon',
  '--channel',
  CHANNEL,
];

describe('campaign-bot CLI', () => {
  it('pauses once a person confirms in Slack: exit 0, every id in the table', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    const run = cli(pause('camp_001', 'camp_002', 'camp_003'));
    const message = await h.latestMessage();
    await h.click('UBOB', message, 'campaign_confirm');
    const { code, stdout, stderr } = await run.exited;
    expect({ code, stderr }).toMatchObject({ code: 0, stderr: expect.stringMatching(/^pending… \(expires/) });
    expect(stdout).toMatch(
      /^requested [0-9a-f-]+: PAUSE 3 campaigns in CINCIDENT — waiting for confirmation/,
    );
    for (const id of ['camp_001', 'camp_002', 'camp_003'])
      expect(stdout).toMatch(new RegExp(`${id} +\\| applied`));
    expect(stdout).toContain('PAUSE: 3 applied, 0 failed (confirmed by UBOB)');
    expect(h.moengage.campaign('camp_002')?.status).toBe('PAUSED');
  });

  it('exits 1 when an id is not applied, naming why', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    const run = cli([...pause('camp_001', 'once_001'), '--requested-by', 'UALICE']);
    await h.click('UBOB', await h.latestMessage(), 'campaign_confirm');
    const { code, stdout } = await run.exited;
    expect(code).toBe(1);
    expect(stdout).toMatch(/camp_001 +\| applied/);
    // The look before confirming flagged it (a one-time campaign cannot be paused): never sent, and said why.
    expect(stdout).toMatch(
      /once_001 +\| skipped +\| not sent: only periodic and triggered campaigns can be paused/,
    );
    expect(stdout).toContain('1 applied, 1 not sent, 0 failed');
  });

  it('exits 3 with the API message and field when the token is not granted the action', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    const { code, stderr } = await cli(['resume', 'camp_001', '--channel', CHANNEL]).exited;
    expect(code).toBe(3);
    expect(stderr).toContain(
      'refused by the bot (403 forbidden): No rule of the access policy lets you request a RESUME. (field: action)',
    );
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('exits 4 when someone cancels, and 5 when nobody decides in time', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    const cancelled = cli(pause('camp_004'));
    await h.click('UBOB', await h.latestMessage(), 'campaign_cancel');
    const a = await cancelled.exited;
    expect(a.code).toBe(4);
    expect(a.stdout).toMatch(/camp_004 +\| not run/);
    expect(a.stdout).toContain('cancelled by UBOB; nothing was changed');

    const b = await cli([...pause('camp_005'), '--timeout', '1']).exited;
    expect(b.code).toBe(5);
    expect(b.stderr).toMatch(
      /timed out after 1 s with \S+ still pending; follow it with: campaign-bot status/,
    );
    expect(h.moengage.campaign('camp_005')?.status).toBe('ACTIVE');
  });

  it('with --no-wait exits 0 right after the 202, and status reports the request', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    const { code, stdout } = await cli([...pause('camp_006'), '--no-wait']).exited;
    expect(code).toBe(0);
    const id = /^requested (\S+):/.exec(stdout)?.[1] ?? '';
    expect(stdout).toContain(`follow it with: campaign-bot status ${id}`);
    const status = await cli(['status', id, '--json']).exited;
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ id, status: 'pending', campaign_ids: ['camp_006'] });
    expect((await cli(['status', 'no-such-request-id']).exited).code).toBe(3);
  });

  it('exits 0 without a click for an auto-execute token', async () => {
    h = await startHarness({ RUNBOOK_TOKENS: TOKENS });
    const { code, stdout } = await cli(pause('camp_007'), { CAMPAIGN_BOT_TOKEN: SCRIPT_TOKEN }).exited;
    expect(code).toBe(0);
    expect(stdout).toContain('running without confirmation (auto-execute)');
    expect(stdout).toMatch(/camp_007 +\| applied/);
    expect(h.moengage.campaign('camp_007')?.status).toBe('PAUSED');
  });

  it('exits 2 on a usage error, saying what is wrong and how to use it', async () => {
    const { code, stderr } = await cli(['pause', '--channel', CHANNEL], { CAMPAIGN_BOT_URL: 'http://x' })
      .exited;
    expect(code).toBe(2);
    expect(stderr).toContain('campaign-bot: pause needs campaign ids or --group NAME');
    expect(stderr).toContain('usage: campaign-bot');
  });

  it('prints its version with --version, from package.json, needing no bot', async () => {
    const { code, stdout } = await cli(['--version'], { CAMPAIGN_BOT_TOKEN: '' }).exited;
    expect(code).toBe(0);
    expect(stdout).toBe(`campaign-bot ${VERSION}\n`);
  });

  it('exits 6 when the bot cannot be reached, after retrying', async () => {
    const { code, stderr } = await cli(pause('camp_001'), { CAMPAIGN_BOT_URL: 'http://127.0.0.1:1' }).exited;
    expect(code).toBe(6);
    expect(stderr).toMatch(/cannot reach the bot: .*ECONNREFUSED.*\(tried 4 times\)/);
  });
});
