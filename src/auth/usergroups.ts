import type { UserGroupResolver } from './policy.ts';

/** The one Web API call the resolver needs, so tests and other transports can supply it. */
export type ListGroupMembers = (groupId: string) => Promise<readonly string[]>;

/**
 * Resolves user-group members through Slack (`usergroups.users.list`, scope usergroups:read), cached for
 * `ttlMs` so a burst of clicks costs one call. Concurrent look-ups of one group share one request; a failed
 * look-up is not cached.
 */
export function cachedUserGroupResolver(
  list: ListGroupMembers,
  options: { ttlMs?: number; now?: () => number } = {},
): UserGroupResolver {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; members: Promise<ReadonlySet<string>> }>();
  return {
    membersOf(groupId) {
      const hit = cache.get(groupId);
      if (hit && now() - hit.at < ttlMs) return hit.members;
      const members = list(groupId).then((users) => new Set(users));
      cache.set(groupId, { at: now(), members });
      members.catch(() => cache.delete(groupId));
      return members;
    },
  };
}
