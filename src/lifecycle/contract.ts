import type { Actor } from '../core/access.ts';
import type { CampaignInfo } from '../core/campaign-info.ts';
import type { FreezeAnswer, FreezeScope } from '../core/freeze.ts';
import type { HistoryEntry } from '../core/history.ts';
import type { HomeData } from '../core/home.ts';
import type { Outcome } from '../core/outcomes.ts';
import type {
  CampaignActionRequest,
  FollowUpKind,
  IncidentRef,
  PauseFor,
  WorkflowStep,
} from '../core/request.ts';
import type { HookSource } from '../core/sources.ts';
import type { CampaignQuery, CampaignsAnswer } from './campaigns.ts';
import type { HomeFacts } from './home.ts';

/**
 * The lifecycle as the doors see it: what each door may ask, and what it answers. Every answer is a code
 * (core/outcomes.ts and the answers beside it), never words: each door says it in its own medium. The doors
 * depend on this interface only; createLifecycle (lifecycle.ts) is the one implementation.
 */
export interface Lifecycle {
  // A request's life, as people and callers drive it.

  /** Checks, authorizes, stores and posts it (or runs it): `proposed`, `running`, `dry_run`, or why not. */
  propose(input: ProposeInput, options?: ProposeOptions): Promise<Outcome>;
  /** A Confirm click: counted; the one completing a rule runs it: `approval_recorded`, `running`, or why not. */
  approve(requestId: string, actor: Actor, seenTs?: string, step?: StepToken): Promise<Outcome>;
  /** A Cancel click: cancels a pending request the actor may cancel: `cancelled`, or why not. */
  cancel(requestId: string, actor: Actor, seenTs?: string, step?: StepToken): Promise<Outcome>;
  /** A result's "Retry failed" or "Undo": proposes that follow-up, once per request: answers as `propose`. */
  followUp(requestId: string, kind: FollowUpKind, actor: Actor): Promise<Outcome>;
  /** "Keep paused" or "Resume now" on a PAUSE for a while: `schedule_changed`, or why not. */
  changeSchedule(pauseId: string, what: 'keep' | 'now', actor: Actor): Promise<Outcome>;
  /** `/campaign freeze`: holds the scope, finds its active campaigns, proposes pausing them: a FreezeAnswer. */
  freeze(input: FreezeInput): Promise<FreezeAnswer>;
  /** `/campaign unfreeze`: proposes the undo of the freeze holding the scope: as `propose`, or `no_freeze`. */
  unfreeze(input: ScopeInput): Promise<FreezeAnswer>;

  // Reads: nothing changes.

  /** A request as the actor may see it: `request`, or `not_found` (also when they may not read it). */
  read(
    requestId: string,
    actor: Actor,
  ): Promise<{ kind: 'request'; request: CampaignActionRequest } | Outcome>;
  /** Waits (no polling) until a request is settled on any replica or time is up: the request as it is then. */
  settled(id: string, timeoutMs: number, signal?: AbortSignal): Promise<CampaignActionRequest | undefined>;
  /** The campaign groups the actor may name in this channel: `groups`, or `denied`. */
  listGroups(
    channelId: string,
    actor: Actor,
  ): Promise<{ kind: 'groups'; groups: [string, readonly string[]][] } | Outcome>;
  /** `/campaign status`: the campaigns as MoEngage shows them: `campaign_status`, or why not. */
  status(input: StatusQuery): Promise<StatusAnswer>;
  /** `/campaign history`: who requested, approved and ran what (the audit trail): `history`, or why not. */
  history(input: HistoryQuery): Promise<HistoryAnswer>;
  /** What a person's App Home shows. */
  home: HomeReads;
  /** The freezes holding their scope now that the actor may read in this channel: `freezes`, or why not. */
  freezes(query: CampaignQuery): Promise<{ kind: 'freezes'; freezes: CampaignActionRequest[] } | Outcome>;
  /** The picker's options: campaigns matching what the actor types, from the catalog: `campaigns`, or why not. */
  findCampaigns(query: CampaignQuery & { query: string; limit: number }): Promise<CampaignsAnswer>;
  /** The campaigns a message points at (ids, links, names): `campaigns`, or why not. */
  campaignsIn(query: CampaignQuery & { text: string; limit: number }): Promise<CampaignsAnswer>;
  /** Calls `fn` with the id of every request that changes, on any replica: the unsubscribe. */
  onChange(fn: (requestId: string) => void): () => void;

  // The sweeps and the shutdown: the composition root runs these, no door.

  /** Starts the sweeps (expiry, takeover of runs, reminders) and takes over the runs left unfinished: once. */
  start(): void;
  /** Stops the sweeps (running executions are drain's). */
  stop(): Promise<void>;

  /** Expires the pending requests whose time is up (each once, audited): how many. */
  expireDue(): Promise<number>;
  /** Reminds the approvers of confirmations nobody approved, escalates waiting STOPs: how many. */
  remindDue(): Promise<number>;
  /** Takes over runs whose runner has gone (`orphans`: all unfinished ones, at start): how many. */
  resumeDue(orphans?: boolean): Promise<number>;
  /** Waits `graceMs` for running executions, then withdraws what is unsent: how many ran, whether cut short. */
  drain(graceMs: number, reportMs?: number): Promise<{ running: number; cutShort: boolean }>;
}

/** What a door asks to propose, as the caller gave it: the lifecycle checks every field. */
export interface ProposeInput {
  actor: Actor;
  action: string;
  /** Campaign ids and `group:NAME` tokens. */
  ids: readonly string[];
  reason: string | undefined;
  channelId: string;
  /** Which way in it came, and what that way brings along. */
  origin: Origin;
  /** `pause … for 2h`: the RESUME of what the PAUSE applies is scheduled (see core/pause-for.ts). */
  schedule?: PauseFor;
}

/**
 * Where a proposal comes from (the audit trail's `source`), with what only that way in brings. The stored
 * request keeps its own flat shape (core/request.ts): records already in Redis or SQLite read as they did.
 */
export type Origin =
  /** A person's `/campaign pause|resume|stop`. */
  | { kind: 'slash_command' }
  /** The campaign picker's submission (opened by `/campaign`, a message shortcut, or an unfurl's button). */
  | { kind: 'slack_picker' }
  /** A button on a dashboard link's card (chat.unfurl). */
  | { kind: 'link_unfurl' }
  /** A Workflow Builder step, with its token when Slack gave one (its clicks bring fresh ones). */
  | { kind: 'workflow_step'; step?: WorkflowStep }
  /**
   * A runbook's call (its token is the actor): the Slack user it says it acts for (not verified), its incident
   * (shown on the confirmation, audited), and its `callback_url`, called once when the request settles.
   */
  | {
      kind: 'runbook_api';
      onBehalfOf?: string | undefined;
      incident?: IncidentRef;
      callback?: { url: string; token: string };
    }
  /** An incident tool's webhook, recorded as `hook:<source>`. */
  | { kind: 'hook'; source: HookSource }
  /**
   * An AI agent's `request_campaign_action` through the MCP door (the agent is the actor): the Slack user it says
   * it acts for (not verified, and never an approver of it) and its incident, as a runbook's.
   */
  | { kind: 'mcp'; onBehalfOf?: string | undefined; incident?: IncidentRef }
  /** `/campaign freeze`: its scope, the request's id (already holding the scope), and what the search found. */
  | { kind: 'freeze'; scope: FreezeScope; id: string; found: ReadonlyMap<string, CampaignInfo> }
  /**
   * A result's "Retry failed" or "Undo" (an unfreeze is a freeze's undo): its ids come from a request that was
   * allowed them, so it may name as many as that one did.
   */
  | { kind: 'follow_up'; source: 'retry_button' | 'undo_button' | 'unfreeze' };

/** How a caller wants the proposal answered; nothing of the request itself. */
export interface ProposeOptions {
  /** Check everything and say what would be proposed: nothing is stored, posted, looked up or sent. */
  dryRun?: boolean;
  /**
   * Called once the request is stored and audited, before its confirmation waits for Slack (a webhook answers
   * its sender then: senders give up within 5 s, and a paced channel can hold a post longer).
   */
  onRecorded?: (request: CampaignActionRequest) => void;
}

/** The step a click belongs to (Slack's `function_data`) and the fresh token it brought. */
export interface StepToken {
  executionId: string;
  token: string;
  tokenUntil: number;
}

/** A freeze's or an unfreeze's scope, asked by this actor in this channel. */
export interface ScopeInput {
  actor: Actor;
  scope: FreezeScope;
  channelId: string;
}

export interface FreezeInput extends ScopeInput {
  reason?: string;
}

/** `/campaign status <ids | group:NAME>`. */
export interface StatusQuery {
  actor: Actor;
  ids: readonly string[];
  channelId: string;
}

/** `/campaign history <ids | group:NAME | me> [since 7d]`. */
export interface HistoryQuery {
  actor: Actor;
  ids: readonly string[] | 'me';
  channelId: string;
  sinceMs: number;
}

/** The App Home's reads: whether a person may have one, what a redraw's Homes share, and one person's. */
export interface HomeReads {
  /** Whether the policy names this person at all (asked before anything is read). */
  mayOpen(userId: string): Promise<boolean>;
  /** What every Home of a redraw shares, read once. */
  facts(): Promise<HomeFacts>;
  /** One person's Home, from the shared facts (read now when not given). */
  forPerson(userId: string, facts?: HomeFacts): Promise<HomeData>;
}

/** `/campaign history`'s answer. */
export type HistoryAnswer =
  | { kind: 'history'; entries: HistoryEntry[]; sinceMs: number; total: number }
  | { kind: 'history_unavailable' }
  | Outcome;

/** `/campaign status`'s answer. */
export type StatusAnswer =
  | {
      kind: 'campaign_status';
      ids: string[];
      found: Map<string, CampaignInfo>;
    }
  | { kind: 'lookup_unavailable'; message: string }
  | { kind: 'lookup_off' }
  | Outcome;
