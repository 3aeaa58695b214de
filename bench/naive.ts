import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { STATUS_PATH } from '../src/moengage/client.ts';
import { MAX_IDS_PER_REQUEST } from '../src/moengage/types.ts';

export interface NaiveReport {
  applied: number;
  failed: number;
  wallMs: number;
  responseMs: number[];
}

/**
 * The baseline: no throttle. Every request is sent at once; a 429 is retried after waiting until
 * `x-ratelimit-reset` (epoch seconds). A request gives up after `maxAttempts` sends so the run always ends.
 */
export async function runNaive(
  url: string,
  credentials: { workspaceId: string; apiKey: string },
  ids: readonly string[],
  maxAttempts = 50,
): Promise<NaiveReport> {
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += MAX_IDS_PER_REQUEST)
    chunks.push(ids.slice(i, i + MAX_IDS_PER_REQUEST));
  const pool = new Pool(new URL(url).origin, { connections: chunks.length });
  const basic = Buffer.from(`${credentials.workspaceId}:${credentials.apiKey}`).toString('base64');
  const headers = {
    authorization: `Basic ${basic}`,
    'moe-appkey': credentials.workspaceId,
    'content-type': 'application/json',
  };
  const responseMs: number[] = [];

  const sendUntilDone = async (campaignIds: string[]): Promise<boolean> => {
    const body = JSON.stringify({ request_id: randomUUID(), action: 'PAUSE', campaign_ids: campaignIds });
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const sent = performance.now();
      let status: number;
      let reset: unknown;
      try {
        const response = await pool.request({ method: 'POST', path: STATUS_PATH, headers, body });
        await response.body.text();
        status = response.statusCode;
        reset = response.headers['x-ratelimit-reset'];
      } catch {
        responseMs.push(performance.now() - sent);
        await sleep(1_000);
        continue;
      }
      responseMs.push(performance.now() - sent);
      if (status !== 429) return status >= 200 && status < 300;
      const resetS = Number(reset);
      await sleep(Number.isFinite(resetS) ? Math.max(0, resetS * 1000 - Date.now()) : 1_000);
    }
    return false;
  };

  const started = performance.now();
  try {
    const done = await Promise.all(chunks.map(sendUntilDone));
    const wallMs = performance.now() - started;
    const applied = chunks.reduce((n, chunk, i) => n + (done[i] ? chunk.length : 0), 0);
    return { applied, failed: ids.length - applied, wallMs, responseMs };
  } finally {
    await pool.close();
  }
}
