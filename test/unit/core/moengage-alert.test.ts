import { describe, expect, it } from 'vitest';
import { alertEntities, criterionText } from '../../../src/core/moengage-alert.ts';
import {
  campaignStatsAlert,
  flowStatsAlert,
  tokenExpiryAlert,
} from '../../../src/sandbox/moengage-alerts.ts';

const FLOW = '65a1b2c3d4e5f6a7b8c90001';

describe('what a MoEngage alert names (alertEntities)', () => {
  it("reads the campaigns and flows, once each, with the criterion and each entity's current value", () => {
    const alert = campaignStatsAlert(
      [
        { id: 'c1', name: 'Welcome push', current: 41.2, movingAverage: 88.5 },
        {
          id: 'c2',
          name: 'Day 3 email',
          channel: 'EMAIL',
          current: 52,
          flow: { id: FLOW, name: 'Onboarding journey' },
        },
        { id: 'c1', name: 'Welcome push', current: 41.2 },
      ],
      { alertId: 'a1', triggeredAt: '2026-12-01T10:00:00Z', workspace: 'Acme Retail' },
    );
    const read = alertEntities(alert);
    expect(read.campaignIds).toEqual(['c1', 'c2']);
    expect(read.flowIds).toEqual([FLOW]);
    expect(read.alert).toMatchObject({
      id: 'a1',
      name: 'Delivery rate below 60%',
      type: 'CAMPAIGN_STATS',
      workspace: 'Acme Retail',
      triggeredAt: '2026-12-01T10:00:00Z',
      criterion: { name: 'DELIVERY_RATE', operator: 'lt', threshold: 60, unit: 'PERCENTAGE' },
    });
    expect(read.alert.values[0]).toEqual({
      campaignId: 'c1',
      campaignName: 'Welcome push',
      flowId: undefined,
      flowName: undefined,
      channel: 'PUSH',
      current: 41.2,
      movingAverage: 88.5,
    });
    expect(read.alert.values[1]).toMatchObject({ flowId: FLOW, flowName: 'Onboarding journey', current: 52 });
    expect(read.notes).toEqual([]);
    expect(criterionText(read.alert.criterion as NonNullable<typeof read.alert.criterion>)).toBe(
      'delivery rate below 60 %',
    );
  });

  it('reads the flows of a flow alert', () => {
    const read = alertEntities(flowStatsAlert([{ id: FLOW, name: 'Onboarding journey', current: 38.9 }]));
    expect(read).toMatchObject({ campaignIds: [], flowIds: [FLOW] });
    expect(read.alert.values).toMatchObject([{ flowName: 'Onboarding journey', current: 38.9 }]);
  });

  it('says when the count differs from the list, and leaves an entity with an empty id out', () => {
    const read = alertEntities(
      campaignStatsAlert([{ id: 'c1', name: 'One' }], { count: 5, emptyIdEntity: true }),
    );
    expect(read.campaignIds).toEqual(['c1']);
    expect(read.alert.values).toHaveLength(1);
    expect(read.notes).toEqual([
      'MoEngage counts 5 entities but lists 2',
      '1 entity names no campaign or flow id: left out',
    ]);
  });

  it('names nothing for a token-expiry alert, and never throws on what is not an alert', () => {
    expect(alertEntities(tokenExpiryAlert())).toMatchObject({ campaignIds: [], flowIds: [], notes: [] });
    for (const junk of [null, 'text', 42, [], { entity_data: { content: 'x', count: 'many' } }])
      expect(alertEntities(junk)).toMatchObject({ campaignIds: [], flowIds: [] });
  });
});
