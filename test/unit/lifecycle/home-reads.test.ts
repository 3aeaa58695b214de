import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../../src/auth/authorize.ts';
import { parseAccessPolicy } from '../../../src/auth/policy-file.ts';
import type { AuditEvent } from '../../../src/core/audit.ts';
import type { Notifier } from '../../../src/core/notifier.ts';
import { createHome as createHomeTab, HOME_NOT_NAMED, type HomeDeps } from '../../../src/doors/slack/home.ts';
import { createMemoryChangeFeed } from '../../../src/lifecycle/changes.ts';
import type { CampaignExecutor } from '../../../src/lifecycle/execution-deps.ts';
import { HOME_EVENTS, HOME_EVENTS_TTL_MS } from '../../../src/lifecycle/home.ts';
import { createLifecycle } from '../../../src/lifecycle/lifecycle.ts';
import type { AuditTrail } from '../../../src/stores/audit-trail.ts';
import { createMemoryStore } from '../../../src/stores/memory-store.ts';
import { strict } from '../../support/strict.ts';

const POLICY = `
rules:
  - name: oncall
    actions: [PAUSE]
    requesters: [UALICE]
    approvers: [ULEAD]
    channels: [CINC]
`;

function setup() {
  let t = 1_800_000_000_000;
  const reads: number[] = [];
  const trail = strict<AuditTrail>('trail', {
    append: async () => undefined,
    recent: async (limit) => {
      reads.push(limit);
      const event = { event: 'requested', requestId: 'r1', user: 'UALICE' } as unknown as AuditEvent;
      return [
        { ...event, at: t - 8 * 86_400_000 },
        { ...event, at: t - 1_000 },
      ];
    },
  });
  const changes = createMemoryChangeFeed();
  const lifecycle = createLifecycle({
    changes,
    store: createMemoryStore({ now: () => t }),
    moengage: strict<CampaignExecutor>('moengage', { chunkSize: 10 }),
    notifier: strict<Notifier>('notifier', {}),
    authorize: createAuthorizer(
      parseAccessPolicy(POLICY, { groups: new Map(), tokenNames: new Set() }),
      strict('groups', {}),
    ),
    groups: new Map(),
    proposalRules: { maxIds: 100 },
    ttlMs: 60_000,
    logger: pino({ level: 'silent' }),
    auditTrail: trail,
    now: () => t,
  });
  return { home: lifecycle.home, reads, changes, advance: (ms: number) => (t += ms) };
}

describe('the App Home’s reads', () => {
  it('asks the policy first: someone no rule names may not open it; requesters and approvers may', async () => {
    const { home, reads } = setup();
    expect(await home.mayOpen('UEVE')).toBe(false);
    expect(await home.mayOpen('UALICE')).toBe(true);
    expect(await home.mayOpen('ULEAD')).toBe(true);
    expect(reads).toEqual([]);
  });

  it('reads the newest events once for every Home within the TTL, concurrent opens included, then again', async () => {
    const { home, reads, advance } = setup();
    const [a, b] = await Promise.all([home.facts(), home.facts()]);
    expect(reads).toEqual([HOME_EVENTS]);
    // Of the newest, only the week's.
    expect(a.events).toHaveLength(1);
    expect(b.events).toBe(a.events);
    advance(HOME_EVENTS_TTL_MS - 1);
    await home.forPerson('UALICE');
    expect(reads).toHaveLength(1);
    advance(2);
    await home.forPerson('UALICE');
    expect(reads).toEqual([HOME_EVENTS, HOME_EVENTS]);
  });

  it('reads again once a request changed, so a Home shows what just happened', async () => {
    const { home, reads, changes } = setup();
    await home.facts();
    await home.facts();
    changes.publish('r1');
    await home.facts();
    expect(reads).toEqual([HOME_EVENTS, HOME_EVENTS]);
  });

  it('draws a small Home for someone no rule names, reading nothing of the requests or the trail', async () => {
    const published: { user: string; text: string }[] = [];
    const tab = createHomeTab({
      home: strict<HomeDeps['home']>('home', { mayOpen: async (u: string) => u !== 'UEVE' }),
      slack: {
        publishHome: async (user, blocks) => void published.push({ user, text: JSON.stringify(blocks) }),
      },
      onChange: () => () => undefined,
      logger: pino({ level: 'silent' }),
    });
    await tab.opened({ event: { tab: 'home', user: 'UEVE' } } as never);
    tab.close();
    expect(published).toHaveLength(1);
    expect(published[0]?.text).toContain(HOME_NOT_NAMED);
  });
});
