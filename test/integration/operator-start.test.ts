import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const ENTRY = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const PASSWORD = 'redis-password-nobody-may-see';

/** A port that nothing listens on: taken from the system, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** `node src/main.ts` as `npm start` runs it, in `cwd`, with `env` and PATH alone; what it printed and its code. */
async function start(cwd: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [ENTRY], { cwd, env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const [code] = await once(child, 'exit');
  const lines = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code: code as number | null, stdout, stderr, lines };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'campaign-bot-start-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('starting the bot as a new operator does', () => {
  it('reads .env under the environment, and says in one line that Redis is unreachable, never its password', async () => {
    const port = await closedPort();
    writeFileSync(
      join(dir, '.env'),
      [
        '# as copied from .env.example and filled in',
        'SLACK_BOT_TOKEN=xoxb-from-the-file',
        'SLACK_SIGNING_SECRET=signing-secret-from-the-file',
        'MOENGAGE_WORKSPACE_ID=WSFROMFILE',
        'MOENGAGE_API_KEY=short',
        'MOENGAGE_DATA_CENTER=01',
        `REDIS_URL=redis://bot:${PASSWORD}@127.0.0.1:${port}/2`,
        '',
      ].join('\n'),
    );
    // The file's MOENGAGE_API_KEY is too short: the environment's wins, so the configuration is valid.
    const run = await start(dir, { MOENGAGE_API_KEY: 'api-key-from-the-environment' });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toBe(
      `Could not start: Redis (redis://127.0.0.1:${port}/2) is unreachable: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
    // The log: the file read, then the one fatal line; no warning per ioredis retry before it.
    expect(run.lines.map((l) => l.msg)).toEqual([
      'read .env (the environment wins where both set one)',
      'could not start',
    ]);
    expect(run.lines[0]).toMatchObject({ variables: 6, overridden: ['MOENGAGE_API_KEY'] });
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    expect(run.stdout + run.stderr).not.toContain('api-key-from-the-environment');
  });

  it('refuses a malformed .env in one line naming the line, before anything else', async () => {
    writeFileSync(join(dir, '.env'), 'SLACK_BOT_TOKEN=xoxb-1\nxapp-a-token-pasted-on-its-own\n');
    const run = await start(dir, {});
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'Could not start: .env: line 2 is not NAME=value (a comment starts with #); fix it or remove the line (nothing was started)\n',
    );
    expect(run.stdout).toBe('');
  });

  it('starts from the environment alone when there is no .env, naming what is missing', async () => {
    const run = await start(dir, { SLACK_BOT_TOKEN: 'xoxb-1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Invalid configuration:');
    expect(run.stderr).toContain('MOENGAGE_WORKSPACE_ID: is required');
    expect(run.stderr).not.toContain('SLACK_BOT_TOKEN');
    expect(run.stderr).not.toContain('.env:');
  });
});
