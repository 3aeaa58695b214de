import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { seedCampaigns } from '../src/sandbox/campaigns.ts';
import { type ChildBot, startChildBot } from '../src/sandbox/child-bot.ts';
import { benchBotEnv, CHANNEL, startSimulators, USER } from './ack-latency.ts';
import { checkRedis, deletePrefix, redisHost, uniquePrefix } from './redis-keys.ts';
import { buttonValue, epochNow, propose } from './replicas.ts';

/**
 * Slack down (`npm run bench -- --only slack-outage`): two real replicas sharing Redis; 200 ids in one command,
 * confirmed on A; Slack's Web API answers 503 from the click on, for `outageS` (150 s by default), while the run
 * completes and A is SIGKILLed; then Slack is back. Measured: results lost (ids missing from the thread), replies
 * posted twice, whether the summary came after the details, and the time from Slack's return to the summary.
 */

const TOTAL_IDS = 200;
const DONE = 'details in the thread';

export interface SlackOutageResult {
  ids: number;
  outageS: number;
  /** Ids whose result is not in the thread once the summary is up. */
  idsLost: number;
  /** Thread replies Slack took more than once (same text). */
  repliesSentTwice: number;
  summaryAfterDetails: boolean;
  /** From Slack answering again to the summary stored in Slack. */
  recoverS: number;
  completed: boolean;
  pass: boolean;
  misses: string[];
}

export async function runSlackOutageBench(
  options: { outageS?: number; file?: string; redisUrl?: string } = {},
): Promise<SlackOutageResult> {
  const outageS = options.outageS ?? 150;
  const file = options.file ?? join(import.meta.dirname, '..', 'bench-results', 'slack-outage.json');
  const url = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  await checkRedis(url);
  const prefix = uniquePrefix();
  const campaigns = seedCampaigns({ count: TOTAL_IDS });
  const ids = campaigns.map((c) => c.id);
  console.log(
    `Slack down (${redisHost(url)}, prefix ${prefix}): ${TOTAL_IDS} ids, two replicas; Slack answers 503 for ` +
      `${outageS} s from the click, A is SIGKILLed once the run completed...`,
  );
  const { moengage, slack } = await startSimulators({ campaigns });
  const bots: ChildBot[] = [];
  try {
    const env = {
      ...benchBotEnv({ moengage, slack }, [USER, 'UBOB']),
      MAX_CAMPAIGNS_PER_COMMAND: String(TOTAL_IDS),
      CAMPAIGN_LOOKUP: 'off',
      REDIS_URL: url,
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'info',
    };
    const child = { path: process.env.PATH };
    bots.push(await startChildBot(env, child), await startChildBot(env, child));
    const [a] = bots as [ChildBot, ChildBot];
    const proposed = await propose(slack, a, ids);
    if (!proposed.ok) throw new Error(`slack-outage bench: the command was refused (${proposed.reason})`);
    const message = proposed.message;
    slack.outage(503);
    const downAt = Date.now();
    const click = await slack.clickButton(a.url, {
      userId: 'UBOB',
      channelId: CHANNEL,
      messageTs: message.ts,
      actionId: 'campaign_confirm',
      value: buttonValue(message, 'campaign_confirm'),
    });
    if (click.status !== 200) throw new Error(`slack-outage bench: the click answered HTTP ${click.status}`);
    const applied = () => ids.filter((id) => moengage.campaign(id)?.status === 'PAUSED').length === TOTAL_IDS;
    await slack.waitFor(applied, 60_000);
    // The replica that ran it, and queued its results, dies during the outage.
    await sleep(2_000);
    a.kill('SIGKILL');
    await a.exited;
    await sleep(Math.max(0, downAt + outageS * 1000 - Date.now()));
    slack.outage();
    const upAt = epochNow();
    const doneText = () => JSON.stringify(slack.message(CHANNEL, message.ts)?.blocks ?? []);
    const completed = await slack
      .waitFor(() => doneText().includes(DONE), 120_000)
      .then(
        () => true,
        () => false,
      );
    const versions = slack.message(CHANNEL, message.ts)?.versions ?? [];
    const doneAt = versions.find((v) => JSON.stringify(v.blocks ?? []).includes(DONE))?.at ?? Number.NaN;
    const thread = slack.thread(CHANNEL, message.ts);
    const threadText = thread.map((m) => `${m.text ?? ''}${JSON.stringify(m.blocks ?? [])}`).join('\n');
    const texts = thread.map((m) => `${m.text ?? ''}${JSON.stringify(m.blocks ?? [])}`);
    const lastReplyAt = Math.max(...thread.map((m) => m.versions[0]?.at ?? 0));
    const result: SlackOutageResult = {
      ids: TOTAL_IDS,
      outageS,
      idsLost: ids.filter((id) => !threadText.includes(id)).length,
      repliesSentTwice: texts.length - new Set(texts).size,
      summaryAfterDetails: doneAt >= lastReplyAt,
      recoverS: (doneAt - upAt) / 1000,
      completed,
      pass: false,
      misses: [],
    };
    if (!completed) result.misses.push('no summary within 120 s of Slack coming back');
    if (result.idsLost > 0) result.misses.push(`${result.idsLost} ids missing from the thread`);
    if (!result.summaryAfterDetails) result.misses.push('the summary came before the details');
    result.pass = result.misses.length === 0;
    console.log(
      [
        `  ids lost (not in the thread)      ${result.idsLost}`,
        `  thread replies sent twice         ${result.repliesSentTwice}`,
        `  summary after the details         ${result.summaryAfterDetails ? 'yes' : 'NO'}`,
        `  Slack back -> summary             ${result.recoverS.toFixed(1)} s`,
        `  ${result.pass ? 'PASS' : `MISS: ${result.misses.join('; ')}`}`,
      ].join('\n'),
    );
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(
      file,
      `${JSON.stringify({ generatedAt: new Date().toISOString(), node: process.version, result }, null, 2)}\n`,
    );
    console.log(`\nwrote ${file}`);
    return result;
  } finally {
    for (const bot of bots) bot.kill('SIGKILL');
    await slack.close();
    await moengage.close();
    await deletePrefix(url, prefix);
  }
}
