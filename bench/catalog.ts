import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { type CatalogEntry, catalogView } from '../src/core/catalog.ts';
import { type CatalogSource, createCatalog } from '../src/lifecycle/catalog.ts';
import { createMemoryCatalogStore } from '../src/stores/catalog.ts';

/**
 * The campaign catalog, side by side: options answered from the bot's copy (what the picker does per keystroke)
 * against what answering each keystroke from MoEngage would cost (one search call, a share of 100 a minute), and
 * the copy's memory per 10,000 campaigns. Names are three workspaces' worth (three brands' vocabularies).
 */

const BRANDS = [
  [
    'Black Friday',
    'Cyber Monday',
    'Price drop',
    'Back in stock',
    'Cart reminder',
    'Welcome',
    'Win-back',
    'Flash sale',
  ],
  [
    'Weekly digest',
    'Breaking news',
    'Premium trial',
    'Renewal',
    'Paywall nudge',
    'Podcast drop',
    'Live score',
  ],
  ['Fare alert', 'Check-in', 'Boarding pass', 'Loyalty tier', 'Lounge offer', 'Upgrade bid', 'Delay notice'],
];
const QUALIFIERS = [
  'EU',
  'US',
  'India',
  'iOS',
  'Android',
  'web',
  'VIP',
  'lapsed',
  'new users',
  'Q4',
  'ré-engagement',
];
const CHANNELS = ['PUSH', 'EMAIL', 'SMS', 'WHATSAPP'];
const STATUSES = ['ACTIVE', 'ACTIVE', 'SCHEDULED', 'PAUSED', 'SENT', 'STOPPED'];

export function generateCatalog(n: number, seed = 1): CatalogEntry[] {
  let s = seed;
  const rand = (k: number) => {
    s = (s * 1_103_515_245 + 12_345) & 0x7fffffff;
    return s % k;
  };
  return Array.from({ length: n }, (_, i) => {
    const brand = BRANDS[i % BRANDS.length] as string[];
    const theme = brand[rand(brand.length)] as string;
    const q = QUALIFIERS[rand(QUALIFIERS.length)] as string;
    const channel = CHANNELS[rand(CHANNELS.length)] as string;
    return {
      id: i.toString(16).padStart(24, '0'),
      name: `${theme} ${q} ${channel.toLowerCase()} #${i}`,
      channel,
      deliveryType: rand(2) ? 'ONE_TIME' : 'PERIODIC',
      status: STATUSES[rand(STATUSES.length)] as string,
      tags: [`brand-${i % BRANDS.length}`],
      seenAt: 1_700_000_000_000 + rand(10_000_000),
    };
  });
}

/** What people type, keystroke by keystroke: each prefix of two words of a real name, from two characters on. */
export function keystrokes(entries: readonly CatalogEntry[], people: number): string[] {
  const out: string[] = [];
  for (let p = 0; p < people; p++) {
    const name = (entries[(p * 7_919) % entries.length] as CatalogEntry).name;
    const words = name.split(' ').slice(0, 2);
    const typed = `${words[1] ?? ''} ${words[0]}`.trim(); // any order
    for (let k = 2; k <= typed.length; k++) out.push(typed.slice(0, k));
  }
  return out;
}

function heapUsed(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

export interface CatalogBenchFigures {
  campaigns: number;
  keystrokes: number;
  optionsMs: { p50: number; p95: number; max: number };
  moengageCallsPerKeystroke: number;
  /** Answering every keystroke live would spend this many search calls (the budget is 100 a minute). */
  liveCalls: number;
  liveMinutesOfBudget: number;
  memoryPer10kMB: number;
  buildMs: number;
}

export async function runCatalogBench(): Promise<CatalogBenchFigures> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const entries = generateCatalog(20_000);
  const before = heapUsed(gc);
  const t0 = performance.now();
  const view = catalogView(entries, Date.now());
  const buildMs = performance.now() - t0;
  const after = heapUsed(gc);
  // The entries themselves are what the store hands over: counted with the index, since the copy holds both.
  const raw = heapUsed(gc);
  const copy = generateCatalog(10_000, 2);
  const rawAfter = heapUsed(gc);
  const indexMB = (after - before) / 2 / 1_048_576;
  const entriesMB = (rawAfter - raw) / 1_048_576;
  void copy.length;

  // The picker's path: the catalog service over its store, with a source that counts every MoEngage call.
  const store = createMemoryCatalogStore();
  await store.upsert('ws', entries);
  await store.finishListing('ws', 0, Date.now());
  let calls = 0;
  const source: CatalogSource = {
    page: async () => {
      calls++;
      return { ok: false, reason: 'failed', message: 'not expected in this bench' };
    },
    lookup: async () => {
      calls++;
      return { ok: false, reason: 'failed', message: 'not expected in this bench' };
    },
  };
  const catalog = createCatalog({ workspace: 'ws', store, source, log: pino({ level: 'silent' }) });
  await catalog.view();
  const typed = keystrokes(entries, 300);
  const times: number[] = [];
  for (const query of typed) {
    const started = performance.now();
    await catalog.search(query, 100);
    times.push(performance.now() - started);
  }
  await catalog.stop();
  times.sort((a, b) => a - b);
  const figures: CatalogBenchFigures = {
    campaigns: view.size,
    keystrokes: typed.length,
    optionsMs: { p50: pct(times, 0.5), p95: pct(times, 0.95), max: times.at(-1) ?? 0 },
    moengageCallsPerKeystroke: calls / typed.length,
    liveCalls: typed.length,
    liveMinutesOfBudget: typed.length / 100,
    memoryPer10kMB: indexMB + entriesMB,
    buildMs,
  };
  const r = (n: number) => n.toFixed(2);
  console.log('catalog: options answered from the copy vs a MoEngage search per keystroke');
  console.log(
    `  ${figures.campaigns} campaigns (three brands), ${figures.keystrokes} keystrokes of 300 people typing two words of a name`,
  );
  console.log(
    `  from the copy: p50 ${r(figures.optionsMs.p50)} ms, p95 ${r(figures.optionsMs.p95)} ms, max ${r(figures.optionsMs.max)} ms (target p95 <= 300 ms, never over 2,500), ${figures.moengageCallsPerKeystroke} MoEngage calls a keystroke`,
  );
  console.log(
    `  live per keystroke instead: ${figures.liveCalls} search calls = ${r(figures.liveMinutesOfBudget)} minutes of the whole 100/min search budget (and a round trip each)`,
  );
  console.log(
    `  memory: ${r(figures.memoryPer10kMB)} MB per 10,000 campaigns (entries ${r(entriesMB)} + index ${r(indexMB)}); building the index of 20,000: ${r(buildMs)} ms`,
  );
  return figures;
}
