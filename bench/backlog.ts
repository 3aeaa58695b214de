import { readFile } from 'node:fs/promises';
import { seedCampaigns } from '../src/sandbox/campaigns.ts';
import { type ChildBot, startChildBot } from '../src/sandbox/child-bot.ts';
import { expiryShown } from '../src/sandbox/expiry-shown.ts';
import { startMoEngageSim } from '../src/sandbox/moengage-sim.ts';
import { startSlackSim } from '../src/sandbox/slack-sim.ts';
import {
  API_KEY,
  BOT_TOKEN,
  benchBotEnv,
  CHANNEL,
  pool,
  SIGNING_SECRET,
  USER,
  WORKSPACE_ID,
} from './ack-latency.ts';

/**
 * The backlog (`npm run bench -- --only backlog`): 2,000 `/campaign pause` nobody confirms, in one
 * channel, sent to the real bot in its own process (`node src/main.ts`, defaults but a 60 s confirmation time)
 * against the Slack simulator with Slack's pacing on (about one post a second per channel, chat.update about 50 a
 * minute for the workspace). Watched for `minutes`: the bot's RSS every second (from /proc), and each posted
 * confirmation's time to be shown expired after the later of its expiry and its post. Posting 2,000 at Slack's
 * pace takes over half an hour; the window judges every confirmation whose minute has come within it.
 */
export interface BacklogResult {
  commands: number;
  ttlSeconds: number;
  minutes: number;
  rssMiB: { start: number; peak: number; end: number; growth: number };
  posted: number;
  shown: ReturnType<typeof expiryShown>;
}

const COMMANDS = 2_000;
const TTL_SECONDS = 60;
const RSS_TARGET_MIB = 150;

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

export async function runBacklogBench(minutes = 6): Promise<BacklogResult> {
  const moengage = await startMoEngageSim({
    workspaceId: WORKSPACE_ID,
    apiKey: API_KEY,
    campaigns: seedCampaigns({ count: 30 }),
  });
  // Slack's limits on (the simulator's default): this part measures what they do to a backlog.
  const slack = await startSlackSim({
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    memberChannels: [CHANNEL],
  });
  let bot: ChildBot | undefined;
  try {
    bot = await startChildBot(
      {
        ...benchBotEnv({ moengage, slack }, [USER]),
        CONFIRMATION_TTL_SECONDS: String(TTL_SECONDS),
        LOG_LEVEL: 'info',
        // As the container runs it (Dockerfile): Node's default young generation alone grows ~145 MiB in the burst.
        NODE_OPTIONS: '--max-semi-space-size=16',
      },
      { path: process.env.PATH },
    );
    const pid = bot.process.pid as number;
    const start = await rssMiB(pid);
    let peak = start;
    const sampler = setInterval(() => {
      void rssMiB(pid)
        .then((mib) => {
          peak = Math.max(peak, mib);
        })
        .catch(() => {});
    }, 1_000);
    console.log(
      `backlog: ${COMMANDS} unclicked confirmations in one channel, ${TTL_SECONDS} s to confirm, Slack's pacing on; watching ${minutes} min...`,
    );
    const t0 = Date.now();
    await pool(slack, bot.url, COMMANDS, 20);
    console.log(`  ${COMMANDS} commands acknowledged in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const end = t0 + minutes * 60_000;
    let nextReport = Date.now() + 60_000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 1_000));
      if (Date.now() >= nextReport) {
        nextReport += 60_000;
        const posted = slack.messages(CHANNEL).filter((m) => m.threadTs === undefined).length;
        console.log(
          `  t=${Math.round((Date.now() - t0) / 1000)} s: rss ${await rssMiB(pid)} MiB (peak ${peak}), posted ${posted}`,
        );
      }
    }
    clearInterval(sampler);
    const last = await rssMiB(pid);
    const messages = slack.messages(CHANNEL).filter((m) => m.threadTs === undefined);
    const result: BacklogResult = {
      commands: COMMANDS,
      ttlSeconds: TTL_SECONDS,
      minutes,
      rssMiB: { start, peak, end: last, growth: Math.round((peak - start) * 10) / 10 },
      posted: messages.length,
      shown: expiryShown(messages, Date.now()),
    };
    const s = result.shown;
    console.log(
      `  RSS ${start} -> peak ${peak} -> ${last} MiB: growth ${result.rssMiB.growth} MiB (target < ${RSS_TARGET_MIB}): ${result.rssMiB.growth < RSS_TARGET_MIB ? 'ok' : 'OVER'}`,
    );
    console.log(
      `  posted ${result.posted} of ${COMMANDS} (${s.postedAfterExpiry} after their expiry); shown expired within a minute of due: ${s.inTime} of ${s.judged} judged (${s.late.length} late): ${s.late.length === 0 ? 'ok' : 'LATE'}`,
    );
    console.log(
      `  time to be shown expired after due (the later of expiry and post): p50 ${(s.latencyMs.p50 / 1000).toFixed(1)} s, p99 ${(s.latencyMs.p99 / 1000).toFixed(1)} s, max ${(s.latencyMs.max / 1000).toFixed(1)} s`,
    );
    return result;
  } finally {
    await bot?.stop(5_000).catch(() => bot?.kill('SIGKILL'));
    await slack.close();
    await moengage.close();
  }
}
