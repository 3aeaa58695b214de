import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BOT_TOKEN,
  CHANNEL,
  type Harness,
  hasButtons,
  messageText,
  startHarness,
} from '../support/bot-harness.ts';

let h: Harness;
afterEach(async () => {
  expect(h.slack.unexpected).toEqual([]);
  await h.stop();
});

describe('Socket Mode (SLACK_APP_TOKEN set)', () => {
  it('connects over apps.connections.open, serves /healthz, and runs the whole flow over the socket', async () => {
    h = await startHarness({ SLACK_APP_TOKEN: 'xapp-1-ASIM-test-app-token', SLACK_SIGNING_SECRET: '' });
    expect(h.config.slack.mode).toBe('socket');
    expect(h.slack.callsTo('apps.connections.open')[0]).toMatchObject({ auth: 'valid', ok: true });

    const health = await request(`http://127.0.0.1:${h.bot.port}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.text();

    const ack = await h.command('UALICE', 'pause camp_001');
    expect(ack.json).toBeUndefined();
    const message = await h.latestMessage();
    expect(hasButtons(message)).toBe(true);
    await h.click('UBOB', message, 'campaign_confirm');
    await h.slack.waitFor(() => h.slack.thread(CHANNEL, message.ts).length > 0);
    // The summary replaces the buttons right after the thread reply.
    await h.slack.waitFor(() =>
      messageText(h.slack.message(CHANNEL, message.ts) as never).includes('1 paused'),
    );
    expect(h.moengage.campaign('camp_001')?.status).toBe('PAUSED');

    const help = await h.command('UALICE', 'help');
    expect((help.json as { text?: string }).text).toContain('/campaign pause|resume|stop');
    await h.command('UEVE', 'pause camp_002');
    const refusal = await h.slack.waitFor(() => h.slack.responses[0]);
    expect(JSON.stringify(refusal.body)).toContain('not on the list of people allowed');

    // Debug logging includes raw Socket Mode envelopes; nothing secret may survive in them.
    const log = h.log.raw();
    expect(log).toContain('Received a message on the WebSocket');
    for (const secret of [
      BOT_TOKEN,
      'xapp-1-ASIM-test-app-token',
      'sim-legacy-verification-token',
      'ticket=ticket-',
    ]) {
      expect(log).not.toContain(secret);
    }
  });
});

describe('Socket Mode as Slack behaves', () => {
  const socketEnv = { SLACK_APP_TOKEN: 'xapp-1-ASIM-test-app-token', SLACK_SIGNING_SECRET: '' };

  it('reconnects on Slack’s routine disconnect and keeps serving: one confirmation per command, nothing lost', async () => {
    h = await startHarness(socketEnv);
    // Two connections: Slack refreshes each on its own clock, so one is always there to take a command.
    await h.slack.waitFor(() => h.slack.socketMode.connections() === 2);
    const opened = h.slack.callsTo('apps.connections.open').length;
    h.slack.socketMode.disconnect('refresh_requested', 1_000, { count: 1 });
    // A command sent while the old connection is going (Slack does not hold it: it goes to the other one).
    const sent = await h.command('UALICE', 'pause camp_003');
    expect(sent.dispatchFailed).toBeUndefined();
    const message = await h.latestMessage();
    await h.slack.waitFor(() => h.slack.callsTo('apps.connections.open').length > opened);
    expect(h.slack.socketMode.dropped()).toEqual([]);
    await h.click('UBOB', message, 'campaign_confirm');
    await h.slack.waitFor(() =>
      messageText(h.slack.message(CHANNEL, message.ts) as never).includes('1 paused'),
    );
    expect(h.slack.messages(CHANNEL)).toHaveLength(1);
    expect(h.moengage.statusRequests()).toHaveLength(1);
  });

  it('reconnects after the connection drops without a word, and a click after it still runs once', async () => {
    h = await startHarness(socketEnv);
    await h.command('UALICE', 'pause camp_004');
    const message = await h.latestMessage();
    h.slack.socketMode.drop();
    await h.slack.waitFor(() => h.slack.socketMode.connections() > 0, 15_000);
    await h.click('UBOB', message, 'campaign_confirm');
    await h.slack.waitFor(() =>
      messageText(h.slack.message(CHANNEL, message.ts) as never).includes('1 paused'),
    );
    expect(h.moengage.statusRequests()).toHaveLength(1);
  });

  it('takes a Workflow step’s function_executed over the socket, and runs it once when Slack redelivers it', async () => {
    h = await startHarness(socketEnv);
    const inputs = {
      action: 'PAUSE',
      campaign_ids: 'camp_005',
      reason: 'INC-9',
      channel_id: CHANNEL,
      requested_by: { id: 'UALICE', secret: 'dXNlcl9jb250ZXh0' },
    };
    const first = await h.slack.runFunction('socket-mode', {
      callbackId: 'change_campaign_status',
      inputs,
      eventId: 'Ev-redelivered',
    });
    // Slack did not see the ack in time and sends the same event again (retry_attempt 1).
    await h.slack.runFunction(
      'socket-mode',
      { callbackId: 'change_campaign_status', inputs, eventId: 'Ev-redelivered' },
      { retryNum: 1, retryReason: 'timeout' },
    );
    expect(first.status).toBe(200);
    await h.slack.waitFor(() => h.slack.messages(CHANNEL).length > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.slack.messages(CHANNEL)).toHaveLength(1);
  });
});
