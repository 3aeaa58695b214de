/**
 * The ports the lifecycle and the doors name, each implemented in memory, SQLite and Redis by `stores/`: one
 * place every door and store agrees on.
 */

import type { CampaignAction } from './actions.ts';
import type { AuditEvent } from './audit.ts';
import type { CampaignInfo } from './campaign-info.ts';
import type { CatalogEntry } from './catalog.ts';
import type { StatusChangeReport } from './report.ts';
/**
 * Idempotency-Key support: the first call with a key records its answer; a retry with the same key (and body)
 * gets that answer back instead of acting again, on any replica when backed by Redis.
 */
export type Begin =
  | { state: 'new' }
  | { state: 'pending'; fingerprint: string }
  | { state: 'done'; fingerprint: string; status: number; body: unknown };

export interface IdempotencyStore {
  begin(key: string, fingerprint: string): Promise<Begin>;
  /** Records held (tests and metrics; the memory store only). */
  size?: () => number;
  finish(key: string, fingerprint: string, status: number, body: unknown): Promise<void>;
  /** Forgets a key whose call failed on our side, so a retry may try again. */
  abandon(key: string): Promise<void>;
}

/**
 * Where the audit trail is kept beside the log: the same events (one per step), in the store that outlives the
 * process, so "who paused what, when" survives a restart and a log rotation. Appends only; a failure to record
 * is the caller's to log, never a reason to stop an action.
 */
export interface AuditTrail {
  append(event: AuditEvent, at: number): Promise<void>;
  /** The newest `limit` events, oldest first (for tests and, later, the history command). */
  recent(limit: number): Promise<(AuditEvent & { at: number })[]>;
  /** Events at or after `sinceMs`, oldest first, at most `limit`. */
  since(sinceMs: number, limit: number): Promise<(AuditEvent & { at: number })[]>;
  /**
   * One page of the events at or after `sinceMs`, oldest first (in the order they were kept), after the cursor
   * `after` that the previous page gave as `next`; `next` is undefined on the last page. For long reads (the
   * export) in pieces, none of them a large answer from the store.
   */
  page(sinceMs: number, after: string | undefined, limit: number): Promise<AuditPage>;
}

export interface AuditPage {
  events: (AuditEvent & { at: number })[];
  next: string | undefined;
}

/**
 * Remembers deliveries already handled (a slash command's trigger_id, a click's action_ts), so a delivery Slack
 * repeats — a retry after a slow answer, a Socket Mode envelope redelivered to another connection — is done once,
 * on whichever replica sees it first.
 */
export interface Deduper {
  /** True the first time `key` is seen within `ttlMs`, false after. */
  firstTime(key: string, ttlMs?: number): Promise<boolean>;
}

/**
 * Tells whoever waits on a request (a Workflow step, the API's long poll) that it changed, on this replica or
 * another, so `settled` waits without polling. In memory for one process; Redis pub/sub for replicas.
 */
export interface ChangeFeed {
  publish(requestId: string): void;
  /** Calls `fn` with the id of every request that changed; returns the unsubscribe. */
  subscribe(fn: (requestId: string) => void): () => void;
  close(): Promise<void>;
}

/**
 * Where a workspace's campaign catalog is kept (core/catalog.ts), shared by replicas: each keeps a searchable
 * copy in memory and reloads it when `version` moves; one replica at a time refreshes it (`lease`).
 */
export interface CatalogStore {
  load(workspace: string): Promise<CatalogSnapshot>;
  /** Changes on every write: a replica whose copy is of another version reloads. */
  version(workspace: string): Promise<string>;
  /** Adds or replaces these entries (a page of a listing, campaigns the bot just changed). */
  upsert(workspace: string, entries: readonly CatalogEntry[]): Promise<void>;
  /** A full listing that began at `startedAt` has ended: entries not seen since are gone from MoEngage. */
  finishListing(workspace: string, startedAt: number, at: number): Promise<{ removed: number }>;
  /** True when `owner` holds (or now takes) the workspace's refresh for `ms`; false while another holds it. */
  lease(workspace: string, owner: string, ms: number): Promise<boolean>;
  release(workspace: string, owner: string): Promise<void>;
}

export interface CatalogSnapshot {
  entries: CatalogEntry[];
  /** When the last full listing ended (undefined until one has). */
  fullAt: number | undefined;
  version: string;
}

/** A place in the MoEngage limiters' queues: lower runs first (PAUSE and STOP before RESUME). */
export type Priority = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

export interface StatusChangeOptions {
  /** Lower runs first; by default PAUSE and STOP (incident brakes) jump ahead of RESUME. */
  priority?: Priority;
  signal?: AbortSignal;
  /**
   * The request_id of the first chunk (a durable run reuses its chunk's id on every retry and takeover); the
   * others, and the parts of a split, get new ones.
   */
  requestId?: string;
  /**
   * Asked once, just before the first request of this change is handed to MoEngage (in its limiter slot, not
   * while it is queued): a durable run records the send there first. False: send nothing (the run was taken
   * over); a throw: nothing is sent, and the ids come back `not_sent`.
   */
  beforeSend?: () => Promise<boolean>;
  /** Who asked (a user or a token): requesters take turns at the shared rate within a priority. */
  requester?: string;
}

/** What the lifecycle asks of MoEngage's status API (the MoEngage client; a fake in a test). */
export interface CampaignExecutor {
  /** Ids per MoEngage request (10 for V1, 1 for V5); a run is planned in chunks this size. */
  readonly chunkSize?: number;
  /** About how long `requests` more take, from the limiter's schedule (for the progress line). */
  estimateMs?(requests: number): number;
  changeCampaignStatus(
    action: CampaignAction,
    campaignIds: readonly string[],
    options?: StatusChangeOptions,
  ): Promise<StatusChangeReport>;
}

/** What the lifecycle needs of MoEngage's campaign search (src/moengage/search.ts). */
export interface CampaignLookup {
  /** About how long a lookup of this many ids takes at the search's limits. */
  estimateMs?(ids: number): number;
  lookup(
    ids: readonly string[],
    priority?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9,
    requester?: string,
  ): Promise<
    | { ok: true; found: Map<string, CampaignInfo> }
    | { ok: false; reason: 'unavailable' | 'failed'; message: string }
  >;
  /** Every campaign in these statuses (and channels), paged (a freeze); absent where the search cannot list. */
  list?(
    filter: { statuses: readonly string[]; channels?: readonly string[] },
    options?: { priority?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9; requester?: string },
  ): Promise<
    | { ok: true; campaigns: CampaignInfo[]; pages: number; truncated: boolean }
    | { ok: false; reason: 'unavailable' | 'failed'; message: string }
  >;
}
