import { z } from 'zod';

/**
 * The family of errors the MoEngage client produces. Each has a stable `kind` (what the product branches on) and
 * a message written for a person. None carries a credential: requests are never attached, only their request_id.
 */
export class MoEngageError extends Error {
  readonly kind: string = 'moengage_error';
  readonly retryable: boolean = false;
  readonly requestId: string | undefined;
  constructor(message: string, requestId: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.requestId = requestId;
  }
}

/** MoEngage answered with a non-2xx status. */
export class MoEngageHttpError extends MoEngageError {
  override readonly kind: string;
  override readonly retryable: boolean;
  readonly status: number;
  /** MoEngage's own `error.code`, e.g. "400 Bad Request". */
  readonly code: string | undefined;
  /** When MoEngage said to come back (from x-ratelimit-reset or Retry-After), as epoch ms. */
  readonly retryAtMs: number | undefined;
  /** All the text of the error body that a person may need: message, targets and details. */
  readonly detailText: string;
  constructor(init: {
    status: number;
    code: string | undefined;
    message: string;
    requestId: string | undefined;
    retryAtMs: number | undefined;
    detailText: string;
  }) {
    super(init.message, init.requestId);
    this.status = init.status;
    this.code = init.code;
    this.retryAtMs = init.retryAtMs;
    this.detailText = init.detailText;
    this.kind = httpKind(init.status);
    this.retryable = init.status === 429 || init.status === 408 || init.status >= 500;
  }
}

/** The request never produced a response: refused or reset connection, DNS, or our own timeout. */
export class MoEngageNetworkError extends MoEngageError {
  override readonly kind: 'network' | 'timeout';
  override readonly retryable = true;
  /**
   * Whether the request may have reached MoEngage: false only when the connection itself could not be made
   * (refused, no such host), so nothing was written. A timeout or a connection closed after the request was
   * written may hide a change MoEngage made: its answer was lost.
   */
  readonly mayHaveReached: boolean;
  constructor(message: string, requestId: string, timedOut: boolean, cause: unknown) {
    super(message, requestId, { cause });
    this.kind = timedOut ? 'timeout' : 'network';
    this.mayHaveReached = timedOut || !NOT_CONNECTED.includes(errorCode(cause) ?? '');
  }
}

/** Codes that mean no connection was made, so no request was written. */
const NOT_CONNECTED = [
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
];

function errorCode(error: unknown): string | undefined {
  const e = error as { code?: string; cause?: { code?: string } } | undefined;
  return e?.code ?? e?.cause?.code;
}

/** MoEngage's window is spent for longer than the retry budget allows waiting; the request was not sent. */
export class MoEngageRateLimitSpentError extends MoEngageError {
  override readonly kind = 'rate_limited';
}

/**
 * Nothing was sent because of the bot's own side (the shared limiter's Redis away, a store that could not
 * record the send first): the campaigns are untouched, and the same request may simply be sent later.
 */
export class MoEngageNotSentError extends MoEngageError {
  override readonly kind = 'not_sent';
}

/** The caller aborted the status change before this request was sent. */
export class MoEngageCancelledError extends MoEngageError {
  override readonly kind = 'cancelled';
}

function httpKind(status: number): string {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  return 'rejected';
}

// The documented shapes vary (details[].message is sometimes an array of objects), so every field is optional
// and unknown ones pass through; anything that does not fit still yields a readable error below.
const detailSchema = z.looseObject({
  code: z.unknown().optional(),
  target: z.unknown().optional(),
  message: z.unknown().optional(),
});
const errorBodySchema = z.looseObject({
  error: z.looseObject({
    code: z.unknown().optional(),
    message: z.unknown().optional(),
    target: z.unknown().optional(),
    details: z.array(z.unknown()).optional(),
    request_id: z.unknown().optional(),
  }),
});

export interface ParsedErrorBody {
  code: string | undefined;
  message: string;
  /** Message, target and every detail flattened to text, for matching campaign ids and for people. */
  detailText: string;
}

const MAX_ECHO = 300;

/** Turns any error body into a code and a message; never throws. */
export function parseErrorBody(status: number, raw: string): ParsedErrorBody {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    const snippet = raw.trim().slice(0, MAX_ECHO);
    const message = snippet
      ? `MoEngage answered HTTP ${status} with a body that is not JSON: ${snippet}`
      : `MoEngage answered HTTP ${status} with an empty body`;
    return { code: undefined, message, detailText: message };
  }
  const parsed = errorBodySchema.safeParse(json);
  if (!parsed.success) {
    const message = `MoEngage answered HTTP ${status} with an unexpected body: ${raw.trim().slice(0, MAX_ECHO)}`;
    return { code: undefined, message, detailText: message };
  }
  const err = parsed.data.error;
  const details = (err.details ?? []).map((d) => {
    const detail = detailSchema.safeParse(d);
    if (!detail.success) return { target: '', message: text(d) };
    return { target: text(detail.data.target), message: text(detail.data.message) };
  });
  const head = text(err.message) || `HTTP ${status}`;
  // "Authentication required" alone helps nobody; the detail says which credential was wrong. A detail that
  // only repeats the message (the documented 400 does) adds nothing.
  const specific = details
    .filter((d) => d.message && !head.includes(d.message))
    .map((d) => (d.target && !d.message.includes(d.target) ? `${d.target}: ${d.message}` : d.message));
  const message = specific.length > 0 ? `${head} (${specific.join('; ')})` : head;
  const detailText = [head, text(err.target), ...details.map((d) => `${d.target}: ${d.message}`)].join('\n');
  return {
    code: text(err.code) || undefined,
    message: message.slice(0, 1_000),
    detailText,
  };
}

/** Flattens whatever a field holds (string, number, object, array of objects) into plain text. */
function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(text).filter(Boolean).join('; ');
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('message' in o) return [text(o.target), text(o.message)].filter(Boolean).join(': ');
    return JSON.stringify(value);
  }
  return '';
}
