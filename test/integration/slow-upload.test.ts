import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/http/server.ts';
import type { ChildBot } from '../../src/sandbox/child-bot.ts';
import type { MoEngageSim } from '../../src/sandbox/moengage-sim.ts';
import type { SlackSim } from '../../src/sandbox/slack-sim.ts';
import { ackText, CHANNEL, startChildBotOn, startSimulators } from '../support/bot-harness.ts';

const UPLOADS = 300;
const KiB = 1024;
const MiB = 1024 * KiB;

let moengage: MoEngageSim | undefined;
let slack: SlackSim | undefined;
let bot: ChildBot | undefined;
const uploads: Upload[] = [];
afterEach(async () => {
  for (const u of uploads.splice(0)) u.socket.destroy();
  await bot?.stop();
  await slack?.close();
  await moengage?.close();
});

/** The bot process's resident memory, from the kernel. */
function rssBytes(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (!kib) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kib) * KiB;
}

/** Polls `check` every 20 ms (sampling on the way) until it is true; fails after `ms`. */
async function until(check: () => boolean, ms: number, what: string, sample = () => {}) {
  const deadline = Date.now() + ms;
  for (;;) {
    sample();
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Three kinds of unsigned upload, each of which makes an unbounded reader buffer a lot: one declares Bolt's own
 * 4 MiB limit, one streams chunked with no length, one declares a length Slack's endpoint allows. Each sends a
 * large part of its body at once, then trickles.
 */
const KINDS = [
  { name: 'declares 4 MiB', headers: `Content-Length: ${4 * MiB}`, prefix: 512 * KiB, chunked: false },
  { name: 'chunked', headers: 'Transfer-Encoding: chunked', prefix: 512 * KiB, chunked: true },
  { name: 'declares 250 KiB', headers: `Content-Length: ${250 * KiB}`, prefix: 240 * KiB, chunked: false },
] as const;

interface Upload {
  socket: Socket;
  kind: (typeof KINDS)[number];
  connected: boolean;
  headersSent: boolean;
  prefixSent: boolean;
  closed: boolean;
  received: string;
}

function openUpload(port: number, kind: Upload['kind']): Upload {
  const socket = connect(port, '127.0.0.1');
  const upload: Upload = {
    socket,
    kind,
    connected: false,
    headersSent: false,
    prefixSent: false,
    closed: false,
    received: '',
  };
  socket.on('data', (d: Buffer) => {
    upload.received += d.toString('latin1');
  });
  // The bot closes refused uploads while they are still sending: resets are the point.
  socket.on('error', () => {});
  socket.on('close', () => {
    upload.closed = true;
  });
  socket.once('connect', () => {
    upload.connected = true;
    const head =
      `POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
      `Content-Type: application/x-www-form-urlencoded\r\n${kind.headers}\r\n\r\n`;
    socket.write(head, () => {
      upload.headersSent = true;
    });
  });
  return upload;
}

const frame = (upload: Upload, data: Buffer) =>
  upload.kind.chunked
    ? Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')])
    : data;

const live = () => uploads.filter((u) => !u.closed);

describe('slow unsigned uploads to /slack/events (the real bot in its own process)', () => {
  it('leave the bot within 50 MiB of its memory, and a signed slash command still gets its answer', async () => {
    ({ moengage, slack } = await startSimulators());
    const child = await startChildBotOn({ moengage, slack }, ['UALICE'], {});
    bot = child;
    const pid = child.process.pid as number;
    const sim = slack;
    const help = () => sim.slashCommand(child.url, { userId: 'UALICE', channelId: CHANNEL, text: 'help' });
    // One signed command first, so what the bot loads lazily is not counted as growth.
    expect(ackText(await help())).toContain('/campaign pause|resume|stop');
    const before = rssBytes(pid);
    let peak = before;
    const sample = () => {
      peak = Math.max(peak, rssBytes(pid));
    };

    for (let i = 0; i < UPLOADS; i++) uploads.push(openUpload(child.port, KINDS[i % 3] as Upload['kind']));
    await until(
      () => uploads.every((u) => u.headersSent || u.closed),
      5_000,
      'every upload to send its headers',
      sample,
    );
    const connected = uploads.filter((u) => u.connected).length;
    for (const u of live()) {
      u.socket.write(frame(u, Buffer.alloc(u.kind.prefix, 'a')), () => {
        u.prefixSent = true;
      });
    }
    // A few bytes per second from every upload still open, until the test ends.
    const trickle = setInterval(() => {
      for (const u of live()) u.socket.write(frame(u, Buffer.from('aa')));
    }, 500);
    try {
      // Each prefix is either taken by the bot or refused (the bot answers and closes). Once the bot has read its
      // way through, only uploads within Slack's limit are left, no more of them than the body budget holds.
      const held = Math.ceil(DEFAULT_LIMITS.bodyBudgetBytes / KINDS[2].prefix);
      await until(
        () =>
          uploads.every((u) => u.prefixSent || u.closed) &&
          live().every((u) => u.kind === KINDS[2]) &&
          live().length <= held,
        8_000,
        'the bot to refuse what it cannot hold',
        sample,
      );
      const stillOpen = live().length;
      expect(stillOpen).toBeGreaterThan(0); // the command goes in while uploads still trickle
      const answer = await help();
      sample();
      expect(answer.status).toBe(200);
      expect(ackText(answer)).toContain('/campaign pause|resume|stop');
      expect(answer.ms).toBeLessThan(3_000); // Slack's deadline for an acknowledgement

      const statuses: Record<string, number> = {};
      for (const u of uploads) {
        const status = /^HTTP\/1\.1 (\d{3})/.exec(u.received)?.[1] ?? (u.closed ? 'closed' : 'open');
        const key = `${u.kind.name} → ${status}`;
        statuses[key] = (statuses[key] ?? 0) + 1;
      }
      const growth = (peak - before) / MiB;
      console.info(
        `slow uploads: RSS ${(before / MiB).toFixed(1)} MiB before, peak ${(peak / MiB).toFixed(1)} MiB ` +
          `(+${growth.toFixed(1)} MiB); ${connected} connected, ${stillOpen} still open at the command, ` +
          `signed command answered in ${answer.ms.toFixed(0)} ms; ${JSON.stringify(statuses)}`,
      );
      expect(growth).toBeLessThan(50);
      // No upload was read to its end (which would have been a 401 from Bolt): each was refused, shed, timed out
      // (408: on a loaded machine a slow upload can outlast the request timeout before it is shed) or is open.
      for (const key of Object.keys(statuses)) expect(key).toMatch(/→ (408|413|503|closed|open)$/);
      expect(statuses['declares 4 MiB → 413']).toBeGreaterThan(0);
    } finally {
      clearInterval(trickle);
    }
  }, 30_000);
});
