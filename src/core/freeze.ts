import { type CampaignInfo, type JudgeRules, judge } from './campaign-info.ts';
import type { Outcome } from './outcomes.ts';
import type { CampaignActionRequest, FreezeScope } from './request.ts';

/**
 * `/campaign freeze [group:NAME | channel:EMAIL|PUSH | all]`: every running campaign of the scope that can be
 * paused, proposed as one PAUSE; `/campaign unfreeze [scope]`: the RESUME of exactly what that PAUSE applied (its
 * undo, with no time limit). One freeze at a time per scope: the scope's key is held by the freeze's request in
 * the store. Pure.
 */
export type { FreezeScope } from './request.ts';

/** The channels MoEngage's status APIs change (V1 and V5 alike: Email and Push only). */
export const FREEZE_CHANNELS = ['EMAIL', 'PUSH'] as const;

/** MoEngage's other channels (its meta API lists seven): named so a freeze of one is refused for what it is. */
const UNCOVERED_CHANNELS = ['SMS', 'WHATSAPP', 'FACEBOOK', 'GOOGLE_ADS', 'CONNECTORS', 'LIVE_ACTIVITY'];

/** Why a channel cannot be frozen: said plainly, rather than searching and proposing nothing. */
export function uncoveredChannelText(channel: string): string {
  const name = channel === 'SMS' ? 'SMS' : channel.toLowerCase().replace(/_/g, ' ');
  return `${name} campaigns cannot be frozen from here: MoEngage's campaign status APIs (V1 and V5) pause only email and push campaigns, so nothing the bot could send would pause them. Pause them in the MoEngage dashboard; \`channel:EMAIL\` and \`channel:PUSH\` freeze the others.`;
}

export function parseFreezeScope(
  tokens: readonly string[],
): { ok: true; scope: FreezeScope } | { ok: false; message: string } {
  const usage = 'Say what to freeze: `all` (the default), `group:NAME` or `channel:EMAIL`, `channel:PUSH`.';
  if (tokens.length === 0) return { ok: true, scope: { kind: 'all' } };
  if (tokens.length > 1) return { ok: false, message: `One scope at a time. ${usage}` };
  const token = tokens[0] as string;
  if (/^all$/i.test(token)) return { ok: true, scope: { kind: 'all' } };
  const group = /^group:([A-Za-z0-9_.-]{1,64})$/i.exec(token);
  if (group) return { ok: true, scope: { kind: 'group', name: group[1] as string } };
  const channel = /^channel:([A-Za-z_-]+)$/i.exec(token);
  const name = channel?.[1]?.toUpperCase().replace(/-/g, '_');
  if (name && (FREEZE_CHANNELS as readonly string[]).includes(name)) {
    return { ok: true, scope: { kind: 'channel', channel: name } };
  }
  if (name && UNCOVERED_CHANNELS.includes(name)) return { ok: false, message: uncoveredChannelText(name) };
  return { ok: false, message: usage };
}

/** The store key a freeze of this scope holds. */
export function freezeKey(scope: FreezeScope): string {
  return scope.kind === 'all'
    ? 'freeze:all'
    : scope.kind === 'group'
      ? `freeze:group:${scope.name}`
      : `freeze:channel:${scope.channel}`;
}

/** The scope as typed after `/campaign freeze` or `unfreeze`: '' (all), `group:NAME`, `channel:EMAIL`. */
export function scopeToken(scope: FreezeScope): string {
  return scope.kind === 'all'
    ? ''
    : scope.kind === 'group'
      ? `group:${scope.name}`
      : `channel:${scope.channel}`;
}

export function scopeText(scope: FreezeScope): string {
  return scope.kind === 'all'
    ? 'all campaigns'
    : scope.kind === 'group'
      ? `group:${scope.name}`
      : `${scope.channel.toLowerCase()} campaigns`;
}

/**
 * The statuses a freeze lists, those a PAUSE applies to: V5 pauses a campaign that is ACTIVE, SCHEDULED or
 * SENDING (its documented transitions, the same API whose STOP goes beyond scheduled: `stopBeyondScheduled`);
 * V1 pauses running ones only (and its search has no SENDING).
 */
export function freezeStatuses(rules: JudgeRules): string[] {
  return rules.stopBeyondScheduled ? ['ACTIVE', 'SCHEDULED', 'SENDING'] : ['ACTIVE'];
}

/**
 * What a freeze pauses: the campaigns in a status the PAUSE applies to, on a channel the status APIs change, that
 * MoEngage's documented rules do not rule out. A row that did not say its status (a V5 row with only an id) is
 * kept: a listing asked MoEngage for those statuses only, and for a group MoEngage's answer to the PAUSE decides.
 */
export function freezeCandidates(infos: readonly CampaignInfo[], rules: JudgeRules): CampaignInfo[] {
  const statuses = freezeStatuses(rules);
  return infos.filter((i) => {
    const status = i.status.toUpperCase();
    const channel = i.channel?.toUpperCase();
    return (
      (status === 'UNKNOWN' || statuses.includes(status)) &&
      (channel === undefined || (FREEZE_CHANNELS as readonly string[]).includes(channel)) &&
      judge('PAUSE', i, rules) === undefined
    );
  });
}

/**
 * Whether the freeze a request made still holds its scope: not while it was cancelled or expired, once it paused
 * nothing, or once its unfreeze has been confirmed (`resumed` says whether that request is confirmed).
 */
export function freezeHolds(freeze: CampaignActionRequest | undefined, unfreezeConfirmed: boolean): boolean {
  if (!freeze?.freeze) return false;
  if (freeze.state === 'cancelled' || freeze.state === 'expired') return false;
  if (freeze.result && freeze.result.applied === 0) return false;
  return !unfreezeConfirmed;
}

/** The unfreeze's request id, once one is proposed (the freeze's undo slot, shared with its Undo button). */
export function unfreezeOf(freeze: CampaignActionRequest): string | undefined {
  const id = freeze.followUps?.undo;
  return id && !id.startsWith('proposing:') ? id : undefined;
}

/** What a freeze or unfreeze asked of the lifecycle comes back as (every door shows it its own way). */
export type FreezeAnswer =
  | Outcome
  | { kind: 'lookup_off' }
  | { kind: 'lookup_unavailable'; message: string }
  /** Nothing in the scope is in a status a PAUSE applies to (`statuses`) and pausable: nothing proposed. */
  | { kind: 'nothing_to_freeze'; scope: FreezeScope; seen: number; statuses: string[] }
  /**
   * The caller's rules let them pause some campaign groups only, and the scope (all, a channel) is not one: refused
   * before anything is held or searched (audited as a denial).
   */
  | { kind: 'freeze_scope_denied'; scope: FreezeScope }
  /** A freeze of this scope holds it already (or is waiting for its confirmation). */
  | { kind: 'freeze_held'; scope: FreezeScope; request: CampaignActionRequest }
  /** Another freeze of this scope is searching right now. */
  | { kind: 'freeze_starting'; scope: FreezeScope }
  /** More campaigns than one freeze lists (200 pages of the search): nothing proposed. */
  | { kind: 'freeze_too_large'; scope: FreezeScope; seen: number }
  | { kind: 'no_freeze'; scope: FreezeScope };
