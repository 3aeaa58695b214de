import { type CampaignInfo, type JudgeRules, judge } from './campaign-info.ts';
import type { CampaignActionRequest, FreezeScope } from './request.ts';

/**
 * `/campaign freeze [group:NAME | channel:EMAIL|PUSH|SMS | all]`: every active campaign of the scope that can be
 * paused, proposed as one PAUSE; `/campaign unfreeze [scope]`: the RESUME of exactly what that PAUSE applied (its
 * undo, with no time limit). One freeze at a time per scope: the scope's key is held by the freeze's request in
 * the store. Pure.
 */
export type { FreezeScope } from './request.ts';

export const FREEZE_CHANNELS = ['EMAIL', 'PUSH', 'SMS'] as const;

export function parseFreezeScope(
  tokens: readonly string[],
): { ok: true; scope: FreezeScope } | { ok: false; message: string } {
  const usage =
    'Say what to freeze: `all` (the default), `group:NAME` or `channel:EMAIL`, `channel:PUSH`, `channel:SMS`.';
  if (tokens.length === 0) return { ok: true, scope: { kind: 'all' } };
  if (tokens.length > 1) return { ok: false, message: `One scope at a time. ${usage}` };
  const token = tokens[0] as string;
  if (/^all$/i.test(token)) return { ok: true, scope: { kind: 'all' } };
  const group = /^group:([A-Za-z0-9_.-]{1,64})$/i.exec(token);
  if (group) return { ok: true, scope: { kind: 'group', name: group[1] as string } };
  const channel = /^channel:([A-Za-z]+)$/i.exec(token);
  const name = channel?.[1]?.toUpperCase();
  if (name && (FREEZE_CHANNELS as readonly string[]).includes(name)) {
    return { ok: true, scope: { kind: 'channel', channel: name } };
  }
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

/** What a freeze pauses: the active campaigns the PAUSE can apply to (by MoEngage's documented rules). */
export function freezeCandidates(infos: readonly CampaignInfo[], rules: JudgeRules): CampaignInfo[] {
  return infos.filter((i) => i.status.toUpperCase() === 'ACTIVE' && judge('PAUSE', i, rules) === undefined);
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
