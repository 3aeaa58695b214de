import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ActionResource, Answer, NameChoices } from '../../../../src/doors/cli/client.ts';
import { campaignArguments, EXIT, exitCodeFor, parseCommand, run } from '../../../../src/doors/cli/main.ts';
import {
  choicesList,
  failureLine,
  progressLine,
  requestedLine,
  resultTable,
  summaryLine,
  utcTime,
} from '../../../../src/doors/cli/render.ts';
import { VERSION } from '../../../../src/version.ts';

const resource = (over: Partial<ActionResource> = {}): ActionResource => ({
  id: '2b1c6c3e-0000-4000-8000-000000000001',
  action: 'PAUSE',
  campaign_ids: ['camp_1', 'camp_2'],
  reason: 'INC-1234 wrong coupon',
  channel_id: 'C0INCIDENT',
  requested_by: 'runbook:pagerduty',
  status: 'pending',
  decided_by: null,
  created_at: '2026-11-27T10:00:00.000Z',
  expires_at: '2026-11-27T10:15:00.000Z',
  result: null,
  ...over,
});
const done = (failed = 0) =>
  resource({
    status: 'completed',
    decided_by: 'UBOB',
    result: {
      applied: 2 - failed,
      failed,
      completed_at: '2026-11-27T10:01:00.000Z',
      outcomes: [
        { campaign_id: 'camp_1', status: 'applied' },
        failed
          ? { campaign_id: 'camp_2', status: 'failed', error: 'only periodic campaigns\ncan be paused' }
          : { campaign_id: 'camp_2', status: 'applied' },
      ],
    },
  });

describe('CLI rendering', () => {
  it('announces the request, waiting or not', () => {
    expect(requestedLine(resource(), true)).toBe(
      'requested 2b1c6c3e-0000-4000-8000-000000000001: PAUSE 2 campaigns in C0INCIDENT — waiting for confirmation in Slack…',
    );
    expect(requestedLine(resource({ campaign_ids: ['a'], status: 'running' }), true)).toContain(
      'PAUSE 1 campaign in C0INCIDENT — running without confirmation (auto-execute)…',
    );
    expect(requestedLine(resource(), false)).toMatch(
      /waiting for confirmation in Slack; follow it with: campaign-bot status 2b1c6c3e-/,
    );
  });

  it('describes each state in the progress line and the summary', () => {
    expect(progressLine(resource())).toBe('pending… (expires 10:15 UTC)');
    expect(progressLine(resource({ status: 'running' }))).toBe('running…');
    const progress = {
      total: 1_000,
      done: 342,
      applied: 340,
      already: 0,
      skipped: 0,
      failed: 2,
      eta_seconds: 372,
    };
    expect(progressLine(resource({ status: 'running', progress }))).toBe(
      'running… 342 / 1000 done (340 applied, 2 failed), about 6 min left',
    );
    expect(progressLine(done(1))).toBe('completed: 1 applied, 1 failed');
    expect(progressLine(resource({ status: 'cancelled', decided_by: 'UBOB' }))).toBe('cancelled by UBOB');
    expect(progressLine(resource({ status: 'expired' }))).toBe('expired at 10:15 UTC: nobody confirmed');
    expect(summaryLine(done())).toBe('PAUSE: 2 applied, 0 failed (confirmed by UBOB)');
    expect(summaryLine(resource({ status: 'cancelled', decided_by: 'UBOB' }))).toBe(
      'PAUSE 2 campaigns: cancelled by UBOB; nothing was changed',
    );
    expect(summaryLine(resource())).toBe(
      'PAUSE 2 campaigns: pending, waiting for confirmation in Slack until 10:15 UTC',
    );
    expect(utcTime('not a date')).toBe('not a date');
  });

  it('lays out a table with a row per id, errors on one line', () => {
    expect(resultTable(done(1))).toBe(
      [
        'campaign id | outcome | detail',
        '----------- | ------- | -------------------------------------',
        'camp_1      | applied |',
        'camp_2      | failed  | only periodic campaigns can be paused',
      ].join('\n'),
    );
    expect(
      resultTable(resource({ status: 'expired' }))
        .split('\n')
        .slice(2),
    ).toEqual(['camp_1      | not run |', 'camp_2      | not run |']);
  });

  it('words refusals with the field, and unreachable bots', () => {
    expect(
      failureLine({
        ok: false,
        kind: 'refused',
        status: 403,
        code: 'forbidden',
        message: 'token "x" is not granted RESUME',
        field: 'action',
      }),
    ).toBe('refused by the bot (403 forbidden): token "x" is not granted RESUME (field: action)');
    expect(failureLine({ ok: false, kind: 'unreachable', message: 'no answer' })).toBe(
      'cannot reach the bot: no answer',
    );
  });
});

describe('CLI arguments and exit codes', () => {
  const env = { url: 'http://127.0.0.1:3000', token: 't' };

  it('builds the API body from ids or a group, flags winning over the environment', () => {
    expect(
      parseCommand(
        [
          'pause',
          'camp_1',
          'camp_2,camp_3',
          '--reason',
          'INC-1',
          '--channel',
          'C0INC',
          '--url',
          'http://x:1',
        ],
        env,
      ),
    ).toMatchObject({
      kind: 'action',
      url: 'http://x:1',
      token: 't',
      wait: true,
      timeoutS: 900,
      body: {
        action: 'PAUSE',
        campaign_ids: ['camp_1', 'camp_2', 'camp_3'],
        reason: 'INC-1',
        channel_id: 'C0INC',
      },
    });
    const group = parseCommand(['stop', '--group', 'bf', '--channel', 'C0INC', '--no-wait', '--json'], env);
    expect(group).toMatchObject({
      kind: 'action',
      wait: false,
      json: true,
      body: { action: 'STOP', group: 'bf' },
    });
    expect(group).not.toHaveProperty('body.campaign_ids');
    expect(parseCommand(['status', 'abc-123', '--wait', '--timeout', '5'], env)).toMatchObject({
      kind: 'status',
      id: 'abc-123',
      wait: true,
      timeoutS: 5,
    });
    expect(parseCommand(['--help'], {})).toEqual({ kind: 'help' });
  });

  it('reads an argument with a space, or in quotes, as a name, and links and id lists as campaigns', () => {
    const link = 'https://dashboard-01.moengage.com/v4/#/email/64f1a2b3c4d5e6f7a8b9c0d1/edit';
    const ids = '64f1a2b3c4d5e6f7a8b9c0d2 64f1a2b3c4d5e6f7a8b9c0d3\n64f1a2b3c4d5e6f7a8b9c0d4';
    expect(
      campaignArguments(['black friday push', link, 'camp_1,camp_2', '"checkout"', '“price drop”', ids, ' ']),
    ).toEqual({
      ids: [
        link,
        'camp_1',
        'camp_2',
        '64f1a2b3c4d5e6f7a8b9c0d2',
        '64f1a2b3c4d5e6f7a8b9c0d3',
        '64f1a2b3c4d5e6f7a8b9c0d4',
      ],
      names: ['black friday push', 'checkout', 'price drop'],
    });
    expect(
      parseCommand(['pause', 'Black Friday push', '--name', 'checkout', 'camp_1', '--channel', 'C0INC'], env),
    ).toMatchObject({
      kind: 'action',
      body: { campaign_ids: ['camp_1'], campaign_names: ['Black Friday push', 'checkout'] },
    });
    const onlyNames = parseCommand(['pause', '--name', 'price drop', '--channel', 'C0INC'], env);
    expect(onlyNames).toMatchObject({ body: { campaign_names: ['price drop'] } });
    expect(onlyNames).not.toHaveProperty('body.campaign_ids');
  });

  it('lists the campaigns a name matched, one a line, to choose from by id', () => {
    const refused: Extract<Answer, { kind: 'refused' }> & { choices: NameChoices[]; missing: string[] } = {
      ok: false,
      kind: 'refused',
      status: 409,
      code: 'ambiguous_name',
      message: 'Nothing was proposed',
      field: 'campaign_names',
      choices: [
        {
          query: 'black friday',
          more: true,
          candidates: [
            { id: '64f1a2b3c4d5e6f7a8b9c0d1', name: 'Black Friday push', status: 'ACTIVE', channel: 'PUSH' },
            { id: 'bf_2', name: 'Black Friday teaser', status: 'PAUSED' },
          ],
        },
      ],
      missing: ['cyber monday'],
    };
    expect(failureLine(refused)).toBe(
      'nothing was requested: a name matched several campaigns; choose by id and run it again',
    );
    expect(choicesList(refused.choices, refused.missing).split('\n')).toEqual([
      '"black friday" matches 2+ campaigns:',
      '  64f1a2b3c4d5e6f7a8b9c0d1  Black Friday push  (PUSH, ACTIVE)',
      '  bf_2                      Black Friday teaser  (PAUSED)',
      '  … and more: give more of the name',
      '"cyber monday" matches no campaign',
    ]);
  });

  it('prints the version with --version or -V, needing no URL or token', async () => {
    expect(parseCommand(['--version'], {})).toEqual({ kind: 'version' });
    expect(parseCommand(['-V'], {})).toEqual({ kind: 'version' });
    const out: string[] = [];
    const code = await run(['--version'], {}, { out: (t) => out.push(t), err: { write: () => true } });
    expect(code).toBe(EXIT.ok);
    expect(out).toEqual([`campaign-bot ${VERSION}`]);
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
  });

  it.each([
    [[], /say what to do/],
    [['pause', '--channel', 'C1'], /needs campaign ids or --group/],
    [['pause', 'a', '--group', 'g', '--channel', 'C1'], /not both/],
    [['pause', '--name', 'x y', '--group', 'g', '--channel', 'C1'], /not both/],
    [['pause', 'a'], /--channel is required/],
    [['frobnicate', 'a', '--channel', 'C1'], /unknown command "frobnicate"/],
    [['pause', 'a', '--channel', 'C1', '--timeout', 'soon'], /--timeout must be/],
    [['pause', 'a', '--channel', 'C1', '--bogus'], /Unknown option '--bogus'/],
    [['status'], /exactly one request id/],
    [['pause', 'a', '--channel', 'C1', '--url', 'localhost:3000'], /must be http\(s\)/],
  ])('refuses %j', (argv, message) => {
    expect(parseCommand(argv, env)).toMatchObject({ kind: 'usage', message: expect.stringMatching(message) });
  });

  it('needs a URL and a token from somewhere', () => {
    expect(parseCommand(['pause', 'a', '--channel', 'C1'], { token: 't' })).toMatchObject({
      message: expect.stringMatching(/CAMPAIGN_BOT_URL/),
    });
    expect(parseCommand(['pause', 'a', '--channel', 'C1'], { url: env.url })).toMatchObject({
      message: expect.stringMatching(/CAMPAIGN_BOT_TOKEN/),
    });
  });

  it('maps the final state to an exit code', () => {
    expect(exitCodeFor(done())).toBe(0);
    expect(exitCodeFor(done(1))).toBe(1);
    expect(exitCodeFor(resource({ status: 'cancelled' }))).toBe(4);
    expect(exitCodeFor(resource({ status: 'expired' }))).toBe(4);
    expect(exitCodeFor(resource({ status: 'running' }))).toBe(0);
  });
});

describe('the CLI and its token', () => {
  const base = ['pause', 'camp_1', '--channel', 'C0INC', '--url', 'http://127.0.0.1:3000'];
  const files: Record<string, string> = { '/run/secrets/bot': '  tok-from-file\n' };
  const readFile = (path: string) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    return text;
  };

  it('refuses --token on the command line (it shows in ps) unless --insecure-token-arg', () => {
    expect(parseCommand([...base, '--token', 'secret'], {})).toMatchObject({
      kind: 'usage',
      message: expect.stringContaining('--token shows the token to anyone who lists processes'),
    });
    expect(parseCommand([...base, '--token', 'secret', '--insecure-token-arg'], {})).toMatchObject({
      kind: 'action',
      token: 'secret',
    });
  });

  it('reads the token from --token-file or CAMPAIGN_BOT_TOKEN_FILE, and says which file it cannot read', () => {
    expect(parseCommand([...base, '--token-file', '/run/secrets/bot'], { readFile })).toMatchObject({
      token: 'tok-from-file',
    });
    expect(parseCommand(base, { tokenFile: '/run/secrets/bot', readFile })).toMatchObject({
      token: 'tok-from-file',
    });
    // The token itself in the environment wins over a file named there.
    expect(parseCommand(base, { token: 'env-tok', tokenFile: '/run/secrets/bot', readFile })).toMatchObject({
      token: 'env-tok',
    });
    expect(parseCommand([...base, '--token-file', '/nope'], { readFile })).toEqual({
      kind: 'usage',
      message: 'cannot read the token file /nope: ENOENT',
    });
  });
});

describe('what the CLI prints of the server', () => {
  it('takes out the characters a terminal acts on, in raw text and inside JSON strings', async () => {
    const { printable } = await import('../../../../src/doors/cli/client.ts');
    expect(printable('ok\u001b[2Jgone\u0007')).toBe('ok?[2Jgone?');
    const json = JSON.stringify({
      error: { message: 'MoEngage 400: \u001b]52;c;ZXZpbA==\u0007 bad\u202eevil' },
    });
    expect(JSON.parse(printable(json))).toEqual({
      error: { message: 'MoEngage 400: ?]52;c;ZXZpbA==? bad?evil' },
    });
    expect(printable('line one\nline two\tend')).toBe('line one line two end');
  });
});
