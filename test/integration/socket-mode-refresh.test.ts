import { App, type Receiver, SocketModeReceiver } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { type SlackSim, SOCKET_MODE, startSlackSim } from '../../src/sandbox/slack-sim.ts';
import { RefreshingSocketModeReceiver } from '../../src/slack/socket-receiver.ts';

/**
 * What a person sees at Slack's routine Socket Mode refresh (`disconnect`, `refresh_requested`, every few hours),
 * before and after our receiver, on the Slack simulator, which drops what it cannot send as Slack does. Bolt's
 * SocketModeReceiver on @slack/socket-mode 3.1 closes its one connection at once and waits 5 s before opening
 * another: a command then fails (`dispatch_failed`). Ours keeps two connections and opens the replacement
 * before the old one goes.
 */
const APP_TOKEN = 'xapp-1-ASIM-refresh-test';
const BOT_TOKEN = 'xoxb-sim-refresh-test';
const silent = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => 'error',
  setName() {},
} as never;

let slack: SlackSim;
let app: App | undefined;
afterEach(async () => {
  await app?.stop().catch(() => undefined);
  app = undefined;
  expect(slack.unexpected).toEqual([]);
  await slack.close();
});

/** A bare Bolt app on `receiver` that acks /campaign and counts what it was given. */
async function startApp(make: (clientOptions: object) => Receiver) {
  slack = await startSlackSim({ appToken: APP_TOKEN, botToken: BOT_TOKEN, signingSecret: 'unused' });
  const clientOptions = { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 } };
  const seen: string[] = [];
  app = new App({
    token: BOT_TOKEN,
    receiver: make(clientOptions),
    logger: silent,
    clientOptions,
    deferInitialization: true,
  });
  app.command('/campaign', async ({ command, ack }) => {
    seen.push(command.text);
    await ack();
  });
  await app.init();
  await app.start();
  return seen;
}

const command = (text: string) =>
  slack.slashCommand(SOCKET_MODE, { userId: 'UALICE', channelId: 'CINC', text });

describe('Slack’s routine Socket Mode refresh', () => {
  it('before: Bolt’s receiver on socket-mode 3.1 is without a connection for 5 s; a command then is dropped', async () => {
    const seen = await startApp(
      (clientOptions) =>
        new SocketModeReceiver({ appToken: APP_TOKEN, logger: silent, installerOptions: { clientOptions } }),
    );
    await slack.waitFor(() => slack.socketMode.connections() === 1);
    const asked = Date.now();
    slack.socketMode.disconnect('refresh_requested', 200);
    const during = await command('pause camp_001');
    expect(during.dispatchFailed).toBe(true);
    await slack.waitFor(() => slack.socketMode.connections() === 1, 15_000);
    const gap = Date.now() - asked;
    // The library waits clientPingTimeout (5 s) before it opens another connection.
    expect(gap).toBeGreaterThanOrEqual(4_900);
    expect((await command('pause camp_002')).dispatchFailed).toBeUndefined();
    expect(seen).toEqual(['pause camp_002']);
    expect(slack.socketMode.dropped()).toHaveLength(1);
  });

  it('after: ours keeps two connections; a refresh of one drops nothing, and the replacement opens before it goes', async () => {
    const seen = await startApp(
      (clientOptions) =>
        new RefreshingSocketModeReceiver({ appToken: APP_TOKEN, logger: silent, clientOptions }),
    );
    await slack.waitFor(() => slack.socketMode.connections() === 2);
    const opened = slack.callsTo('apps.connections.open').length;
    slack.socketMode.disconnect('refresh_requested', 1_000, { count: 1 });
    const texts = Array.from({ length: 10 }, (_, i) => `pause camp_00${i}`);
    for (const text of texts) expect((await command(text)).dispatchFailed).toBeUndefined();
    await slack.waitFor(() => slack.callsTo('apps.connections.open').length > opened);
    await slack.waitFor(() => slack.socketMode.connections() === 2);
    expect(seen).toEqual(texts);
    expect(slack.socketMode.dropped()).toEqual([]);
  });

  it('after: with one connection, the replacement opens before the old one closes, and we close the old one', async () => {
    const seen = await startApp(
      (clientOptions) =>
        new RefreshingSocketModeReceiver({
          appToken: APP_TOKEN,
          logger: silent,
          clientOptions,
          connections: 1,
        }),
    );
    await slack.waitFor(() => slack.socketMode.connections() === 1);
    slack.socketMode.disconnect('refresh_requested', 5_000);
    await slack.waitFor(() => slack.socketMode.history().every((c, i) => i === 1 || c.closed !== undefined));
    const [old, replacement] = slack.socketMode.history();
    expect(replacement?.opened).toBeLessThan(old?.closed ?? 0);
    expect(old?.closedBySlack).toBe(false);
    expect(replacement?.closed).toBeUndefined();
    expect((await command('pause camp_001')).dispatchFailed).toBeUndefined();
    expect(seen).toEqual(['pause camp_001']);
  });

  it('after: when Slack warns every connection, they serve until closed and their replacements are open by then', async () => {
    const seen = await startApp(
      (clientOptions) =>
        new RefreshingSocketModeReceiver({ appToken: APP_TOKEN, logger: silent, clientOptions }),
    );
    await slack.waitFor(() => slack.socketMode.connections() === 2);
    const opened = slack.callsTo('apps.connections.open').length;
    slack.socketMode.disconnect('warning', 1_000);
    // Replacements open (two more connections); the warned ones still take envelopes until Slack closes them.
    await slack.waitFor(() => slack.callsTo('apps.connections.open').length === opened + 2);
    for (const text of ['pause camp_001', 'pause camp_002', 'pause camp_003', 'pause camp_004'])
      expect((await command(text)).dispatchFailed).toBeUndefined();
    await slack.waitFor(() => slack.socketMode.history().filter((c) => c.closed !== undefined).length === 2);
    expect(slack.socketMode.history().map((c) => c.closedBySlack)).toEqual([true, true, false, false]);
    expect(slack.socketMode.connections()).toBe(2);
    expect((await command('pause camp_005')).dispatchFailed).toBeUndefined();
    expect(seen).toHaveLength(5);
    expect(slack.socketMode.dropped()).toEqual([]);
  });

  it('after: connections lost without a word are replaced, one for one', async () => {
    const seen = await startApp(
      (clientOptions) =>
        new RefreshingSocketModeReceiver({ appToken: APP_TOKEN, logger: silent, clientOptions }),
    );
    await slack.waitFor(() => slack.socketMode.connections() === 2);
    const opened = slack.callsTo('apps.connections.open').length;
    slack.socketMode.drop();
    await slack.waitFor(() => slack.socketMode.connections() === 2);
    expect((await command('pause camp_001')).dispatchFailed).toBeUndefined();
    expect(seen).toEqual(['pause camp_001']);
    expect(slack.callsTo('apps.connections.open')).toHaveLength(opened + 2);
    expect(slack.socketMode.history().filter((c) => c.closed === undefined)).toHaveLength(2);
  });

  it('after: when Slack refreshes every connection at once, new ones are open within a moment', async () => {
    const seen = await startApp(
      (clientOptions) =>
        new RefreshingSocketModeReceiver({ appToken: APP_TOKEN, logger: silent, clientOptions }),
    );
    await slack.waitFor(() => slack.socketMode.connections() === 2);
    const asked = Date.now();
    slack.socketMode.disconnect('refresh_requested', 1_000);
    await slack.waitFor(() => slack.socketMode.connections() > 0);
    const gap = Date.now() - asked;
    expect((await command('pause camp_001')).dispatchFailed).toBeUndefined();
    expect(seen).toEqual(['pause camp_001']);
    // Not a bound on time to hold the machine to: the figure for the record, against the 5 s above.
    console.info(`Socket Mode: every connection refreshed; a new one was open after ${gap} ms`);
  });
});
