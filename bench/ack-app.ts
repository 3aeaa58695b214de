import diagnostics from 'node:diagnostics_channel';
import { parseArgs } from 'node:util';
import { ACK_APPS, type AckAppKind, startAckApp } from './ack-apps.ts';

/**
 * Child-process entry of the ack bench's isolated mode: starts one app (`--app bare|ours|control`) against the
 * simulators in the parent and prints `{"app","port","pid"}` as one JSON line on stdout once it listens.
 *
 *   node bench/ack-app.ts --app ours --slack-url http://127.0.0.1:P --moengage-url http://127.0.0.1:Q
 *
 * Credentials come from the environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, MOENGAGE_WORKSPACE_ID,
 * MOENGAGE_API_KEY, ALLOWED_USER_IDS, ALLOWED_CHANNEL_IDS. Spawned with an IPC channel: the parent asks for
 * `{type:'usage'}` (this process's CPU time and the connections it opened to the Slack simulator), and when the
 * channel closes (the parent exited, however) this process exits. SIGTERM stops the app, then exits.
 */

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    app: { type: 'string' },
    'slack-url': { type: 'string' },
    'moengage-url': { type: 'string' },
  },
});
const kind = values.app as AckAppKind;
const slackUrl = values['slack-url'];
const moengageUrl = values['moengage-url'];
if (!ACK_APPS.includes(kind) || slackUrl === undefined || moengageUrl === undefined) {
  console.error('usage: ack-app.ts --app bare|ours|control --slack-url URL --moengage-url URL');
  process.exit(2);
}
const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') {
    console.error(`ack-app: ${name} is not set`);
    process.exit(2);
  }
  return value;
};

// Outbound connections (Bolt's WebClient uses fetch, which publishes here) to the Slack simulator.
const slackHost = new URL(slackUrl).host;
let slackConnections = 0;
diagnostics.subscribe('undici:client:connected', (message) => {
  const host = (message as { connectParams?: { host?: string } }).connectParams?.host;
  if (host === slackHost) slackConnections += 1;
});

const app = await startAckApp(kind, {
  slackUrl,
  moengageUrl,
  botToken: env('SLACK_BOT_TOKEN'),
  signingSecret: env('SLACK_SIGNING_SECRET'),
  workspaceId: env('MOENGAGE_WORKSPACE_ID'),
  apiKey: env('MOENGAGE_API_KEY'),
  user: env('ALLOWED_USER_IDS'),
  channel: env('ALLOWED_CHANNEL_IDS'),
});

let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  const timer = setTimeout(() => process.exit(code), 3_000);
  timer.unref();
  await app.stop().catch((error: unknown) => console.error(`ack-app: stop failed: ${String(error)}`));
  process.exit(code);
};
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
// The parent is gone (or closed the channel): nothing will ever send to this app again.
process.on('disconnect', () => process.exit(0));
if (process.send !== undefined && !process.connected) process.exit(0);
process.on('message', (message) => {
  if ((message as { type?: unknown }).type !== 'usage') return;
  const cpu = process.cpuUsage();
  process.send?.({ type: 'usage', cpuMs: (cpu.user + cpu.system) / 1000, slackConnections });
});

process.stdout.write(`${JSON.stringify({ app: kind, port: app.port, pid: process.pid })}\n`);
