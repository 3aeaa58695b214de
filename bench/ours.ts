import type { Logger } from 'pino';
import { MoEngageClient } from '../src/moengage/client.ts';
import type { NaiveReport } from './naive.ts';

/** Our client as production builds it: default sliding limiter, standard retry policy. */
export async function runOurs(
  url: string,
  credentials: { workspaceId: string; apiKey: string },
  ids: readonly string[],
  logger: Logger,
): Promise<NaiveReport> {
  const responseMs: number[] = [];
  const client = new MoEngageClient({
    baseUrl: url,
    workspaceId: credentials.workspaceId,
    apiKey: credentials.apiKey,
    logger,
    onRequest: (event) => responseMs.push(event.ms),
  });
  const started = performance.now();
  try {
    const report = await client.changeCampaignStatus('PAUSE', ids);
    const wallMs = performance.now() - started;
    return { applied: report.applied, failed: report.failed, wallMs, responseMs };
  } finally {
    await client.close();
  }
}
