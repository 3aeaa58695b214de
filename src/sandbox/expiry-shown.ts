import type { SimMessage } from './slack-sim.ts';

/** How each confirmation of a backlog was shown to expire, as the Slack simulator stored it. */
export interface ExpiryShown {
  /** Confirmations whose time to be shown expired has come (a minute after `due`, or `withinMs`). */
  judged: number;
  /** Of those, the ones shown expired within `withinMs` of when they were due to be. */
  inTime: number;
  /** Their request ids' messages (ts) that were not: shown late, or never. */
  late: string[];
  /** Shown expired, ms after due (due: the later of its expiry and Slack taking its post): p50, p99, max. */
  latencyMs: { p50: number; p99: number; max: number };
  /** Posted after their expiry (they waited for the channel): shown expired at once, or not. */
  postedAfterExpiry: number;
}

// A live confirmation says "expires <date>"; one drawn expired when its turn came says "expired at <date>".
const EXPIRES = /expire(?:s|d at) <!date\^(\d+)\^/;

/**
 * For each top-level confirmation: when it expired (from its first version's "expires" date, to the second),
 * when Slack took its post, and when a version first said "expired at". A confirmation is due to be shown
 * expired at the later of its expiry and its post ("once Slack takes it"); in time when shown within `withinMs`.
 */
export function expiryShown(messages: readonly SimMessage[], nowMs: number, withinMs = 60_000): ExpiryShown {
  const latencies: number[] = [];
  const late: string[] = [];
  let judged = 0;
  let postedAfterExpiry = 0;
  for (const m of messages) {
    const first = m.versions[0];
    const expires = first && EXPIRES.exec(`${first.text}${JSON.stringify(first.blocks ?? [])}`);
    if (!expires) continue;
    // The date is to the second, floored: the request expired within the second after.
    const expiresAt = Number(expires[1]) * 1000 + 999;
    if (m.postedAt > expiresAt) postedAfterExpiry += 1;
    const due = Math.max(expiresAt, m.postedAt);
    const shown = m.versions.find(
      (v) => v.text.includes('expired at') || JSON.stringify(v.blocks).includes('expired at'),
    );
    if (shown) latencies.push(Math.max(0, shown.at - due));
    if (nowMs < due + withinMs) continue;
    judged += 1;
    if (!shown || shown.at - due > withinMs) late.push(m.ts);
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    judged,
    inTime: judged - late.length,
    late,
    latencyMs: { p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? 0 },
    postedAfterExpiry,
  };
}
