import type { AccessPolicy } from '../../src/auth/rules.ts';
import { type BotOptions, startBot } from '../../src/compose.ts';
import { loadConfig } from '../../src/config.ts';
import type { CampaignGroups } from '../../src/core/groups.ts';
import type { RequestStore } from '../../src/core/store.ts';
import type { CallLimiter } from '../../src/moengage/limiter.ts';
import { retryPolicies } from '../../src/moengage/retry-policy.ts';
import { type SimulatorCredentials, simulatorBotEnv } from '../../src/sandbox/bot-env.ts';
import { seedCampaigns } from '../../src/sandbox/campaigns.ts';
import { type ChildBot, startChildBot } from '../../src/sandbox/child-bot.ts';
import type { MoEngageSim, MoEngageSimOptions } from '../../src/sandbox/moengage-sim.ts';
import { fasterPostsPerChannel } from '../../src/sandbox/slack-sim/rate-limits.ts';
import {
  type SimMessage,
  type SlackSim,
  type SlackSimOptions,
  SOCKET_MODE,
  startSlackSim,
} from '../../src/sandbox/slack-sim.ts';
import { connectSharedState } from '../../src/stores/connect.ts';
import { API_KEY, memoryLogger, startSim, WORKSPACE_ID } from './fixtures.ts';
import { cleanup, connectRedis } from './redis.ts';

export const BOT_TOKEN = 'xoxb-test-0000-bot-token-abcdef';
export const SIGNING_SECRET = 'test-signing-secret-8f7e6d5c4b3a';
export const CHANNEL = 'CINCIDENT';
/** What the bot and the simulators share in every test that starts both. */
const CREDENTIALS: SimulatorCredentials = {
  botToken: BOT_TOKEN,
  signingSecret: SIGNING_SECRET,
  workspaceId: WORKSPACE_ID,
  apiKey: API_KEY,
};

/**
 * Slack's pace of posts in one channel (about one a second) ten times faster on both sides, the simulator's and
 * the bot's pacer: a flow posts a confirmation, replies and a summary in one channel, and how the bot keeps to
 * Slack's pace is not what a flow test checks (slack-limits and confirmation-backlog check that). Slack's limits
 * per method and minute stay as they are. A test that passes its own rate limits or pace keeps them.
 */
const PACE = 10;

/** The fleet every flow test starts with. */
export function testFleet() {
  return [
    ...seedCampaigns({ count: 30 }),
    ...seedCampaigns({ count: 3, prefix: 'once_', type: 'ONE_TIME', status: 'SCHEDULED', channel: 'EMAIL' }),
  ];
}

/**
 * What the tests of the bot in its own process run against: a MoEngage simulator with the test fleet and a Slack
 * simulator whose bot is a member of CHANNEL.
 */
export async function startSimulators(): Promise<{ moengage: MoEngageSim; slack: SlackSim }> {
  const moengage = await startSim({ campaigns: testFleet() });
  const slack = await startSlackSim({
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    memberChannels: [CHANNEL],
  });
  return { moengage, slack };
}

/**
 * The real bot in its own process (`node src/main.ts`) against `sims`, taking requests from `users` in CHANNEL,
 * with `env` on top.
 */
export function startChildBotOn(
  sims: { moengage: MoEngageSim; slack: SlackSim },
  users: readonly string[],
  env: Record<string, string>,
): Promise<ChildBot> {
  const simulated = simulatorBotEnv({
    ...CREDENTIALS,
    slackUrl: sims.slack.url,
    moengageUrl: sims.moengage.url,
    allowedUserIds: users,
    allowedChannelIds: [CHANNEL],
  });
  // The child's environment is only what it is given: the compile cache (see vitest.config.ts) is passed on.
  const cache = process.env.NODE_COMPILE_CACHE;
  return startChildBot(
    { ...simulated, ...(cache ? { NODE_COMPILE_CACHE: cache } : {}), ...env },
    { path: process.env.PATH },
  );
}

/**
 * The real bot (Bolt's HTTP receiver, signature checks and all) on a free port, against a Slack simulator and
 * a MoEngage simulator. Alice and Bob are allowed directly, Carol through the SONCALL user group; Eve is not.
 */
export async function startHarness(
  env: Record<string, string> = {},
  options: {
    store?: RequestStore;
    groups?: CampaignGroups;
    policy?: AccessPolicy;
    moengage?: Partial<MoEngageSimOptions>;
    slack?: Partial<SlackSimOptions>;
    limiter?: CallLimiter;
    /** Timings over the harness's own (a fast sweep, callback backoff and no Slack retries) and production's. */
    timings?: BotOptions['timings'];
    /** The bots' clock: a test moves it forward (a pause for two hours, in a moment). */
    now?: () => number;
    hookRules?: BotOptions['hookRules'];
    /** The MoEngage client's retry policy and deadlines (the fast retry policy by default). */
    moengageOptions?: BotOptions['moengageOptions'];
    /** MoEngage's credentials watched for /readyz; off by default so tests' search counts hold. */
    credentialCheck?: BotOptions['credentialCheck'];
    /** An MCP client without a token acts as this agent (the conformance suite's instance). */
    mcpOpenAgent?: BotOptions['mcpOpenAgent'];
  } = {},
) {
  const moengage = await startSim({ campaigns: testFleet(), ...options.moengage });
  const socketMode = env.SLACK_APP_TOKEN !== undefined;
  const slack = await startSlackSim({
    ...(socketMode ? { appToken: env.SLACK_APP_TOKEN } : {}),
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    memberChannels: [CHANNEL, 'CRANDOM', 'COTHER'],
    userGroups: { SONCALL: ['UCAROL', 'UDAVE'], SLEADS: ['ULEAD1', 'ULEAD2'] },
    rateLimits: fasterPostsPerChannel(PACE),
    ...options.slack,
  });
  const config = loadConfig({
    ...simulatorBotEnv({
      ...CREDENTIALS,
      slackUrl: slack.url,
      moengageUrl: moengage.url,
      allowedUserIds: ['UALICE', 'UBOB', 'SONCALL'],
      allowedChannelIds: [CHANNEL, 'CPRIVATE'],
    }),
    LOG_LEVEL: 'debug',
    ...env,
  });
  const log = memoryLogger('debug');
  // With REDIS_URL, the same shared state index.ts builds: Redis store, shared limiter, shared deliveries.
  const startOne = async () => {
    const shared = await connectSharedState(config, log.logger);
    const bot = await startBot(config, log.logger, {
      moengageOptions: { retryPolicy: retryPolicies.fast, ...options.moengageOptions },
      host: '127.0.0.1',
      ...shared,
      ...(options.store ? { store: options.store } : {}),
      ...(options.groups ? { groups: options.groups } : {}),
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.limiter ? { limiter: options.limiter } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.hookRules ? { hookRules: options.hookRules } : {}),
      ...(options.mcpOpenAgent !== undefined ? { mcpOpenAgent: options.mcpOpenAgent } : {}),
      timings: {
        slackRetries: 0,
        sweepMs: 100,
        callbackBackoffMs: 20,
        ...options.timings,
        // Slack's pace of posts per channel ten times faster, as the simulator's (rateLimits above).
        slackPace: { postsPerSecond: PACE, ...options.timings?.slackPace },
      },
      credentialCheck: options.credentialCheck ?? false,
    });
    return { bot, shared };
  };
  const first = await startOne();
  let { bot, shared } = first;
  /** More bots on the same simulators, config and shared state (replicas, with REDIS_URL). */
  const replicas: Awaited<ReturnType<typeof startOne>>[] = [];
  // In Socket Mode the simulator delivers over the bot's WebSocket instead of signed HTTP.
  let url = socketMode ? SOCKET_MODE : `http://127.0.0.1:${bot.port}/slack/events`;

  const command = (userId: string, text: string, channelId = CHANNEL) =>
    slack.slashCommand(url, { userId, channelId, text });
  const click = (userId: string, message: SimMessage, actionId: 'campaign_confirm' | 'campaign_cancel') => {
    const value = buttonValue(message, actionId);
    return slack.clickButton(url, {
      userId,
      channelId: message.channel,
      messageTs: message.ts,
      actionId,
      value,
    });
  };
  /**
   * The newest top-level message the bot posted in a channel, once there is one and the look at its campaigns
   * (CAMPAIGN_LOOKUP, on by default) has landed on it: a person confirms what the message shows.
   */
  const latestMessage = (channel = CHANNEL) =>
    slack.waitFor(() => {
      const m = slack.messages(channel).at(-1);
      return m && !messageText(m).includes(LOOKING_UP) && m;
    });
  const auditEvents = () => log.lines().filter((l) => l.module === 'audit');

  return {
    slack,
    moengage,
    get bot() {
      return bot;
    },
    get url() {
      return url;
    },
    log,
    config,
    command,
    click,
    latestMessage,
    auditEvents,
    /** Another bot beside this one, on the same simulators and shared state. */
    async replica() {
      const started = await startOne();
      replicas.push(started);
      return started.bot;
    },
    /** Stops the bot (as a deploy does) and starts it again on the same state; Slack calls the new one. */
    async restart() {
      await bot.stop();
      await shared.close();
      ({ bot, shared } = await startOne());
      if (!socketMode) url = `http://127.0.0.1:${bot.port}/slack/events`;
    },
    /** Stops everything, then fails the test if either simulator got a call it did not expect. */
    async stop() {
      for (const r of replicas.splice(0)) {
        await r.bot.stop();
        await r.shared.close();
      }
      await bot.stop();
      await shared.close();
      await slack.close();
      await moengage.close();
      const unexpected = [
        ...slack.unexpected.map((u) => `Slack: ${u.method}`),
        ...moengage.requests.filter((r) => r.api === undefined).map((r) => `MoEngage: ${r.method} ${r.path}`),
      ];
      if (unexpected.length > 0)
        throw new Error(`calls the simulators did not expect: ${unexpected.join(', ')}`);
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

/** The button's value as first posted (the live message loses its buttons once decided). */
/** What a confirmation says while the lookup before confirming is under way. */
export const LOOKING_UP = 'Looking these campaigns up in MoEngage';

export function buttonValue(message: SimMessage, actionId: string): string {
  for (const block of message.versions[0]?.blocks ?? message.blocks ?? []) {
    for (const el of (block.elements as { action_id?: string; value?: string }[] | undefined) ?? []) {
      if (el.action_id === actionId && el.value) return el.value;
    }
  }
  throw new Error(`message ${message.ts} has no ${actionId} button`);
}

/** Whether the message still offers its decision (Confirm / Cancel); a result's follow-up buttons do not count. */
export function hasButtons(message: SimMessage): boolean {
  return (message.blocks ?? []).some(
    (b) =>
      b.type === 'actions' &&
      ((b.elements as { action_id?: string }[] | undefined) ?? []).some(
        (e) => e.action_id === 'campaign_confirm' || e.action_id === 'campaign_cancel',
      ),
  );
}

export function messageText(message: Pick<SimMessage, 'text' | 'blocks'>): string {
  return `${message.text ?? ''}\n${JSON.stringify(message.blocks ?? [])}`;
}

/** The text of an acknowledgement's JSON body (help and input errors come back in the ack itself). */
export function ackText(res: { json?: unknown }): string {
  return (res.json as { text?: string } | undefined)?.text ?? '';
}

/**
 * Starts several at once (a bot process's start is mostly waiting) and resolves with them in order. A failure is
 * thrown only once every start has settled, so each bot that did start is already where its test stops it.
 */
export async function allStarted<T>(starts: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** Ends what a test of real bot processes started: the bots (SIGKILL), the simulators and, given, its Redis keys. */
export async function stopFleet(
  bots: ChildBot[],
  sims: { moengage: MoEngageSim; slack: SlackSim },
  redisPrefix?: string,
): Promise<void> {
  for (const b of bots.splice(0)) b.kill('SIGKILL');
  await sims.slack.close();
  await sims.moengage.close();
  if (redisPrefix === undefined) return;
  const redis = connectRedis();
  try {
    await cleanup(redis, redisPrefix);
  } finally {
    await redis.quit();
  }
}

/** Alice proposes a PAUSE of `ids` on `bot`; Bob confirms it there, so `bot` runs it. Returns the confirmation. */
export async function confirmPauseOn(slack: SlackSim, bot: ChildBot, ids: string[]): Promise<SimMessage> {
  await slack.slashCommand(bot.url, { userId: 'UALICE', channelId: CHANNEL, text: `pause ${ids.join(' ')}` });
  const message = await slack.waitFor(() => slack.messages(CHANNEL).at(-1));
  await slack.clickButton(bot.url, {
    userId: 'UBOB',
    channelId: CHANNEL,
    messageTs: message.ts,
    actionId: 'campaign_confirm',
    value: buttonValue(message, 'campaign_confirm'),
  });
  return message;
}
