import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.ts';
import { MoEngageClient, type MoEngageClientOptions } from '../../src/moengage/client.ts';
import { retryPolicies } from '../../src/moengage/retry-policy.ts';
import {
  type MoEngageSim,
  type MoEngageSimOptions,
  startMoEngageSim,
} from '../../src/sandbox/moengage-sim.ts';

export const WORKSPACE_ID = 'TESTWS01';
export const API_KEY = 'moe-test-key-0f9b1c2d3e4f';

/** A logger that keeps its JSON lines in memory, for assertions. */
export function memoryLogger(level = 'debug'): {
  logger: Logger;
  lines: () => Record<string, unknown>[];
  raw: () => string;
} {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  const logger = createLogger(level, sink);
  return {
    logger,
    raw: () => text,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export async function startSim(options: Partial<MoEngageSimOptions> = {}): Promise<MoEngageSim> {
  return startMoEngageSim({ workspaceId: WORKSPACE_ID, apiKey: API_KEY, ...options });
}

export function clientFor(sim: MoEngageSim, logger: Logger, options: Partial<MoEngageClientOptions> = {}) {
  return new MoEngageClient({
    baseUrl: sim.url,
    workspaceId: WORKSPACE_ID,
    apiKey: API_KEY,
    logger,
    retryPolicy: retryPolicies.fast,
    requestTimeoutMs: 2_000,
    ...options,
  });
}
