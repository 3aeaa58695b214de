import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChildBot } from '../../src/sandbox/child-bot.ts';
import type { MoEngageSim } from '../../src/sandbox/moengage-sim.ts';
import type { SimMessage, SlackSim } from '../../src/sandbox/slack-sim.ts';
import {
  buttonValue,
  CHANNEL,
  messageText,
  startChildBotOn,
  startSimulators,
  stopFleet,
} from '../support/bot-harness.ts';

/** The real bot in its own process without Redis: its state in a SQLite file of this test's own. */
let moengage: MoEngageSim;
let slack: SlackSim;
let dir: string;
const bots: ChildBot[] = [];

beforeEach(async () => {
  ({ moengage, slack } = await startSimulators());
  dir = mkdtempSync(join(tmpdir(), 'campaign-bot-embedded-'));
});
afterEach(async () => {
  await stopFleet(bots, { moengage, slack });
  rmSync(dir, { recursive: true, force: true });
});

async function bot(file = join(dir, 'state', 'bot.sqlite')): Promise<ChildBot> {
  const b = await startChildBotOn({ moengage, slack }, ['UALICE', 'UBOB'], { SQLITE_PATH: file });
  bots.push(b);
  return b;
}

async function request(b: ChildBot, text: string, triggerId?: string): Promise<SimMessage> {
  const before = slack.messages(CHANNEL).length;
  await slack.slashCommand(b.url, {
    userId: 'UALICE',
    channelId: CHANNEL,
    text,
    ...(triggerId ? { triggerId } : {}),
  });
  return slack.waitFor(() => slack.messages(CHANNEL).length > before && slack.messages(CHANNEL).at(-1));
}

/** The run journal's chunk states, read straight from the bot's SQLite file. */
function chunkStates(file: string): string[] {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file, { readOnly: true });
    const rows = db.prepare('SELECT json FROM requests').all() as { json: string }[];
    return rows.flatMap((r) => (JSON.parse(r.json).run?.chunks ?? []).map((c: { state: string }) => c.state));
  } catch {
    return [];
  } finally {
    db?.close();
  }
}

/** Bob confirms `message` on `b`. */
function confirm(b: ChildBot, message: SimMessage) {
  return slack.clickButton(b.url, {
    userId: 'UBOB',
    channelId: CHANNEL,
    messageTs: message.ts,
    actionId: 'campaign_confirm',
    value: buttonValue(message, 'campaign_confirm'),
  });
}

describe('the embedded database (no REDIS_URL)', () => {
  it('keeps a pending confirmation through a SIGKILL: the click after the restart runs it, once', async () => {
    const first = await bot();
    const message = await request(first, 'pause camp_001 camp_002');
    first.kill('SIGKILL');
    await first.exited;

    const second = await bot();
    const value = buttonValue(message, 'campaign_confirm');
    const click = {
      userId: 'UBOB',
      channelId: CHANNEL,
      messageTs: message.ts,
      actionId: 'campaign_confirm',
      value,
    };
    await Promise.all([slack.clickButton(second.url, click), slack.clickButton(second.url, click)]);
    await slack
      .waitFor(
        () => /details in the thread/.test(messageText(slack.message(CHANNEL, message.ts) as never)),
        20_000,
      )
      .catch((error: unknown) => {
        console.log(second.lines().filter((l) => (l.level as number) >= 40 || l.module === 'audit'));
        throw error;
      });
    expect(moengage.campaign('camp_002')?.status).toBe('PAUSED');
    expect(moengage.statusRequests()).toHaveLength(1);
    expect(slack.unexpected).toEqual([]);
  }, 60_000);

  it('resumes a run half done when the bot starts again after a SIGKILL, and reports it once', async () => {
    const file = join(dir, 'state', 'bot.sqlite');
    const first = await bot(file);
    const ids = Array.from({ length: 30 }, (_, i) => `camp_${String(i + 1).padStart(3, '0')}`);
    const message = await request(first, `pause ${ids.join(' ')}`);
    // One chunk is answered at once; the other two are held at MoEngage when the bot dies.
    moengage.delayNext(1, 0);
    moengage.delayNext(2, 8_000);
    await confirm(first, message);
    // Killed once the journal says one chunk is done (read from the bot's own file, as a restart would).
    await slack.waitFor(() => chunkStates(file).filter((s) => s === 'done').length === 1, 10_000);
    await slack.waitFor(() => moengage.statusRequests().length >= 3, 10_000);
    first.kill('SIGKILL');
    await first.exited;

    await bot(file);
    await slack.waitFor(
      () => /details in the thread/.test(messageText(slack.message(CHANNEL, message.ts) as never)),
      30_000,
    );
    for (const id of ids) expect(moengage.campaign(id)?.status).toBe('PAUSED');
    const results = slack.thread(CHANNEL, message.ts).filter((m) => /^Results:/.test(m.text ?? ''));
    expect(results).toHaveLength(1);
    expect(messageText(slack.message(CHANNEL, message.ts) as never)).toContain('30 paused');
    // The two chunks in flight at the kill were sent again (same request_ids); the done one was not.
    const byRequest = Map.groupBy(moengage.statusRequests(), (r) => r.requestId);
    expect([...byRequest.values()].map((sends) => sends.length).sort()).toEqual([1, 2, 2]);
  }, 60_000);

  it('remembers a delivered command across a restart, so Slack’s redelivery does not post it twice', async () => {
    const first = await bot();
    const triggerId = '1700000000.1.abcdef0123456789abcdef0123456789';
    await request(first, 'pause camp_003', triggerId);
    await first.stop();
    const second = await bot();
    await slack.slashCommand(second.url, {
      userId: 'UALICE',
      channelId: CHANNEL,
      text: 'pause camp_003',
      triggerId,
    });
    // A fresh command after it is posted: the redelivery before it was dropped.
    await request(second, 'pause camp_004');
    expect(slack.messages(CHANNEL).map((m) => messageText(m).includes('camp_003'))).toEqual([true, false]);
  }, 60_000);

  it('keeps the audit trail in the file: every step of a run is still there after a restart', async () => {
    const file = join(dir, 'state', 'bot.sqlite');
    const first = await bot(file);
    const message = await request(first, 'pause camp_020 reason: INC-7');
    await confirm(first, message);
    await slack.waitFor(() =>
      /details in the thread/.test(messageText(slack.message(CHANNEL, message.ts) as never)),
    );
    await first.stop();
    await bot(file);
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      const rows = db.prepare('SELECT event, request_id, json FROM audit ORDER BY id').all() as {
        event: string;
        request_id: string;
        json: string;
      }[];
      expect(rows.map((r) => r.event)).toEqual([
        'requested',
        'approved',
        'confirmed',
        'executed',
        'completed',
      ]);
      expect(new Set(rows.map((r) => r.request_id)).size).toBe(1);
      expect(JSON.parse(rows[0]?.json ?? '{}')).toMatchObject({
        user: 'UALICE',
        reason: 'INC-7',
        campaignIds: ['camp_020'],
      });
    } finally {
      db.close();
    }
  }, 60_000);

  it('refuses to start, naming SQLITE_PATH, when the file cannot be opened', async () => {
    // A directory where a file stands: nothing can be created under it.
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, 'x');
    await expect(bot(join(file, 'bot.sqlite'))).rejects.toThrow(/SQLITE_PATH: cannot open/);
  });
});
