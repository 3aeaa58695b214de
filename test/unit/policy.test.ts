import { describe, expect, it } from 'vitest';
import { authorize, type UserGroupResolver } from '../../src/auth/policy.ts';
import { cachedUserGroupResolver } from '../../src/auth/usergroups.ts';

const groups = (members: Record<string, string[]>): UserGroupResolver & { calls: string[] } => {
  const calls: string[] = [];
  return {
    calls,
    async membersOf(id) {
      calls.push(id);
      const m = members[id];
      if (!m) throw new Error(`unexpected group lookup ${id}`);
      return new Set(m);
    },
  };
};

const policy = { allowedUserIds: ['UALICE', 'SONCALL'], allowedChannelIds: ['CINCIDENT'] };

describe('authorize', () => {
  it('allows a listed user in a listed channel without looking up groups', async () => {
    const g = groups({});
    expect(await authorize({ userId: 'UALICE', channelId: 'CINCIDENT' }, policy, g)).toEqual({
      allowed: true,
      via: 'user',
    });
    expect(g.calls).toEqual([]);
  });

  it('allows a member of a listed user group', async () => {
    const g = groups({ SONCALL: ['UBOB'] });
    expect(await authorize({ userId: 'UBOB', channelId: 'CINCIDENT' }, policy, g)).toEqual({
      allowed: true,
      via: 'group:SONCALL',
    });
  });

  it('says which check failed: the user, the channel, or both', async () => {
    const g = groups({ SONCALL: ['UBOB'] });
    const user = await authorize({ userId: 'UEVE', channelId: 'CINCIDENT' }, policy, g);
    expect(user).toMatchObject({ allowed: false, failed: 'user' });
    expect(!user.allowed && user.message).toMatch(/not on the list of people allowed/);
    const channel = await authorize({ userId: 'UALICE', channelId: 'CRANDOM' }, policy, g);
    expect(channel).toMatchObject({ allowed: false, failed: 'channel' });
    expect(!channel.allowed && channel.message).toMatch(/not allowed in this channel/);
    expect(await authorize({ userId: 'UEVE', channelId: 'CRANDOM' }, policy, g)).toMatchObject({
      failed: 'user_and_channel',
    });
  });

  it('denies everyone when the lists are empty', async () => {
    const empty = { allowedUserIds: [], allowedChannelIds: [] };
    expect(await authorize({ userId: 'UALICE', channelId: 'CINCIDENT' }, empty, groups({}))).toMatchObject({
      allowed: false,
    });
  });

  it('refuses, and says so, when the group look-up fails', async () => {
    const failing: UserGroupResolver = {
      membersOf: async () => {
        throw new Error('ratelimited');
      },
    };
    expect(await authorize({ userId: 'UBOB', channelId: 'CINCIDENT' }, policy, failing)).toMatchObject({
      allowed: false,
      failed: 'lookup',
    });
  });
});

describe('cachedUserGroupResolver', () => {
  it('asks Slack once per group within the TTL, shares concurrent look-ups, and does not cache failures', async () => {
    let t = 0;
    const asked: string[] = [];
    let fail = true;
    const resolver = cachedUserGroupResolver(
      async (id) => {
        asked.push(id);
        if (fail) throw new Error('boom');
        return ['U1'];
      },
      { ttlMs: 1_000, now: () => t },
    );
    await expect(resolver.membersOf('S1')).rejects.toThrow('boom');
    fail = false;
    const [a, b] = await Promise.all([resolver.membersOf('S1'), resolver.membersOf('S1')]);
    expect([...a]).toEqual(['U1']);
    expect(b).toBe(a);
    t = 999;
    await resolver.membersOf('S1');
    expect(asked).toEqual(['S1', 'S1']);
    t = 1_000;
    await resolver.membersOf('S1');
    expect(asked).toEqual(['S1', 'S1', 'S1']);
  });
});
