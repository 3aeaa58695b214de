import type { Logger } from 'pino';
import type { AuditSink, RequestFields } from '../core/audit.ts';
import type { CampaignInfo, JudgeRules } from '../core/campaign-info.ts';
import type { Notifier } from '../core/notifier.ts';
import type { CampaignExecutor } from '../core/ports.ts';
import type { CampaignActionRequest } from '../core/request.ts';
import type { RequestStore } from '../core/store.ts';
import type { ChangeFeed } from './changes.ts';

/** What durable execution (execution.ts and its parts) needs, and what it asks of the MoEngage client. */

export type { CampaignExecutor } from '../core/ports.ts';

export interface ExecutionDeps {
  moengage: CampaignExecutor;
  notifier: Notifier;
  store: RequestStore;
  changes: ChangeFeed;
  emit: AuditSink;
  fields: (r: CampaignActionRequest) => RequestFields;
  now: () => number;
  log: Logger;
  /**
   * Whether what this runner gives back can be continued by another (a replica on Redis, or this bot after a
   * restart on a SQLite file). When not (memory, `:memory:`), a run cut short reports its unsent ids instead.
   */
  handBack: boolean;
  /** A run confirmed longer ago than this is not resumed: its unsent ids are reported as not sent. */
  resumeWindowMs: number;
  /** How long a runner's claim lasts without renewal: how soon another takes over after a crash. */
  leaseMs?: number;
  /** Told the campaigns a run changed, so its copy shows their new status (the campaign catalog). */
  catalog?: { changed(ids: readonly string[]): void };
  /** Counts ids whose chunk two runners sent (a crash mid-send), for the metrics. */
  onRepeated?: (ids: number) => void;
  /** First wait before a run's write (or a chunk our side could not send) is tried again (default 100–200 ms). */
  storeRetryMs?: number;
  /** How often a running request's message shows its progress (default 5 s). */
  progressMs?: number;
  /** How looked-up campaigns are judged (V5 stops more than V1): for the re-check of an old lookup's flags. */
  lookupRules?: JudgeRules;
  /** A lookup older than this when a run starts is looked at again for the ids it flagged (default 30 s). */
  staleLookupMs?: number;
  /**
   * A finished request the index says has work due (a PAUSE "for a while": its reminder or its RESUME); the
   * sweep hands it here (see schedule.ts).
   */
  onDue?: (request: CampaignActionRequest) => Promise<void>;
  /** MoEngage's campaign search, to check the ids whose outcome was uncertain or a refusal (see needsCheck). */
  check?: (
    ids: readonly string[],
  ) => Promise<{ ok: true; found: Map<string, CampaignInfo> } | { ok: false; message: string }>;
}
