import { describe, expect, it } from 'vitest';
import { pacedPort } from '../../../src/slack/paced-port.ts';
import { drawn, SlackCallError, type SlackPort } from '../../../src/slack/port.ts';
import type { SlackMessage } from '../../../src/slack/views/blocks.ts';
import { memoryLogger } from '../../support/fixtures.ts';

const msg = (text: string): SlackMessage => ({ text, blocks: [] });

/** A Slack that rate-limits what `limited` says, recording every call it takes. */
function fakeSlack(limited: (method: string, channel: string, n: number) => number | undefined) {
  const calls: { method: string; channel: string; text: string; at: number }[] = [];
  const seen = new Map<string, number>();
  const take = (method: string, channel: string, text: string) => {
    const n = (seen.get(`${method}:${channel}`) ?? 0) + 1;
    seen.set(`${method}:${channel}`, n);
    const wait = limited(method, channel, n);
    if (wait !== undefined) throw new SlackCallError(method, 'ratelimited', { retryAfterMs: wait });
    calls.push({ method, channel, text, at: Date.now() });
  };
  const port: SlackPort = {
    async postMessage(channel, message) {
      take('chat.postMessage', channel, (await drawn(message)).text);
      return String(calls.length);
    },
    async updateMessage(channel, _ts, message) {
      await new Promise((r) => setTimeout(r, 20));
      take('chat.update', channel, message.text);
    },
    async postEphemeral(channel, _user, text) {
      take('chat.postEphemeral', channel, text);
    },
    async groupMembers() {
      throw new Error('not expected');
    },
    async finishStep() {
      throw new Error('not expected');
    },
    async publishHome() {
      throw new Error('not expected');
    },
    async openView() {
      throw new Error('not expected');
    },
    async unfurl() {
      throw new Error('not expected');
    },
  };
  return { port, calls };
}

describe('the per-channel Slack pacer', () => {
  it('waits out a 429 in its channel only: another channel’s post goes first', async () => {
    const slack = fakeSlack((_method, channel, n) => (channel === 'CA' && n === 1 ? 300 : undefined));
    const paced = pacedPort(slack.port, { log: memoryLogger().logger, postsPerSecond: 50, burst: 5 });
    const a = paced.postMessage('CA', msg('a1'));
    await new Promise((r) => setTimeout(r, 20));
    await paced.postMessage('CB', msg('b1'));
    await a;
    expect(slack.calls.map((c) => c.text)).toEqual(['b1', 'a1']);
  });

  it('paces a channel’s posts: a burst, then the rate', async () => {
    const slack = fakeSlack(() => undefined);
    const paced = pacedPort(slack.port, { log: memoryLogger().logger, postsPerSecond: 10, burst: 2 });
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 6 }, (_, i) => paced.postMessage('CA', msg(`p${i}`))));
    const rel = slack.calls.map((c) => c.at - t0);
    // Two at once, then one every ~100 ms: the last no sooner than 4 intervals in.
    expect(rel[1] as number).toBeLessThan(80);
    expect(rel[5] as number).toBeGreaterThanOrEqual(350);
    expect(slack.calls.map((c) => c.text)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
  });

  it('shows an edit of a message already up before the posts still queued in its channel', async () => {
    const slack = fakeSlack(() => undefined);
    // The next post is due 250 ms after the first: the edit (20 ms) has that long to go out before it.
    const paced = pacedPort(slack.port, { log: memoryLogger().logger, postsPerSecond: 4, burst: 1 });
    const posts = Array.from({ length: 5 }, (_, i) => paced.postMessage('CA', msg(`p${i}`)));
    await posts[0];
    await paced.updateMessage('CA', '1', msg('p0 expired'));
    // The edit went out while four posts still waited for the channel's rate.
    expect(slack.calls.map((c) => c.text)).toEqual(['p0', 'p0 expired']);
    await Promise.all(posts);
    expect(slack.calls.map((c) => c.text)).toEqual(['p0', 'p0 expired', 'p1', 'p2', 'p3', 'p4']);
  });

  it('posts a reply in a thread already up before the new messages still queued in its channel', async () => {
    const slack = fakeSlack(() => undefined);
    // As above: the reply has 250 ms to go out before the next post is due.
    const paced = pacedPort(slack.port, { log: memoryLogger().logger, postsPerSecond: 4, burst: 1 });
    const posts = Array.from({ length: 4 }, (_, i) => paced.postMessage('CA', msg(`p${i}`)));
    await posts[0];
    await paced.postMessage('CA', msg('reminder in p0'), '1');
    await Promise.all(posts);
    expect(slack.calls.map((c) => c.text)).toEqual(['p0', 'reminder in p0', 'p1', 'p2', 'p3']);
  });

  it('coalesces edits of one message still queued: the latest state wins', async () => {
    const slack = fakeSlack(() => undefined);
    const paced = pacedPort(slack.port, { log: memoryLogger().logger });
    const first = paced.updateMessage('CA', '1.0', msg('v1'));
    const rest = ['v2', 'v3', 'v4'].map((v) => paced.updateMessage('CA', '1.0', msg(v)));
    await Promise.all([first, ...rest]);
    const sent = slack.calls.map((c) => c.text);
    // v1 may already have been under way; v2 and v3 never go out, and v4 is what the message ends with.
    expect(sent.at(-1)).toBe('v4');
    expect(sent).not.toContain('v2');
    expect(sent).not.toContain('v3');
  });

  it('gives a call up after its retries, counting it, and throws it to the caller', async () => {
    const slack = fakeSlack(() => 10);
    const given: string[] = [];
    const paced = pacedPort(slack.port, {
      log: memoryLogger().logger,
      maxAttempts: 3,
      onGivenUp: (method, code) => given.push(`${method}:${code}`),
    });
    await expect(paced.postMessage('CA', msg('x'))).rejects.toMatchObject({ code: 'ratelimited' });
    expect(given).toEqual(['chat.postMessage:ratelimited']);
  });

  it('gives up at once, without waiting, when Slack asks to wait longer than it may', async () => {
    const slack = fakeSlack(() => 600_000);
    const paced = pacedPort(slack.port, { log: memoryLogger().logger, maxRetryAfterMs: 1_000 });
    const t0 = Date.now();
    await expect(paced.postEphemeral('CA', 'U1', 'x')).rejects.toMatchObject({ code: 'ratelimited' });
    expect(Date.now() - t0).toBeLessThan(500);
  });
});
