import { afterEach, describe, expect, it } from 'vitest';
import { StartupError, startBot } from '../../src/compose.ts';
import { loadConfig } from '../../src/config.ts';
import type { RequestStore } from '../../src/core/store.ts';
import { startSlackSim } from '../../src/sandbox/slack-sim.ts';
import { createMemoryStore } from '../../src/stores/memory-store.ts';
import {
  BOT_TOKEN,
  CHANNEL,
  type Harness,
  hasButtons,
  messageText,
  SIGNING_SECRET,
  startHarness,
} from '../support/bot-harness.ts';
import { memoryLogger } from '../support/fixtures.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('bot start-up and failure handling', () => {
  it('fails with a clear StartupError, not an unhandled rejection, when auth.test rejects the token', async () => {
    const slack = await startSlackSim({ botToken: 'xoxb-the-right-one', signingSecret: SIGNING_SECRET });
    const config = loadConfig({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: `${slack.url}/api/`,
      PORT: '0',
      MOENGAGE_WORKSPACE_ID: 'WS0001',
      MOENGAGE_API_KEY: 'some-api-key',
      MOENGAGE_DATA_CENTER: '01',
    });
    const log = memoryLogger();
    const started = startBot(config, log.logger, { timings: { slackRetries: 0 }, host: '127.0.0.1' });
    await expect(started).rejects.toBeInstanceOf(StartupError);
    await expect(started).rejects.toThrow(
      'Slack auth.test failed (invalid_auth): check SLACK_BOT_TOKEN and SLACK_API_URL',
    );
    expect(log.raw()).not.toContain(BOT_TOKEN);
    await slack.close();
  });

  it('tells the requester when something breaks after the acknowledgement, instead of going silent', async () => {
    const memory = createMemoryStore();
    const broken: RequestStore = {
      ...memory,
      create: async () => {
        throw new Error('disk on fire');
      },
    };
    h = await startHarness({}, { store: broken });
    await h.command('UALICE', 'pause camp_001');
    const harness = h;
    const response = await harness.slack.waitFor(() => harness.slack.responses[0]);
    expect(JSON.stringify(response.body)).toContain(
      "I could not record the request: the bot's storage is unavailable. Nothing was proposed and nothing was sent to MoEngage",
    );
    expect(harness.moengage.statusRequests()).toHaveLength(0);
    expect(harness.log.lines().some((l) => l.msg === 'could not store the request')).toBe(true);
  });
});

describe('when the store fails after the confirmation is posted', () => {
  it('takes the buttons down and tells the requester nothing was requested', async () => {
    const memory = createMemoryStore();
    const failing: RequestStore = {
      ...memory,
      setMessageTs: async () => {
        throw new Error('Redis went away');
      },
    };
    h = await startHarness({}, { store: failing });
    await h.command('UALICE', 'pause camp_001');
    const harness = h;
    const response = await harness.slack.waitFor(() => harness.slack.responses[0]);
    expect(JSON.stringify(response.body)).toContain('I could not record the request');
    const message = await harness.slack.waitFor(() => {
      const m = harness.slack.messages(CHANNEL)[0];
      return m && m.versions.length >= 2 && m;
    });
    expect(hasButtons(message)).toBe(false);
    expect(messageText(message)).toContain('could not be recorded');
  });
});
