import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Node keeps what it compiled (TypeScript stripped, V8's code) on disk: the bot processes tests start, the CLI and
// the demo load the same modules again and again. Set here, it reaches the workers and what they spawn.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'campaign-bot-test-compile-cache');

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Two cores: integration files each start their own servers on free ports.
    maxWorkers: 2,
    // A worker runs file after file with the modules it has loaded, instead of a fresh process per file: loading
    // the bot's modules again was half the CPU of the run. The files share no state (each starts its own bots,
    // simulators and Redis prefix, and restores what it changes, e.g. fake timers).
    isolate: false,
  },
});
