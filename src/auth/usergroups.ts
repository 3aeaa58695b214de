import type { UserGroupResolver } from './authorize.ts';

/** The one Web API call the resolver needs, so tests and other transports can supply it. */
export type ListGroupMembers = (groupId: string) => Promise<readonly string[]>;

export interface CachedUserGroups extends UserGroupResolver {
  /** Forgets a group's members (Slack said they changed), so the next decision asks Slack again. */
  invalidate(groupId: string): void;
}

/**
 * Resolves user-group members through Slack (`usergroups.users.list`, scope usergroups:read), cached for
 * `ttlMs` so a burst of clicks costs one call. Slack's `subteam_members_changed` / `subteam_updated` events
 * invalidate a group at once; the TTL is the fallback when an event is missed. Concurrent look-ups of one group
 * share one request; a failed look-up is not cached; a look-up started before an invalidation is not kept.
 */
export function cachedUserGroupResolver(
  list: ListGroupMembers,
  options: { ttlMs?: number; now?: () => number } = {},
): CachedUserGroups {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; members: Promise<ReadonlySet<string>> }>();
  return {
    membersOf(groupId) {
      const hit = cache.get(groupId);
      if (hit && now() - hit.at < ttlMs) return hit.members;
      const members = list(groupId).then((users) => new Set(users));
      const entry = { at: now(), members };
      cache.set(groupId, entry);
      members.catch(() => {
        if (cache.get(groupId) === entry) cache.delete(groupId);
      });
      return members;
    },
    invalidate(groupId) {
      cache.delete(groupId);
    },
  };
}
