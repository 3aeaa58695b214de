import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../main.ts', import.meta.url));

export interface ChildBot {
  process: ChildProcess;
  port: number;
  url: string;
  /** Every JSON log line so far. */
  lines(): Record<string, unknown>[];
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM (the bot drains and exits 0), SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs the real entry point (`node src/main.ts`, as the container does) in its own process with `env`, and
 * resolves once it logs "campaign bot ready". Signals go to the node process itself (npm would not forward them).
 * `process.execPath` is the Node running the caller: the project's Node 24 under `npm run bench` and vitest.
 * The child's environment is `env` and `PATH: path`, nothing else: callers pass their own PATH; it runs in an empty
 * directory of its own, so a developer's `.env` (which main.ts reads from the working directory) never reaches a
 * test's or a bench's bot (a path in `env` must be absolute). A bot not ready
 * within `readyTimeoutMs` (default 60 s: one that cannot reach its store may never be) is SIGKILLed and the promise
 * rejects, so no caller waits forever or leaves a process behind.
 */
export async function startChildBot(
  env: Record<string, string>,
  options: { path: string | undefined; readyTimeoutMs?: number },
): Promise<ChildBot> {
  const cwd = mkdtempSync(join(tmpdir(), 'campaign-bot-child-'));
  const child = spawn(process.execPath, [ENTRY], {
    cwd,
    env: { PATH: options.path ?? '', ...env },
    stdio: 'pipe',
  });
  const lines: Record<string, unknown>[] = [];
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  let timedOut = false;
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = once(child, 'exit').then(([code, signal]) => {
    rmSync(cwd, { recursive: true, force: true });
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const json = JSON.parse(line) as Record<string, unknown>;
          lines.push(json);
          if (json.msg === 'campaign bot ready') resolve(json.port as number);
        } catch {
          // Not a log line.
        }
        nl = buffer.indexOf('\n');
      }
    });
    void exited.then(({ code }) =>
      reject(
        new Error(
          timedOut
            ? `bot not ready within ${readyTimeoutMs} ms (killed): ${stderr}`
            : `bot exited (${code}) before it was ready: ${stderr}`,
        ),
      ),
    );
  });
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, readyTimeoutMs);
  const port = await ready.finally(() => clearTimeout(timer));
  let stopping: ReturnType<ChildBot['stop']> | undefined;
  return {
    process: child,
    port,
    url: `http://127.0.0.1:${port}/slack/events`,
    lines: () => lines,
    stderr: () => stderr,
    exited,
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
    },
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return exited;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
}
