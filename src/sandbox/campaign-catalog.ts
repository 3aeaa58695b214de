import type { CampaignStatus, CampaignType, SimCampaign, SimChannel } from './campaigns.ts';

/**
 * A large, realistic campaign catalog for the MoEngage simulator: 24-hex ids, names as marketing teams write
 * them ("Black Friday | Price drop | Push | IN", "Copy of Welcome series – Day 3"), a spread of channels, types
 * and statuses, tags, flow steps, archived campaigns and a few accented names. The same `seed` gives the same
 * catalog, so a test can name what it expects; another seed gives another workspace's names. 20,000 campaigns
 * take well under a second (about 0.2 s of CPU).
 */
export interface CatalogOptions {
  count: number;
  /** Default 1. */
  seed?: number;
  /** Channels to draw from (default EMAIL, PUSH and SMS, about 40/45/15). */
  channels?: readonly SimChannel[];
  /** Share that are flow steps (listed only with include_child_campaigns). Default 0.1. */
  flowShare?: number;
  /** Share archived (left out of search by default). Default 0.03. */
  archivedShare?: number;
  /** Share built in the dashboard (V1's status API refuses them). Default 0. */
  dashboardShare?: number;
  /** Share named "Copy of …" another campaign, as duplicated campaigns are. Default 0.02. */
  copyShare?: number;
}

const OCCASIONS = [
  'Black Friday',
  'Cyber Monday',
  'Diwali',
  'Christmas',
  'New Year',
  'Summer Sale',
  'Back to School',
  "Valentine's Day",
  'Ramadan',
  'Singles Day',
  'Mega Sale',
  'Flash Sale',
  'End of Season',
  'Mother’s Day',
  'Été',
  'Año Nuevo',
];
const TOPICS = [
  'Price drop',
  'Cart abandonment',
  'Back in stock',
  'Wishlist reminder',
  'Welcome series',
  'Onboarding',
  'Winback',
  'Re-engagement',
  'Order shipped',
  'Payment failed',
  'Subscription renewal',
  'Loyalty points expiry',
  'Referral invite',
  'App update',
  'Weekly digest',
  'Feedback survey',
  'Café rewards',
  'Browse abandonment',
];
const MARKETS = ['IN', 'US', 'UK', 'SG', 'ID', 'AE', 'DE', 'FR', 'BR'];
const SEGMENTS = ['new users', 'lapsed 30d', 'VIP', 'high intent', 'Android', 'iOS', 'all users'];
const STEPS = ['D+1', 'D+3', 'Day 3', 'T-2h', 'v2', 'A/B B', 'reminder', 'teaser', 'last call'];
const TAGS = [
  'promo',
  'transactional',
  'retention',
  'onboarding',
  'festive',
  'growth',
  'crm',
  'q4',
  'experiment',
  'high-priority',
];
const FLOW_NAMES = [
  'Onboarding journey',
  'Cart recovery flow',
  'Winback journey',
  'Festive countdown',
  'Loyalty tier upgrade',
];

export function catalogCampaigns(options: CatalogOptions): SimCampaign[] {
  const {
    count,
    seed = 1,
    channels = ['EMAIL', 'PUSH', 'SMS'],
    flowShare = 0.1,
    archivedShare = 0.03,
    dashboardShare = 0,
    copyShare = 0.02,
  } = options;
  const random = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  // Shaped like MoEngage's ids (Mongo ObjectIds): 8 hex of seconds, 10 of a per-catalog random value, and a
  // 6-hex counter that keeps every id of one catalog distinct without checking.
  const machine = Math.floor(random() * 0xffffffffff)
    .toString(16)
    .padStart(10, '0');
  let counter = Math.floor(random() * 0x7fffff);
  const hex24 = (atMs = Date.UTC(2024, 0, 1)) =>
    `${Math.floor(atMs / 1000)
      .toString(16)
      .padStart(8, '0')}${machine}${(counter++ & 0xffffff).toString(16).padStart(6, '0')}`;
  // A few flows, each holding several steps; a step belongs to one flow.
  const flows = Array.from({ length: Math.max(1, Math.ceil((count * flowShare) / 4)) }, (_, i) => ({
    id: hex24(),
    name: `${FLOW_NAMES[i % FLOW_NAMES.length]} (${pick(MARKETS)})${i >= FLOW_NAMES.length ? ` ${Math.floor(i / FLOW_NAMES.length) + 1}` : ''}`,
  }));
  const start = Date.UTC(2024, 0, 1);
  const span = Date.UTC(2026, 10, 1) - start;
  const out: SimCampaign[] = [];
  for (let i = 0; i < count; i++) {
    const channel = pickChannel(channels, random);
    const type = pickType(channel, random);
    const copyOf = out.length > 0 && random() < copyShare ? pick(out) : undefined;
    const name = copyOf ? `Copy of ${copyOf.name}` : campaignName(channel, pick, random);
    const created = start + Math.floor(random() * span);
    const campaign: SimCampaign = {
      id: hex24(created),
      name,
      type,
      channel,
      status: pickStatus(type, random),
      createdAt: new Date(created).toISOString(),
      updatedAt: new Date(created + Math.floor(random() * 30 * 86_400_000)).toISOString(),
    };
    const tagCount = Math.floor(random() * 4);
    if (tagCount > 0) campaign.tags = [...new Set(Array.from({ length: tagCount }, () => pick(TAGS)))];
    if (random() < flowShare) campaign.flow = { ...pick(flows) };
    if (random() < archivedShare) campaign.archived = true;
    if (random() < dashboardShare) campaign.createdVia = 'dashboard';
    out.push(campaign);
  }
  return out;
}

function campaignName(channel: SimChannel, pick: <T>(list: readonly T[]) => T, random: () => number): string {
  const label = { EMAIL: 'Email', PUSH: 'Push', SMS: 'SMS' }[channel];
  switch (Math.floor(random() * 4)) {
    case 0:
      return `${pick(OCCASIONS)} | ${pick(TOPICS)} | ${label} | ${pick(MARKETS)}`;
    case 1:
      return `${pick(TOPICS)} – ${pick(STEPS)} – ${label}`;
    case 2:
      return `[${pick(MARKETS)}] ${pick(OCCASIONS)} ${pick(TOPICS).toLowerCase()} ${pick(STEPS)}`;
    default:
      return `${pick(TOPICS)} ${label.toLowerCase()} for ${pick(SEGMENTS)} (${pick(MARKETS)})`;
  }
}

function pickChannel(channels: readonly SimChannel[], random: () => number): SimChannel {
  const weight: Record<SimChannel, number> = { EMAIL: 40, PUSH: 45, SMS: 15 };
  const total = channels.reduce((sum, c) => sum + weight[c], 0);
  let r = random() * total;
  for (const c of channels) {
    r -= weight[c];
    if (r < 0) return c;
  }
  return channels[channels.length - 1] as SimChannel;
}

function pickType(channel: SimChannel, random: () => number): CampaignType {
  const r = random();
  if (channel === 'PUSH' && r > 0.9) return r > 0.95 ? 'LOCATION_TRIGGERED' : 'DEVICE_TRIGGERED';
  return r < 0.45 ? 'ONE_TIME' : r < 0.7 ? 'PERIODIC' : 'EVENT_TRIGGERED';
}

function pickStatus(type: CampaignType, random: () => number): CampaignStatus {
  const r = random();
  if (type === 'ONE_TIME') {
    return r < 0.55
      ? 'SENT'
      : r < 0.75
        ? 'SCHEDULED'
        : r < 0.85
          ? 'ACTIVE'
          : r < 0.88
            ? 'SENDING'
            : 'STOPPED';
  }
  return r < 0.6 ? 'ACTIVE' : r < 0.8 ? 'PAUSED' : r < 0.95 ? 'STOPPED' : 'SCHEDULED';
}

/** A small, fast, seedable generator (mulberry32): the same seed, the same catalog on every machine. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
