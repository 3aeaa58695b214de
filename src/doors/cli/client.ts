import { Agent, request } from 'undici';

/** The runbook API's resource as it comes over the wire (see src/doors/http/runbook/api.ts `describe`). */
export interface ActionResource {
  id: string;
  action: string;
  campaign_ids: string[];
  reason: string | null;
  channel_id: string;
  requested_by: string;
  status: 'pending' | 'running' | 'completed' | 'cancelled' | 'expired';
  decided_by: string | null;
  created_at: string;
  expires_at: string;
  progress?: {
    total: number;
    done: number;
    applied: number;
    already: number;
    skipped: number;
    failed: number;
    /** Absent from servers older than the `uncertain` status. */
    uncertain?: number;
    eta_seconds: number | null;
  } | null;
  result: {
    applied: number;
    failed: number;
    completed_at: string;
    already?: number;
    skipped?: number;
    uncertain?: number;
    outcomes: {
      campaign_id: string;
      status: 'applied' | 'already' | 'skipped' | 'failed' | 'uncertain';
      error?: string;
      note?: string;
    }[];
  } | null;
}

export interface ProposeBody {
  action: string;
  /** Ids and dashboard links. */
  campaign_ids?: string[];
  /** Names or parts of them: each must find one campaign (409 ambiguous_name lists several). */
  campaign_names?: string[];
  group?: string;
  reason?: string;
  channel_id: string;
  requested_by?: string;
}

export type Answer =
  | { ok: true; resource: ActionResource }
  /** The bot answered 4xx: it will not do this, and asking again will not change that. */
  | {
      ok: false;
      kind: 'refused';
      status: number;
      code: string;
      message: string;
      field?: string;
      /** 409 ambiguous_name: each name that matched several campaigns, with them; `missing`: names that matched none. */
      choices?: NameChoices[];
      missing?: string[];
    }
  /** No answer, or 5xx, even after retries. */
  | { ok: false; kind: 'unreachable'; message: string };

/** One name of a 409 ambiguous_name and the campaigns it matched (see docs/openapi.yaml, ErrorBody). */
export interface NameChoices {
  query: string;
  more: boolean;
  candidates: { id: string; name: string; status: string; channel?: string }[];
}

type Attempt = Answer | { retry: string };

export interface ClientOptions {
  url: string;
  token: string;
  /** Waits between attempts; its length is the number of retries. */
  retryDelaysMs?: readonly number[];
  /** Per HTTP call: connect, headers and body each. */
  timeoutMs?: number;
}

export const API_PATH = '/api/v1/campaign-actions';

/**
 * The server's text without the characters a terminal acts on: C0 and C1 controls (escape sequences that could
 * rewrite the table, move the cursor or set the clipboard), DEL, and the bidirectional overrides that reorder what
 * is shown. JSON escapes them as \u001b and the like, so they are taken out after parsing, from every string.
 */
export function printable(text: string): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return strip(text);
  }
  return JSON.stringify(deepStrip(json));
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters being removed.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function strip(s: string): string {
  return s.replace(UNSAFE, (c) => (c === '\n' || c === '\t' ? ' ' : '?'));
}

function deepStrip(value: unknown): unknown {
  if (typeof value === 'string') return strip(value);
  if (Array.isArray(value)) return value.map(deepStrip);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [strip(k), deepStrip(v)]));
  return value;
}

export function createClient(options: ClientOptions) {
  const delays = options.retryDelaysMs ?? [500, 1000, 2000];
  const timeout = options.timeoutMs ?? 15_000;
  const agent = new Agent({ connect: { timeout }, headersTimeout: timeout, bodyTimeout: timeout });
  const base = `${options.url.replace(/\/+$/, '')}${API_PATH}`;

  async function once(
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Attempt> {
    let status: number;
    let text: string;
    try {
      const res = await request(url, {
        method,
        dispatcher: agent,
        headers: { accept: 'application/json', authorization: `Bearer ${options.token}`, ...headers },
        ...(body === undefined ? {} : { body }),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (error) {
      return { retry: `no answer from ${options.url}: ${networkError(error)}` };
    }
    // Everything the server says is printed to a terminal: its control characters go first (see printable).
    text = printable(text);
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const error = (
      json as
        | {
            error?: {
              code?: unknown;
              message?: unknown;
              field?: unknown;
              choices?: unknown;
              missing?: unknown;
            };
          }
        | undefined
    )?.error;
    const message = typeof error?.message === 'string' ? error.message : text.slice(0, 200) || '(no body)';
    // A retry of ours may find the first attempt still being handled under the same Idempotency-Key.
    if (status >= 500 || (status === 409 && error?.code === 'in_progress')) {
      return { retry: `the bot answered ${status}: ${message}` };
    }
    if (status >= 400) {
      return {
        ok: false,
        kind: 'refused',
        status,
        code: typeof error?.code === 'string' ? error.code : 'refused',
        message,
        ...(typeof error?.field === 'string' ? { field: error.field } : {}),
        ...(error?.code === 'ambiguous_name' ? choicesOf(error.choices, error.missing) : {}),
      };
    }
    if (!isResource(json)) {
      return {
        ok: false,
        kind: 'unreachable',
        message: `${url} answered ${status} without a campaign action`,
      };
    }
    return { ok: true, resource: json };
  }

  async function call(
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      const got = await once(method, url, headers, body);
      if (!('retry' in got)) return got;
      const delay = delays[attempt];
      if (delay === undefined) {
        return {
          ok: false,
          kind: 'unreachable',
          message: `${got.retry} (tried ${attempt + 1} times)`,
        } as const;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  return {
    /** POSTs the action; the same Idempotency-Key goes with every retry, so the bot acts at most once. */
    propose: (body: ProposeBody, idempotencyKey: string): Promise<Answer> =>
      call(
        'POST',
        base,
        { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        JSON.stringify(body),
      ),
    get: (id: string): Promise<Answer> => call('GET', `${base}/${encodeURIComponent(id)}`, {}),
    close: () => agent.close(),
  };
}

export type Client = ReturnType<typeof createClient>;

/** The choices of a 409 ambiguous_name, as far as they have the documented shape (anything else is left out). */
function choicesOf(choices: unknown, missing: unknown): { choices: NameChoices[]; missing: string[] } {
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const list = Array.isArray(choices) ? choices : [];
  return {
    choices: list.map((c: Partial<Record<keyof NameChoices, unknown>>) => ({
      query: text(c?.query),
      more: c?.more === true,
      candidates: (Array.isArray(c?.candidates) ? c.candidates : []).map(
        (e: Partial<Record<string, unknown>>) => ({
          id: text(e?.id),
          name: text(e?.name),
          status: text(e?.status),
          ...(typeof e?.channel === 'string' ? { channel: e.channel } : {}),
        }),
      ),
    })),
    missing: Array.isArray(missing) ? missing.filter((m): m is string => typeof m === 'string') : [],
  };
}

function isResource(json: unknown): json is ActionResource {
  const r = json as Partial<ActionResource> | undefined;
  return typeof r?.id === 'string' && typeof r.status === 'string' && Array.isArray(r.campaign_ids);
}

/** `connect ECONNREFUSED 127.0.0.1:1`, also when happy eyeballs wraps several attempts in an AggregateError. */
function networkError(error: unknown): string {
  const first = error instanceof AggregateError ? error.errors[0] : error;
  const e = first as { message?: string; code?: string } | undefined;
  return e?.message || e?.code || String(error);
}
