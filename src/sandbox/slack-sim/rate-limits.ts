/**
 * Slack's rate limits as the simulator applies them, on by default:
 * - chat.postMessage: about one message a second per channel, short bursts allowed (Slack's words). Modelled as a
 *   bucket of `burst` messages per channel refilled at `perSecond`;
 * - every method's tier, per workspace, over a sliding minute: Tier 2 (20+/min) usergroups.users.list, Tier 3
 *   (50+/min) chat.update and chat.unfurl, Tier 4 (100+/min) chat.postEphemeral, views.publish, views.open,
 *   views.push, views.update and auth.test; chat.postMessage is "special"
 *   (the per-channel limit, and several hundred a minute per workspace).
 * Over a limit: HTTP 429 `{"ok":false,"error":"ratelimited"}` with `Retry-After` in whole seconds.
 */
export interface SlackRateLimits {
  postMessagePerChannel: { perSecond: number; burst: number };
  /** Calls per sliding minute per method, for the whole workspace. */
  perMinute: Record<string, number>;
}

export const SLACK_RATE_LIMITS: SlackRateLimits = {
  postMessagePerChannel: { perSecond: 1, burst: 3 },
  perMinute: {
    'chat.postMessage': 600,
    'chat.update': 50,
    'chat.postEphemeral': 100,
    'usergroups.users.list': 20,
    'auth.test': 100,
    'chat.unfurl': 50,
    // Tier 4.
    'views.publish': 100,
    'views.open': 100,
    'views.push': 100,
    'views.update': 100,
  },
};

/**
 * Slack's limits with its pace of posts in one channel `times` faster, every other limit as it is: for tests (and
 * the demo's test) where that pace is not what is checked, with the bot's pacer made as fast.
 */
export function fasterPostsPerChannel(times: number, limits = SLACK_RATE_LIMITS): SlackRateLimits {
  const { perSecond } = limits.postMessagePerChannel;
  return {
    ...limits,
    postMessagePerChannel: { ...limits.postMessagePerChannel, perSecond: perSecond * times },
  };
}

export function createRateLimiter(limits: SlackRateLimits | false, now: () => number = Date.now) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const calls = new Map<string, number[]>();

  /** Seconds to wait before this call would be taken, or undefined when it is taken now (and counted). */
  return function check(method: string, channel: string | undefined): number | undefined {
    if (limits === false) return undefined;
    const t = now();
    const perMinute = limits.perMinute[method];
    if (perMinute !== undefined) {
      const recent = (calls.get(method) ?? []).filter((at) => at > t - 60_000);
      calls.set(method, recent);
      if (recent.length >= perMinute)
        return Math.max(1, Math.ceil(((recent[0] as number) + 60_000 - t) / 1000));
    }
    if (method === 'chat.postMessage' && channel !== undefined) {
      const { perSecond, burst } = limits.postMessagePerChannel;
      const b = buckets.get(channel) ?? { tokens: burst, at: t };
      b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
      b.at = t;
      buckets.set(channel, b);
      if (b.tokens < 1) return Math.max(1, Math.ceil((1 - b.tokens) / perSecond));
      b.tokens -= 1;
    }
    if (perMinute !== undefined) (calls.get(method) as number[]).push(t);
    return undefined;
  };
}
