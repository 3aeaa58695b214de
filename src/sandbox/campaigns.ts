import type { CampaignAction } from '../moengage/types.ts';

export const CAMPAIGN_TYPES = [
  'ONE_TIME',
  'PERIODIC',
  'EVENT_TRIGGERED',
  'DEVICE_TRIGGERED',
  'LOCATION_TRIGGERED',
] as const;
export type CampaignType = (typeof CAMPAIGN_TYPES)[number];
export const CAMPAIGN_STATUSES = ['SCHEDULED', 'ACTIVE', 'SENDING', 'PAUSED', 'STOPPED', 'SENT'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** The channels campaign search lists (V1's `channels[]`); the status APIs change Email and Push only. */
export const SEARCH_CHANNELS = ['EMAIL', 'PUSH', 'SMS'] as const;
export type SimChannel = (typeof SEARCH_CHANNELS)[number];

export interface SimCampaign {
  id: string;
  name: string;
  type: CampaignType;
  channel: SimChannel;
  status: CampaignStatus;
  /** Built in the dashboard: V1's status API refuses it (it changes only API-created campaigns). Default api. */
  createdVia?: 'api' | 'dashboard';
  /** `basic_details.tags` in search rows; the search's `tags[]` matches any of them. */
  tags?: string[];
  /**
   * A step of a flow (a journey). Like MoEngage, the search lists it, with `flow_id`/`flow_name`, only when asked
   * with `include_child_campaigns: true`; without it the campaign is left out, even when searched by id.
   */
  flow?: { id: string; name: string };
  /** A periodic campaign's child run: listed, with `parent_id`, only with `include_child_campaigns: true`. */
  parentId?: string;
  /** Archived: left out of search unless `include_archive_campaigns` (or `include_archived_campaigns`) is true. */
  archived?: boolean;
  /** ISO times; rows carry them in MoEngage's own style (`2024-07-04 08:00:54.847000`, UTC, no zone). */
  createdAt?: string;
  updatedAt?: string;
}

/** The status APIs change Email and Push campaigns only (documented for V1 and V5). */
const CHANGEABLE_CHANNELS: readonly SimChannel[] = ['EMAIL', 'PUSH'];

const RECURRING: readonly CampaignType[] = [
  'PERIODIC',
  'EVENT_TRIGGERED',
  'DEVICE_TRIGGERED',
  'LOCATION_TRIGGERED',
];

/**
 * MoEngage's documented rules: STOP only a scheduled one-time campaign (once active it cannot be stopped);
 * PAUSE a running recurring one; RESUME a paused recurring one. Returns the new status, or why not.
 */
export function transition(
  campaign: SimCampaign,
  action: CampaignAction,
): { ok: true; status: CampaignStatus } | { ok: false; reason: string } {
  const what = `it is ${campaign.status.toLowerCase()} (${campaign.type.toLowerCase().replace(/_/g, '-')})`;
  if (!CHANGEABLE_CHANNELS.includes(campaign.channel)) {
    return {
      ok: false,
      reason: `only Email and Push campaigns can be changed here, and it is ${campaign.channel}`,
    };
  }
  switch (action) {
    case 'STOP':
      if (campaign.type === 'ONE_TIME' && campaign.status === 'SCHEDULED')
        return { ok: true, status: 'STOPPED' };
      return { ok: false, reason: `only a scheduled one-time campaign can be stopped, and ${what}` };
    case 'PAUSE':
      if (!RECURRING.includes(campaign.type)) {
        return { ok: false, reason: `only periodic and triggered campaigns can be paused, and ${what}` };
      }
      if (campaign.status === 'ACTIVE') return { ok: true, status: 'PAUSED' };
      return { ok: false, reason: `only an active campaign can be paused, and ${what}` };
    case 'RESUME':
      if (!RECURRING.includes(campaign.type)) {
        return { ok: false, reason: `only periodic and triggered campaigns can be resumed, and ${what}` };
      }
      if (campaign.status === 'PAUSED') return { ok: true, status: 'ACTIVE' };
      return { ok: false, reason: `only a paused campaign can be resumed, and ${what}` };
  }
}

/**
 * The V5 status API's documented transitions: STOP a one-time campaign that is ACTIVE, SCHEDULED, PAUSED or
 * SENDING; PAUSE a periodic or event-triggered one that is ACTIVE, SCHEDULED or SENDING; RESUME those from PAUSED.
 * Anything else is MoEngage's 422, with a message in its documented style.
 */
export function transitionV5(
  campaign: SimCampaign,
  action: CampaignAction,
): { ok: true; status: CampaignStatus } | { ok: false; reason: string } {
  const pausable = campaign.type === 'PERIODIC' || campaign.type === 'EVENT_TRIGGERED';
  const wrongType = {
    ok: false as const,
    reason: `Action ${action} is not valid for a ${campaign.type} campaign`,
  };
  const notIn = (states: string) => ({ ok: false as const, reason: `Campaign is not in ${states} state` });
  // The wording for another channel is not documented; this one follows the documented style.
  if (!CHANGEABLE_CHANNELS.includes(campaign.channel)) {
    return { ok: false, reason: `Action ${action} is not valid for a ${campaign.channel} campaign` };
  }
  switch (action) {
    case 'STOP':
      if (campaign.type !== 'ONE_TIME') return wrongType;
      if (['ACTIVE', 'SCHEDULED', 'PAUSED', 'SENDING'].includes(campaign.status))
        return { ok: true, status: 'STOPPED' };
      return notIn('ACTIVE, SCHEDULED, PAUSED or SENDING');
    case 'PAUSE':
      if (!pausable) return wrongType;
      if (['ACTIVE', 'SCHEDULED', 'SENDING'].includes(campaign.status)) return { ok: true, status: 'PAUSED' };
      return notIn('ACTIVE, SCHEDULED or SENDING');
    case 'RESUME':
      if (!pausable) return wrongType;
      if (campaign.status === 'PAUSED') return { ok: true, status: 'ACTIVE' };
      return notIn('PAUSED');
  }
}

/** `Active`, `Scheduled`: how MoEngage's search examples spell a status (its enum is upper case). */
export function searchStatus(status: CampaignStatus): string {
  return status.charAt(0) + status.slice(1).toLowerCase();
}

/** `count` campaigns named `${prefix}${n}` (zero-padded), all of one type and status. */
export function seedCampaigns(options: {
  count: number;
  prefix?: string;
  type?: CampaignType;
  status?: CampaignStatus;
  channel?: SimChannel;
}): SimCampaign[] {
  const { count, prefix = 'camp_', type = 'PERIODIC', status = 'ACTIVE', channel = 'PUSH' } = options;
  const width = String(count).length;
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(Math.max(3, width), '0');
    return {
      id: `${prefix}${n}`,
      name: `${type.toLowerCase()} ${channel.toLowerCase()} ${n}`,
      type,
      channel,
      status,
    };
  });
}

/** A small, mixed fleet for the demo and for pointing a staging bot at the simulator. */
export function demoFleet(): SimCampaign[] {
  return [
    ...seedCampaigns({ count: 40, prefix: 'promo_', type: 'PERIODIC', status: 'ACTIVE' }),
    ...seedCampaigns({
      count: 10,
      prefix: 'trigger_',
      type: 'EVENT_TRIGGERED',
      status: 'ACTIVE',
      channel: 'EMAIL',
    }),
    ...seedCampaigns({
      count: 10,
      prefix: 'blast_',
      type: 'ONE_TIME',
      status: 'SCHEDULED',
      channel: 'EMAIL',
    }),
    ...seedCampaigns({ count: 5, prefix: 'sent_', type: 'ONE_TIME', status: 'ACTIVE' }),
    ...seedCampaigns({ count: 5, prefix: 'paused_', type: 'PERIODIC', status: 'PAUSED' }),
  ];
}
