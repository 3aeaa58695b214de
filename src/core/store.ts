import type { Approval, ApproveResult, CampaignActionRequest, DecideResult, Decision } from './request.ts';

import type { RunStep } from './run-journal.ts';

export type * from './request.ts';
export { approveTransition, decideTransition } from './request.ts';
export { keepUntilOf, runDueOf } from './run-journal.ts';

/**
 * Where requests live. `decide` and `approve` are the atomic steps every transition goes through, so the first
 * click, retry or replica wins and every other one is told who did. Memory and Redis stores; one shared suite.
 */
export interface RequestStore {
  create(request: CampaignActionRequest): Promise<void>;
  get(id: string): Promise<CampaignActionRequest | undefined>;
  setMessageTs(id: string, ts: string): Promise<void>;
  /**
   * Moves a pending request to `to`, once. Confirm and cancel are refused once `expiresAt` has passed
   * ('expired'); expire is refused before it ('not_due').
   */
  decide(id: string, to: Decision, by: string, now: number): Promise<DecideResult>;
  /** Adds an approval; the one completing a grant's count confirms the request (see approveTransition). */
  approve(id: string, approval: Approval): Promise<ApproveResult>;
  /**
   * Pending requests whose time is up by `now`, soonest first (ties by id): the sweeps read them a page at a
   * time (`limit` from `offset`), so what they hold is bounded by the page, not by the backlog. All without.
   */
  dueForExpiry(now: number, page?: DuePage): Promise<CampaignActionRequest[]>;
  /**
   * Applies a pure step to a request atomically (optimistic in Redis: re-read and re-applied on a conflict) and
   * keeps the index of runs in step with it. Undefined when there is no such request.
   */
  update<T>(id: string, step: (r: CampaignActionRequest) => RunStep<T>): Promise<Updated<T> | undefined>;
  /** Ids of confirmed requests without a result whose run's lease has lapsed by `now` (or that have none). */
  runsDue(now: number): Promise<string[]>;
  /**
   * One request at a time per key (a freeze per scope): records `requestId` as the key's holder unless it has
   * one; answers the holder there was, or undefined when this one now holds it. Atomic across replicas.
   */
  hold(key: string, requestId: string): Promise<string | undefined>;
  /** Lets go of the key, only if `requestId` still holds it. */
  release(key: string, requestId: string): Promise<boolean>;
  /** Every key held now, and by which request (App Home lists the freezes). */
  holders(): Promise<Map<string, string>>;
}

/** A page of dueForExpiry: at most `limit` requests, after skipping `offset`. */
export interface DuePage {
  limit: number;
  offset?: number;
}

export interface Updated<T> {
  value: T;
  request: CampaignActionRequest;
}

const list = <T>(v: T[] | Record<string, never> | undefined): T[] => (Array.isArray(v) ? v : []);

/**
 * A stored request as the memory store gives it back: JSON drops undefined fields, and Redis's cjson turns `[]`
 * into `{}` and keeps a claim id of its own.
 */
export function requestFromJson(raw: string): CampaignActionRequest {
  const { claim: _claim, ...r } = JSON.parse(raw) as CampaignActionRequest & { claim?: string };
  return {
    ...r,
    campaignIds: list(r.campaignIds),
    grants: list(r.grants),
    approvals: list(r.approvals).map((a) => ({ by: a.by, at: a.at, rules: list(a.rules) })),
    ...(r.run
      ? {
          run: {
            ...r.run,
            owner: r.run.owner ?? undefined,
            chunks: list(r.run.chunks).map((c) => ({
              ...c,
              ids: list(c.ids),
              ...(c.outcomes ? { outcomes: list(c.outcomes) } : {}),
              ...(c.preset ? { preset: list(c.preset) } : {}),
            })),
          },
        }
      : {}),
    messageTs: r.messageTs ?? undefined,
    decidedBy: r.decidedBy ?? undefined,
    decidedAt: r.decidedAt ?? undefined,
    ...(r.result
      ? { result: { ...r.result, outcomes: Array.isArray(r.result.outcomes) ? r.result.outcomes : [] } }
      : {}),
  };
}
