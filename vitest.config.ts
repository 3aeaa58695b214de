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
    // Bounds for failures only: a test waits for events, and on a loaded two-core machine a bot process, a child
    // CLI or a Sentinel failover can take many seconds to get there (the waits inside are bounded at 30 s).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two files at a time on two cores. Four were faster (measured on a loaded 2-core machine: 2 workers 301 s, 3 224 s,
    // 4 169 s), but four at once on a machine already loaded let the failover tests' runs outlast their bounds (a
    // clean-clone CI run failed two of them): correctness over speed. Each file starts its own servers on free ports
    // and uses a Redis key prefix of its own.
    maxWorkers: 2,
    // A worker runs file after file with the modules it has loaded, instead of a fresh process per file: loading
    // the bot's modules again was half the CPU of the run. The files share no state (each starts its own bots,
    // simulators and Redis prefix, and restores what it changes, e.g. fake timers).
    isolate: false,
  },
});
