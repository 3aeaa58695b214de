import { describe, expect, it } from 'vitest';
import { cachedUserGroupResolver } from '../../../src/auth/usergroups.ts';

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

  it('asks again at once after Slack says the group changed', async () => {
    let members = ['U1'];
    const resolver = cachedUserGroupResolver(async () => members, { ttlMs: 60_000, now: () => 0 });
    expect((await resolver.membersOf('S1')).has('U1')).toBe(true);
    members = [];
    expect((await resolver.membersOf('S1')).has('U1')).toBe(true);
    resolver.invalidate('S1');
    expect((await resolver.membersOf('S1')).has('U1')).toBe(false);
  });
});
