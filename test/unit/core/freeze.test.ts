import { describe, expect, it } from 'vitest';
import type { CampaignInfo } from '../../../src/core/campaign-info.ts';
import { freezeCandidates, freezeStatuses, parseFreezeScope } from '../../../src/core/freeze.ts';
import { freezeAnswerText } from '../../../src/slack/views/freeze-view.ts';

const v1 = { stopBeyondScheduled: false };
const v5 = { stopBeyondScheduled: true };

const info = (id: string, status: string, more: Partial<CampaignInfo> = {}): CampaignInfo => ({
  id,
  name: id,
  channel: 'PUSH',
  deliveryType: 'PERIODIC',
  status,
  ...more,
});

describe('freeze scopes', () => {
  it('takes all, a group, and the channels MoEngage’s status APIs change', () => {
    expect(parseFreezeScope([])).toEqual({ ok: true, scope: { kind: 'all' } });
    expect(parseFreezeScope(['channel:email'])).toEqual({
      ok: true,
      scope: { kind: 'channel', channel: 'EMAIL' },
    });
    expect(parseFreezeScope(['group:bf'])).toEqual({ ok: true, scope: { kind: 'group', name: 'bf' } });
  });

  it('refuses SMS and MoEngage’s other channels saying why, and an unknown word with the usage', () => {
    for (const [token, name] of [
      ['channel:SMS', 'SMS'],
      ['channel:whatsapp', 'whatsapp'],
      ['channel:google-ads', 'google ads'],
    ] as const) {
      const read = parseFreezeScope([token]);
      expect(read.ok).toBe(false);
      if (!read.ok) {
        expect(read.message).toContain(`${name} campaigns cannot be frozen`);
        expect(read.message).toContain('pause only email and push campaigns');
      }
    }
    const fax = parseFreezeScope(['channel:fax']);
    expect(!fax.ok && fax.message).toContain('Say what to freeze');
    expect(!fax.ok && fax.message).not.toContain('SMS');
  });
});

describe('what a freeze pauses', () => {
  it('lists ACTIVE, SCHEDULED and SENDING on V5, ACTIVE only on V1', () => {
    expect(freezeStatuses(v5)).toEqual(['ACTIVE', 'SCHEDULED', 'SENDING']);
    expect(freezeStatuses(v1)).toEqual(['ACTIVE']);
  });

  it('keeps the pausable ones of those statuses, on email and push only, and rows whose status is unknown', () => {
    const seen = [
      info('a', 'ACTIVE'),
      info('s', 'SCHEDULED'),
      info('d', 'SENDING', { deliveryType: 'EVENT_TRIGGERED', channel: 'EMAIL' }),
      info('p', 'PAUSED'),
      info('o', 'ACTIVE', { deliveryType: 'ONE_TIME' }),
      info('m', 'ACTIVE', { channel: 'SMS' }),
      // A V5 row that carried only its id.
      { id: 'bare', name: '', channel: undefined, deliveryType: undefined, status: 'UNKNOWN' },
    ];
    expect(freezeCandidates(seen, v5).map((c) => c.id)).toEqual(['a', 's', 'd', 'bare']);
    expect(freezeCandidates(seen, v1).map((c) => c.id)).toEqual(['a', 'bare']);
  });

  it('says which statuses it looked for when there is nothing to freeze', () => {
    const scope = { kind: 'all' } as const;
    expect(
      freezeAnswerText({ kind: 'nothing_to_freeze', scope, seen: 0, statuses: freezeStatuses(v5) }),
    ).toContain('no active, scheduled or sending campaign in all campaigns');
    expect(freezeAnswerText({ kind: 'nothing_to_freeze', scope, seen: 0, statuses: ['ACTIVE'] })).toContain(
      'no active campaign',
    );
  });
});
