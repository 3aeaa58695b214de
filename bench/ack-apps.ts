import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { startBot } from '../src/compose.ts';
import { loadConfig } from '../src/config.ts';
import type { CampaignActionRequest } from '../src/core/store.ts';
import { createLogger } from '../src/logger.ts';
import { type SimulatorCredentials, simulatorBotEnv } from '../src/sandbox/bot-env.ts';
import { confirmationMessage } from '../src/slack/views/messages.ts';

/**
 * The three Bolt apps the ack bench measures, each on Bolt's HTTPReceiver on 127.0.0.1. Started in the bench's
 * own process (`--ack-mode shared`) or one per child process through `bench/ack-app.ts` (isolated, the default).
 *
 * - ours: the real bot from `startBot`; every command takes the full path parse → ack → authorize → store →
 *   chat.postMessage of the confirmation.
 * - bare: a Bolt app whose `/campaign` listener only acks.
 * - control: bare + one chat.postMessage after the ack, of the confirmation ours would post (same text and
 *   blocks, from `confirmationMessage`), with the Web API options ours uses.
 */

export const ACK_APPS = ['bare', 'ours', 'control'] as const;
export type AckAppKind = (typeof ACK_APPS)[number];

export interface AckAppSettings extends SimulatorCredentials {
  /** The Slack simulator's base URL (its Web API is under `/api/`). */
  slackUrl: string;
  moengageUrl: string;
  /** Allowed to request (ours). */
  user: string;
  /** Allowed channel (ours). */
  channel: string;
}

export interface RunningAckApp {
  port: number;
  stop(): Promise<void>;
}

/**
 * The control's request ids: a UUID with its first group replaced, so its confirmations are as long as ours's
 * (random UUIDs) and the bench can tell them apart in the Slack simulator (`block_id: campaign_request:<id>`).
 */
export const CONTROL_ID_PREFIX = 'control0-';

export async function startAckApp(kind: AckAppKind, s: AckAppSettings): Promise<RunningAckApp> {
  const env = simulatorBotEnv({ ...s, allowedUserIds: [s.user], allowedChannelIds: [s.channel] });
  if (kind === 'ours') {
    const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
    // The simulator here has Slack's rate limits off (the bench measures acknowledgements), so the bot's own
    // per-channel pacer is opened as wide: otherwise it, not the bot, would be measured.
    const bot = await startBot(config, createLogger('silent'), {
      host: '127.0.0.1',
      timings: { slackRetries: 0, slackPace: { postsPerSecond: 10_000, burst: 10_000 } },
    });
    return { port: bot.port, stop: () => bot.stop() };
  }

  const app = new App({
    token: s.botToken,
    signingSecret: s.signingSecret,
    clientOptions: { slackApiUrl: env.SLACK_API_URL, retryConfig: { retries: 0 } },
    deferInitialization: true,
    logLevel: LogLevel.ERROR,
  });
  if (kind === 'bare') {
    app.command('/campaign', async ({ ack }) => {
      await ack();
    });
  } else {
    app.command('/campaign', async ({ ack, command, client }) => {
      await ack();
      const message = confirmationMessage(controlRequest(command.text, command.user_id, command.channel_id));
      // As src/slack/web-port.ts posts it.
      await client.chat.postMessage({
        channel: command.channel_id,
        text: message.text,
        blocks: message.blocks as never,
        unfurl_links: false,
        unfurl_media: false,
      });
    });
  }
  await app.init();
  const server = await app.start({ port: 0, host: '127.0.0.1' });
  return {
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      await app.stop();
    },
  };
}

/** A pending PAUSE request like the one ours proposes for `pause <ids>` (default 15-minute expiry). */
function controlRequest(text: string, userId: string, channelId: string): CampaignActionRequest {
  const now = Date.now();
  return {
    id: `${CONTROL_ID_PREFIX}${randomUUID().slice(CONTROL_ID_PREFIX.length)}`,
    action: 'PAUSE',
    campaignIds: text.trim().split(/\s+/).slice(1),
    reason: undefined,
    requestedBy: userId,
    grants: [{ rule: 'ALLOWED_USER_IDS', needed: 1, requesterMayApprove: true }],
    approvals: [],
    channelId,
    source: 'slash_command',
    createdAt: now,
    expiresAt: now + 900_000,
    messageTs: undefined,
    state: 'pending',
    decidedBy: undefined,
    decidedAt: undefined,
  };
}
