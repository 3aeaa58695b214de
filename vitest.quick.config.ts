import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * The quick lane (`npm run test:quick`): every unit and contract test (manifest, OpenAPI, config, architecture) and
 * one fast end-to-end flow per door, chosen by measured time. It is a first check while working, never the gate:
 * `npm test` (the full run, what CI runs) stays the one full check.
 */
const ONE_FLOW_PER_DOOR = [
  // Slack: /campaign with a group → confirmation → a teammate's Confirm → results in the thread (about 1 s).
  'test/integration/groups-and-reasons.test.ts',
  // Runbook API: a bearer token proposes (202), a person confirms in Slack, GET reports; HMAC, idempotency (~1.5 s).
  'test/integration/runbook-api.test.ts',
  // Hooks: each incident tool's signed sample → the mapped action proposed in the mapped channel (about 2 s).
  'test/integration/hooks.test.ts',
  // MCP: the SDK's own client finds by name, proposes, a person confirms, get_request reports; refusals (~2 s).
  'test/integration/mcp-door.test.ts',
  // CLI: bin/campaign-bot.mjs as a runbook script runs it, against the runbook door (the only CLI flow; about 13 s).
  'test/integration/cli.test.ts',
];

// Spread, not mergeConfig: mergeConfig concatenates `include` with the base's `test/**` and would run everything.
export default defineConfig({
  ...base,
  // Two workers: this lane mostly computes (unit tests), and more only add to the CPU it needs (measured).
  test: { ...base.test, maxWorkers: 2, include: ['test/unit/**/*.test.ts', ...ONE_FLOW_PER_DOOR] },
});
