import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Harness, startHarness } from '../support/bot-harness.ts';

/**
 * The MCP conformance suite (`@modelcontextprotocol/conformance`, pinned) plays a client against the agent door of a
 * real bot, offline: the suite's server scenarios for spec 2025-11-25, with the expected failures in
 * test/mcp-conformance-baseline.yml (each with why). The suite sends no Authorization header, so this instance takes
 * a client without a token as an agent the policy grants nothing (a test-only option, never the environment's).
 * `npm run test:conformance` runs this file alone.
 */

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const CLI = root('node_modules/@modelcontextprotocol/conformance/dist/index.js');
const BASELINE = root('test/mcp-conformance-baseline.yml');
const GUARD = root('test/support/offline-guard.ts');
/** The scenarios that need no fixture tool, resource or prompt of the suite's own: all must pass. */
const FIXTURE_FREE = ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection'];
const BOUND_MS = 60_000;

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** Runs the suite's CLI (as `npx @modelcontextprotocol/conformance server …` would) with the network guarded off. */
function conformance(url: string): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const started = performance.now();
  const args = ['server', '--url', url, '--spec-version', '2025-11-25', '--expected-failures', BASELINE];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', GUARD, CLI, ...args], {
      // Nothing is written without `-o`; a temporary directory all the same, never the repository.
      cwd: tmpdir(),
      env: { PATH: process.env.PATH, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), BOUND_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, ms: performance.now() - started });
    });
  });
}

describe('the agent door against the MCP conformance suite', () => {
  it(
    'passes every fixture-free scenario, and fails only what the baseline lists, offline and within a minute',
    async () => {
      const bot = await startHarness({}, { mcpOpenAgent: 'conformance' });
      h = bot;
      const run = await conformance(`http://127.0.0.1:${bot.bot.port}/mcp`);
      expect(run.err).not.toContain('offline guard: blocked');
      expect(run.ms).toBeLessThan(BOUND_MS);
      const summary = new Map(
        [...run.out.matchAll(/^[✓✗] ([\w-]+): (\d+) passed, (\d+) failed/gm)].map((m) => [
          m[1] as string,
          { passed: Number(m[2]), failed: Number(m[3]) },
        ]),
      );
      expect(summary.size, run.out).toBeGreaterThanOrEqual(25);
      for (const scenario of FIXTURE_FREE) {
        expect(summary.get(scenario), scenario).toEqual({ passed: expect.any(Number), failed: 0 });
        expect(summary.get(scenario)?.passed, scenario).toBeGreaterThan(0);
      }
      // Exit 0: every failure is in the baseline, and nothing in the baseline passes now (the suite checks both).
      expect(run.code, `${run.out}\n${run.err}`).toBe(0);
      const expected = (parse(readFileSync(BASELINE, 'utf8')) as { server: string[] }).server;
      for (const scenario of expected) expect(summary.has(scenario), `${scenario} was run`).toBe(true);
      // The agent the suite came in as was granted nothing: nothing was proposed.
      expect(bot.slack.callsTo('chat.postMessage')).toHaveLength(0);
    },
    BOUND_MS + 20_000,
  );

  it('gives a reason for every expected failure', () => {
    const lines = readFileSync(BASELINE, 'utf8').split('\n');
    const entries = lines.flatMap((line, i) => (/^\s+- [\w-]+$/.test(line) ? [i] : []));
    expect(entries.length).toBeGreaterThan(0);
    // Each entry sits under a comment (its group's reason), with only other entries between.
    for (const i of entries) {
      let j = i - 1;
      while (j >= 0 && /^\s+- [\w-]+$/.test(lines[j] ?? '')) j--;
      expect(lines[j], `line ${i + 1}`).toMatch(/^\s+# \S/);
    }
  });
});
