import type { DenialPart, Step } from './access.ts';
import type { CatalogEntry } from './catalog.ts';
import type { InvalidField } from './proposal.ts';
import type { CampaignActionRequest, RequestState } from './request.ts';

/**
 * What the lifecycle answers, in codes: each door turns these into its own medium (Block Kit and ephemeral
 * messages, problem JSON, CLI text and exit codes, a Workflow step's fail). No words for people here.
 */
export type Outcome =
  /** Pending: the confirmation is posted and waits for approvals. */
  | { kind: 'proposed'; request: CampaignActionRequest }
  /** `dry_run`: every check passed; this is what would be proposed (not stored, posted or sent anywhere). */
  | { kind: 'dry_run'; request: CampaignActionRequest }
  /** Confirmed (at once under a rule that needs no approval, or by the last approval) and running. */
  | { kind: 'running'; request: CampaignActionRequest }
  | { kind: 'approval_recorded'; request: CampaignActionRequest; n: number; of: number }
  | { kind: 'cancelled'; request: CampaignActionRequest }
  /** A PAUSE's scheduled RESUME was called off ("Keep paused") or started now ("Resume now"). */
  | { kind: 'schedule_changed'; change: 'kept' | 'resuming'; request: CampaignActionRequest }
  | { kind: 'denied'; step: Step; part: DenialPart; action?: string }
  | { kind: 'already_decided'; state: RequestState; by: string | undefined; at: number | undefined }
  | { kind: 'already_approved'; n: number; of: number }
  | { kind: 'expired'; at: number }
  | { kind: 'not_found' }
  | { kind: 'invalid_input'; field: InvalidField; message: string }
  /**
   * A quoted name matched several campaigns: nothing is proposed; the person chooses among `candidates` (best
   * first; `more` when there were more than shown). Names that matched none are in `missing`; `chosen` is what
   * the rest of the request named (ids, links, groups, names that found one), kept while the person chooses.
   */
  | { kind: 'choose_campaigns'; choices: NameChoice[]; missing: string[]; chosen?: CatalogEntry[] }
  /** The confirmation could not be posted: the bot is not in the channel. Nothing was requested. */
  | { kind: 'not_in_channel' }
  /** Slack or the bot's storage did not answer; nothing was requested (or changed). */
  | { kind: 'unavailable'; what: 'slack' | 'store'; code?: string };

/** One quoted name and the campaigns it matched (core/catalog.ts). */
export interface NameChoice {
  query: string;
  candidates: CatalogEntry[];
  more: boolean;
}
