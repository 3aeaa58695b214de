import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogLevel, webApi } from '@slack/bolt';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type SlackBlock,
  type SlackSim,
  signSlackRequest,
  startSlackSim,
} from '../../src/sandbox/slack-sim.ts';

const BOT_TOKEN = 'xoxb-sim-0000-test-token';
const SIGNING_SECRET = 'sim-signing-secret-1f2e3d4c';
const CHANNEL = 'C0CAMPAIGNS';

const BLOCKS: SlackBlock[] = [
  { type: 'section', block_id: 'summary', text: { type: 'mrkdwn', text: '*Pause 3 campaigns?*' } },
  {
    type: 'actions',
    block_id: 'confirm',
    elements: [
      {
        type: 'button',
        action_id: 'plan_confirm',
        value: 'plan-42',
        text: { type: 'plain_text', text: 'Confirm', emoji: true },
      },
      {
        type: 'button',
        action_id: 'plan_cancel',
        value: 'plan-42',
        text: { type: 'plain_text', text: 'Cancel', emoji: true },
      },
    ],
  },
];

function clientFor(sim: SlackSim, token = BOT_TOKEN): webApi.WebClient {
  return new webApi.WebClient(token, {
    slackApiUrl: `${sim.url}/api/`,
    retryConfig: { retries: 0 },
    logLevel: LogLevel.ERROR,
  });
}

async function rawCall(sim: SlackSim, method: string, body: string, headers: Record<string, string>) {
  const res = await request(`${sim.url}/api/${method}`, { method: 'POST', headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: JSON.parse(text) as Record<string, unknown> };
}

describe('Slack simulator: Web API', () => {
  let sim: SlackSim;
  let client: webApi.WebClient;
  beforeEach(async () => {
    sim = await startSlackSim({
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      teamId: 'T0SIM',
      userGroups: { S0OPS: ['U0ALICE', 'U0BOB'] },
    });
    sim.joinChannel(CHANNEL);
    client = clientFor(sim);
  });
  afterEach(() => sim.close());

  it('answers auth.test with the bot ids', async () => {
    const res = await client.auth.test();
    expect(res).toMatchObject({
      ok: true,
      url: 'https://sim.slack.com/',
      team: 'Sim',
      user: 'campaign-bot',
      team_id: 'T0SIM',
      user_id: 'UBOT',
      bot_id: 'BBOT',
    });
    expect(sim.callsTo('auth.test')).toHaveLength(1);
    expect(sim.unexpected).toEqual([]);
  });

  it('stores a message posted into a joined channel, with a Slack-style ts and the blocks parsed', async () => {
    const first = await client.chat.postMessage({
      channel: CHANNEL,
      text: 'Pause 3 campaigns?',
      blocks: BLOCKS,
    });
    const second = await client.chat.postMessage({ channel: CHANNEL, text: 'second' });
    expect(first.ok).toBe(true);
    expect(first.channel).toBe(CHANNEL);
    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    expect(first.message).toMatchObject({ text: 'Pause 3 campaigns?', user: 'UBOT', bot_id: 'BBOT' });

    const stored = sim.messages(CHANNEL);
    expect(stored.map((m) => m.text)).toEqual(['Pause 3 campaigns?', 'second']);
    expect(stored[0]).toMatchObject({ ts: first.ts, blocks: BLOCKS, user: 'UBOT', botId: 'BBOT' });
    expect(sim.message(CHANNEL, first.ts ?? '')?.blocks).toEqual(BLOCKS);

    const call = sim.callsTo('chat.postMessage')[0];
    expect(call?.args).toMatchObject({ channel: CHANNEL, text: 'Pause 3 campaigns?', blocks: BLOCKS });
    expect(call?.auth).toBe('valid');
    expect(JSON.stringify(sim.calls)).not.toContain(BOT_TOKEN);
  });

  it('refuses to post where the bot is not a member', async () => {
    await expect(client.chat.postMessage({ channel: 'C0ELSEWHERE', text: 'hi' })).rejects.toMatchObject({
      code: 'slack_webapi_platform_error',
      data: { ok: false, error: 'not_in_channel' },
    });
    await expect(client.chat.postMessage({ channel: 'general', text: 'hi' })).rejects.toMatchObject({
      data: { error: 'channel_not_found' },
    });
    expect(sim.messages('C0ELSEWHERE')).toEqual([]);
    expect(sim.callsTo('chat.postMessage').map((c) => c.error)).toEqual([
      'not_in_channel',
      'channel_not_found',
    ]);
  });

  it('updates a message in place and keeps every version', async () => {
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'Pausing…', blocks: BLOCKS });
    const ts = posted.ts ?? '';
    const done: SlackBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: 'Paused 3 campaigns' } }];
    const updated = await client.chat.update({
      channel: CHANNEL,
      ts,
      text: 'Paused 3 campaigns',
      blocks: done,
    });
    expect(updated).toMatchObject({ ok: true, channel: CHANNEL, ts, text: 'Paused 3 campaigns' });

    const message = sim.message(CHANNEL, ts);
    expect(message).toMatchObject({ text: 'Paused 3 campaigns', blocks: done });
    expect(message?.versions.map((v) => v.text)).toEqual(['Pausing…', 'Paused 3 campaigns']);
    expect(message?.versions[0]?.blocks).toEqual(BLOCKS);
    expect(sim.messages(CHANNEL)).toHaveLength(1);

    await expect(client.chat.update({ channel: CHANNEL, ts: '1.000001', text: 'x' })).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
  });

  it('puts a reply with thread_ts into the thread', async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'parent' });
    const reply = await client.chat.postMessage({
      channel: CHANNEL,
      text: 'reply',
      thread_ts: parent.ts ?? '',
    });
    expect(reply.message).toMatchObject({ thread_ts: parent.ts });
    expect(sim.messages(CHANNEL).map((m) => m.text)).toEqual(['parent']);
    expect(sim.thread(CHANNEL, parent.ts ?? '').map((m) => m.text)).toEqual(['reply']);
    expect(sim.message(CHANNEL, reply.ts ?? '')?.threadTs).toBe(parent.ts);
  });

  it('records an ephemeral for its user', async () => {
    const res = await client.chat.postEphemeral({ channel: CHANNEL, user: 'U0ALICE', text: 'only you' });
    expect(res.ok).toBe(true);
    expect(res.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(sim.ephemerals('U0ALICE')).toEqual([
      expect.objectContaining({ channel: CHANNEL, user: 'U0ALICE', text: 'only you', ts: res.message_ts }),
    ]);
    expect(sim.ephemerals('U0BOB')).toEqual([]);
    expect(sim.ephemerals()).toHaveLength(1);
    expect(sim.messages(CHANNEL)).toEqual([]);
  });

  it('lists usergroup members and refuses an unknown group', async () => {
    const res = await client.usergroups.users.list({ usergroup: 'S0OPS' });
    expect(res.users).toEqual(['U0ALICE', 'U0BOB']);
    await expect(client.usergroups.users.list({ usergroup: 'S0NOPE' })).rejects.toMatchObject({
      data: { ok: false, error: 'no_such_subteam' },
    });
  });

  it('answers invalid_auth to a wrong token and not_authed to none', async () => {
    await expect(clientFor(sim, 'xoxb-wrong').auth.test()).rejects.toMatchObject({
      data: { ok: false, error: 'invalid_auth' },
    });
    const missing = await rawCall(sim, 'auth.test', '', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(missing).toMatchObject({ status: 200, json: { ok: false, error: 'not_authed' } });
    expect(sim.calls.map((c) => c.auth)).toEqual(['invalid', 'missing']);
    expect(JSON.stringify(sim.calls)).not.toContain('xoxb-wrong');
  });

  it('accepts a token form field and a JSON body', async () => {
    const form = await rawCall(sim, 'auth.test', `token=${BOT_TOKEN}`, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.json).toMatchObject({ ok: true, user_id: 'UBOT' });
    const json = await rawCall(
      sim,
      'chat.postMessage',
      JSON.stringify({ channel: CHANNEL, text: 'json', blocks: BLOCKS }),
      {
        'content-type': 'application/json; charset=utf-8',
        authorization: `Bearer ${BOT_TOKEN}`,
      },
    );
    expect(json.json).toMatchObject({ ok: true, channel: CHANNEL });
    expect(sim.messages(CHANNEL)[0]?.blocks).toEqual(BLOCKS);
    expect(sim.calls.every((c) => !('token' in c.args))).toBe(true);
  });

  it('records an unknown method as unexpected', async () => {
    await expect(client.apiCall('conversations.join', { channel: CHANNEL })).rejects.toMatchObject({
      data: { ok: false, error: 'unknown_method' },
    });
    expect(sim.unexpected).toEqual([
      expect.objectContaining({
        method: 'conversations.join',
        args: expect.objectContaining({ channel: CHANNEL }),
      }),
    ]);
  });

  it('fails the next calls of a method as scripted, then recovers', async () => {
    sim.failNext('chat.postMessage', 'fatal_error', 2);
    for (let i = 0; i < 2; i++) {
      await expect(client.chat.postMessage({ channel: CHANNEL, text: 'x' })).rejects.toMatchObject({
        data: { error: 'fatal_error' },
      });
    }
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true });
    await expect(client.chat.postMessage({ channel: CHANNEL, text: 'y' })).resolves.toMatchObject({
      ok: true,
    });
    expect(sim.messages(CHANNEL).map((m) => m.text)).toEqual(['y']);
  });

  it('rate limits chat.postMessage per channel (bursts of 3, then about 1/s) and chat.update per minute, by default', async () => {
    const limited = await startSlackSim({
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      memberChannels: [CHANNEL, 'C0OTHER'],
    });
    try {
      const call = (method: string, args: Record<string, string>) =>
        rawCall(limited, method, new URLSearchParams(args).toString(), {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Bearer ${BOT_TOKEN}`,
        });
      const post = (channel: string) => call('chat.postMessage', { channel, text: 't' });
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await post(CHANNEL));
      results.push(await post('C0OTHER'));
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 429, 200]);
      expect(results[3]?.headers['retry-after']).toBe('1');
      expect(results[3]?.json).toEqual({ ok: false, error: 'ratelimited' });
      expect(limited.messages(CHANNEL)).toHaveLength(3);
      // chat.update is Tier 3: 50 a minute for the workspace, the 51st waits.
      const ts = limited.messages(CHANNEL)[0]?.ts as string;
      const updates = [];
      for (let i = 0; i < 51; i++)
        updates.push((await call('chat.update', { channel: CHANNEL, ts, text: `v${i}` })).status);
      expect(updates.filter((s) => s === 200)).toHaveLength(50);
      expect(updates.at(-1)).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it('records what is posted to a response_url', async () => {
    const res = await request(sim.responseUrl('r-1'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text: 'Working on it' }),
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('ok');
    expect(sim.responses).toEqual([
      expect.objectContaining({ id: 'r-1', body: { response_type: 'ephemeral', text: 'Working on it' } }),
    ]);
  });

  it('waitFor resolves once the predicate holds and rejects clearly on timeout', async () => {
    setTimeout(() => void client.chat.postMessage({ channel: CHANNEL, text: 'later' }), 30);
    const message = await sim.waitFor(() => sim.messages(CHANNEL).find((m) => m.text === 'later'));
    expect(message.text).toBe('later');
    await expect(sim.waitFor(() => sim.messages(CHANNEL).length > 5, 50)).rejects.toThrow(
      /condition not met within 50 ms/,
    );
  });
});

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  form: URLSearchParams;
  verdict: 'ok' | 'stale' | 'bad_signature' | 'missing';
}

/** A stand-in for the bot's HTTP endpoint that checks signatures the way Bolt does. */
async function startBot(
  secret: string,
): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const timestamp = req.headers['x-slack-request-timestamp'];
      const signature = req.headers['x-slack-signature'];
      let verdict: Received['verdict'] = 'ok';
      if (typeof timestamp !== 'string' || typeof signature !== 'string') verdict = 'missing';
      else if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) verdict = 'stale';
      else {
        const expected = Buffer.from(
          `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${raw}`).digest('hex')}`,
        );
        const given = Buffer.from(signature);
        if (expected.length !== given.length || !timingSafeEqual(expected, given)) verdict = 'bad_signature';
      }
      received.push({ headers: req.headers, raw, form: new URLSearchParams(raw), verdict });
      if (verdict !== 'ok') {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ response_type: 'ephemeral', text: 'ack' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/slack/events`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Slack simulator: signed requests to the bot', () => {
  let sim: SlackSim;
  let bot: Awaited<ReturnType<typeof startBot>>;
  beforeEach(async () => {
    sim = await startSlackSim({
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      teamId: 'T0SIM',
      memberChannels: [CHANNEL],
    });
    bot = await startBot(SIGNING_SECRET);
  });
  afterEach(async () => {
    await sim.close();
    await bot.close();
  });

  it('signs as Slack documents (the docs example)', () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&' +
      'channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&' +
      'response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&' +
      'trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', 1531420618, body)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });

  it('sends a signed slash command with the documented fields', async () => {
    const res = await sim.slashCommand(bot.url, {
      userId: 'U0ALICE',
      userName: 'alice',
      channelId: CHANNEL,
      channelName: 'campaigns',
      text: 'pause camp_001 camp_002',
    });
    expect(res).toMatchObject({ status: 200, json: { response_type: 'ephemeral', text: 'ack' } });
    expect(res.body).toContain('ack');
    expect(res.ms).toBeGreaterThan(0);

    expect(bot.received).toHaveLength(1);
    const [got] = bot.received;
    expect(got?.verdict).toBe('ok');
    expect(got?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(got?.headers['x-slack-retry-num']).toBeUndefined();
    expect(Object.fromEntries(got?.form ?? [])).toEqual({
      token: expect.any(String),
      team_id: 'T0SIM',
      team_domain: expect.any(String),
      channel_id: CHANNEL,
      channel_name: 'campaigns',
      user_id: 'U0ALICE',
      user_name: 'alice',
      command: '/campaign',
      text: 'pause camp_001 camp_002',
      api_app_id: expect.any(String),
      is_enterprise_install: 'false',
      response_url: sim.responseUrl(res.responseUrlId),
      trigger_id: res.triggerId,
    });

    const again = await sim.slashCommand(bot.url, { userId: 'U0BOB', channelId: CHANNEL, text: 'help' });
    expect(again.responseUrlId).not.toBe(res.responseUrlId);
  });

  it('sends a signed block_actions payload carrying the stored message', async () => {
    const posted = await clientFor(sim).chat.postMessage({
      channel: CHANNEL,
      text: 'Pause?',
      blocks: BLOCKS,
    });
    const res = await sim.clickButton(bot.url, {
      userId: 'U0ALICE',
      channelId: CHANNEL,
      messageTs: posted.ts ?? '',
      actionId: 'plan_confirm',
      value: 'plan-42',
    });
    expect(res.status).toBe(200);
    const [got] = bot.received;
    expect(got?.verdict).toBe('ok');
    expect([...(got?.form.keys() ?? [])]).toEqual(['payload']);
    const payload = JSON.parse(got?.form.get('payload') ?? '{}') as Record<string, unknown>;
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0ALICE', username: expect.any(String), name: expect.any(String), team_id: 'T0SIM' },
      api_app_id: expect.any(String),
      token: expect.any(String),
      container: { type: 'message', message_ts: posted.ts, channel_id: CHANNEL, is_ephemeral: false },
      trigger_id: res.triggerId,
      team: { id: 'T0SIM', domain: expect.any(String) },
      channel: { id: CHANNEL, name: expect.any(String) },
      message: { ts: posted.ts, text: 'Pause?', blocks: BLOCKS },
      response_url: sim.responseUrl(res.responseUrlId),
      actions: [
        {
          type: 'button',
          action_id: 'plan_confirm',
          block_id: 'confirm',
          value: 'plan-42',
          action_ts: expect.stringMatching(/^\d{10}\.\d{6}$/),
          text: { type: 'plain_text', text: 'Confirm', emoji: true },
        },
      ],
    });
  });

  it('can send a stale timestamp or a wrong secret, and the bot notices', async () => {
    const args = { userId: 'U0ALICE', channelId: CHANNEL, text: 'status' };
    const stale = await sim.slashCommand(bot.url, args, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    const wrong = await sim.slashCommand(bot.url, args, { secret: 'not-the-secret' });
    const forged = await sim.clickButton(
      bot.url,
      { userId: 'U0ALICE', channelId: CHANNEL, messageTs: '1.000001', actionId: 'a', value: 'v' },
      { signature: 'v0=deadbeef' },
    );
    expect([stale.status, wrong.status, forged.status]).toEqual([401, 401, 401]);
    expect(bot.received.map((r) => r.verdict)).toEqual(['stale', 'bad_signature', 'bad_signature']);
    expect(bot.received[2]?.headers['x-slack-signature']).toBe('v0=deadbeef');
    expect(stale.json).toBeUndefined();
  });

  it('sends the retry headers with a redelivered event, and never retries a command or a click', async () => {
    await sim.changeGroupMembers(bot.url, 'S0ONCALL', ['U0ALICE'], {
      retryNum: 1,
      retryReason: 'http_timeout',
    });
    const [got] = bot.received;
    expect(got?.headers['x-slack-retry-num']).toBe('1');
    expect(got?.headers['x-slack-retry-reason']).toBe('http_timeout');
    await expect(
      sim.slashCommand(bot.url, { userId: 'U0ALICE', channelId: CHANNEL, text: 'status' }, { retryNum: 1 }),
    ).rejects.toThrow('Slack never retries a slash command');
  });
});
