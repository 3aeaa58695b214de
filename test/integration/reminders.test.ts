import { afterEach, describe, expect, it } from 'vitest';
import { CHANNEL, type Harness, messageText, startHarness } from '../support/bot-harness.ts';

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const threadText = (ts: string) =>
  h.slack
    .thread(CHANNEL, ts)
    .map((m) => messageText(m))
    .join('\n');

describe('reminders for a confirmation nobody approves', () => {
  it('reminds its approvers once, at half its time, in its thread (not the requester)', async () => {
    h = await startHarness({ CONFIRMATION_TTL_SECONDS: '3' });
    await h.command('UALICE', 'pause camp_001');
    const message = await h.latestMessage();
    const reply = await h.slack.waitFor(() => h.slack.thread(CHANNEL, message.ts)[0], 5_000);
    const text = messageText(reply);
    expect(text).toContain('Still waiting for approval');
    expect(text).toContain('<@UBOB>');
    expect(text).toContain('<!subteam^SONCALL>');
    expect(text).not.toContain('<@UALICE>');
    // Once: by the expiry there is still one reminder.
    await h.slack.waitFor(
      () => messageText(h.slack.message(CHANNEL, message.ts) as never).includes('expired at'),
      6_000,
    );
    expect(
      h.slack.thread(CHANNEL, message.ts).filter((m) => /Still waiting/.test(messageText(m))),
    ).toHaveLength(1);
  });

  it('escalates a STOP that waits longer than ESCALATE_AFTER_MINUTES to ESCALATE_TO, once, and not a PAUSE', async () => {
    h = await startHarness({ ESCALATE_TO: 'SLEADS' }, { timings: { escalateAfterMs: 300 } });
    await h.command('UALICE', 'stop once_001');
    const stop = await h.latestMessage();
    await h.command('UALICE', 'pause camp_002');
    const pause = await h.slack.waitFor(() => h.slack.messages(CHANNEL)[1]);
    await h.slack.waitFor(() => /this STOP/.test(threadText(stop.ts)), 5_000);
    expect(threadText(stop.ts)).toContain('<!subteam^SLEADS> this STOP of 1 campaign has waited');
    await new Promise((r) => setTimeout(r, 500));
    expect(threadText(stop.ts).match(/this STOP/g)).toHaveLength(1);
    expect(threadText(pause.ts)).not.toContain('SLEADS');
  });

  it('says nothing once someone has approved', async () => {
    h = await startHarness({ CONFIRMATION_TTL_SECONDS: '2' });
    await h.command('UALICE', 'pause camp_003');
    const message = await h.latestMessage();
    await h.click('UBOB', message, 'campaign_confirm');
    await h.slack.waitFor(() =>
      messageText(h.slack.message(CHANNEL, message.ts) as never).includes('details in the thread'),
    );
    await new Promise((r) => setTimeout(r, 1_500));
    expect(threadText(message.ts)).not.toContain('Still waiting');
  });
});
