import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { request } from 'undici';
import type { CallLimiter } from './limiter.ts';
import { V1_SEARCH_PATH, V5_SEARCH_PATH } from './search.ts';
import { moengageHeaders, type StatusApiVersion } from './send.ts';

/**
 * Whether MoEngage takes the workspace's credentials, asked at start and then now and then, so a wrong key or
 * data center is found before the first incident and not during it. Only a refusal counts: a MoEngage that
 * cannot be reached (or answers 5xx, 429) says nothing about the key, and the bot can still talk to people.
 *
 * What is asked (the cheapest authenticated calls; MOENGAGE-API.md):
 * 1. a campaign search for one id that does not exist (`limit` 1), through the search's limiter at the lowest
 *    priority: one call of its 100 a minute, every `everyMs`. 200 → accepted, 401 → refused.
 * 2. Only if the search answers 403 (search is enabled per account, so a 403 does not say whether the key is
 *    wrong): the status API with a request that cannot change anything (V1: no campaign ids; V5: an id that
 *    does not exist, with no action), through the status limiter. 400/404/422 → accepted (the gateway let the
 *    key through to the body's checks), 401/403 → refused. Assumed: MoEngage checks credentials before the body,
 *    as the simulator does and as an API gateway usually does.
 */
export type CredentialVerdict =
  | { kind: 'accepted' }
  | { kind: 'refused'; status: number; api: 'search' | 'status' }
  | { kind: 'unknown'; message: string };

export interface CredentialProbeOptions {
  baseUrl: string;
  workspaceId: string;
  apiKey: string;
  apiVersion: StatusApiVersion;
  searchLimiter?: CallLimiter;
  statusLimiter?: CallLimiter;
  timeoutMs?: number;
}

const PROBE_ID = 'credential-check-0000';
const V1_STATUS_PATH = '/core-services/v1/campaigns/status';

export function credentialProbe(o: CredentialProbeOptions): () => Promise<CredentialVerdict> {
  const base = o.baseUrl.replace(/\/+$/, '');
  const headers = moengageHeaders(o.workspaceId, o.apiKey);
  const timeoutMs = o.timeoutMs ?? 10_000;
  const v5 = o.apiVersion === 'v5';
  const call = async (
    limiter: CallLimiter | undefined,
    method: 'POST' | 'PATCH',
    path: string,
    body: unknown,
  ) => {
    const send = async () => {
      const key = randomUUID();
      const res = await request(base + path, {
        method,
        headers: v5 ? { ...headers, 'idempotency-key': key } : headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump();
      return res.statusCode;
    };
    return limiter ? limiter.schedule(9, send, 'credential-check') : send();
  };
  return async () => {
    try {
      const search = await call(
        o.searchLimiter,
        'POST',
        v5 ? V5_SEARCH_PATH : V1_SEARCH_PATH,
        v5
          ? { request_id: randomUUID(), campaign_fields: { ids: [PROBE_ID] }, limit: 1, page: 1 }
          : { request_id: randomUUID(), campaign_fields: { id: PROBE_ID }, limit: 1, page: 1 },
      );
      if (search === 200) return { kind: 'accepted' };
      if (search === 401) return { kind: 'refused', status: 401, api: 'search' };
      if (search !== 403) return { kind: 'unknown', message: `the campaign search answered ${search}` };
      const status = v5
        ? await call(o.statusLimiter, 'PATCH', `/v5/campaigns/${PROBE_ID}/status`, {})
        : await call(o.statusLimiter, 'POST', V1_STATUS_PATH, {
            request_id: randomUUID(),
            action: 'PAUSE',
            campaign_ids: [],
          });
      if (status === 401 || status === 403) return { kind: 'refused', status, api: 'status' };
      if (status === 400 || status === 404 || status === 422) return { kind: 'accepted' };
      return { kind: 'unknown', message: `the status API answered ${status}` };
    } catch (error) {
      return { kind: 'unknown', message: `MoEngage could not be asked (${(error as Error).message})` };
    }
  };
}

/** The readiness check `moengage_credentials`: false (with why) once MoEngage refuses, until it accepts again. */
export interface CredentialWatch {
  check(): Promise<boolean>;
  stop(): void;
}

export function watchCredentials(deps: {
  probe: () => Promise<CredentialVerdict>;
  logger: Logger;
  /** Where the key is sent, for the log line (the base URL: it names the data center). */
  where: string;
  everyMs?: number;
  /** While refused, asked again this often (a key fixed on MoEngage's side is seen soon). */
  refusedEveryMs?: number;
}): CredentialWatch {
  const log = deps.logger.child({ module: 'moengage-credentials' });
  const everyMs = deps.everyMs ?? 10 * 60_000;
  const refusedEveryMs = Math.min(everyMs, deps.refusedEveryMs ?? 60_000);
  let refused: Extract<CredentialVerdict, { kind: 'refused' }> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const round = async () => {
    const verdict = await deps.probe();
    if (verdict.kind === 'refused') {
      if (!refused)
        log.error(
          { check: 'moengage_credentials', status: verdict.status, api: verdict.api, baseUrl: deps.where },
          `MoEngage refused the workspace credentials (HTTP ${verdict.status}): MOENGAGE_API_KEY is wrong or revoked, MOENGAGE_WORKSPACE_ID is not this key's, or MOENGAGE_DATA_CENTER (the base URL) is not the workspace's data center`,
        );
      refused = verdict;
    } else if (verdict.kind === 'accepted') {
      if (refused) log.info({ check: 'moengage_credentials' }, 'MoEngage accepts the credentials again');
      refused = undefined;
    } else {
      // Says nothing about the key: the last verdict stands.
      log.debug({ check: 'moengage_credentials', reason: verdict.message }, 'credentials not checked');
    }
    if (stopped) return;
    timer = setTimeout(() => void round(), refused ? refusedEveryMs : everyMs);
    timer.unref();
  };
  void round();
  return {
    async check() {
      if (!refused) return true;
      throw new Error(
        `MoEngage refused the credentials (HTTP ${refused.status}): check MOENGAGE_API_KEY, MOENGAGE_WORKSPACE_ID and MOENGAGE_DATA_CENTER`,
      );
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
