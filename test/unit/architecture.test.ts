import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layering the README's Layout and STYLE.md describe, checked on every `src/**` import (type-only ones too: a
 * type is a dependency on the room that owns it). A rule breaks the build with its reason; the imports that break a
 * rule today are listed in KNOWN, each with why, so the test fails on any new one and on a listed one that is gone.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The doors: each turns one outside world's requests into calls to the lifecycle. */
const DOORS = ['commands', 'runbook', 'hooks', 'cli'];
/** The Slack side: the door's commands and the Block Kit, Web API and notifier code. */
const SLACK = ['slack', 'commands'];
/** Where the doors are wired to the lifecycle and the server (`src/index.ts` loads config and calls `startBot`). */
const COMPOSITION_ROOT = ['bot.ts', 'index.ts'];

/** An import between two files of `src/`, as paths from the repository root. */
interface Edge {
  from: string;
  to: string;
}

interface Rule {
  name: string;
  reason: string;
  breaks: (from: string, to: string) => boolean;
}

/** `src/core/x.ts` → `core`; `src/bot.ts` → `bot.ts`. */
function room(path: string): string {
  return path.split('/')[1] ?? path;
}

const RULES: Rule[] = [
  {
    name: 'core imports nothing of the product outside core',
    reason:
      'core/ is the model and its rules, at the bottom: pure, testable alone, and the one place every door and store agrees on',
    breaks: (from, to) => room(from) === 'core' && room(to) !== 'core',
  },
  {
    name: 'moengage/ and auth/ import nothing of Slack nor of a door',
    reason:
      'the MoEngage client and the access policy serve every door alike; a Slack or door import ties them to one way in',
    breaks: (from, to) =>
      ['moengage', 'auth'].includes(room(from)) && (SLACK.includes(room(to)) || DOORS.includes(room(to))),
  },
  {
    name: 'no door imports another door',
    reason:
      'doors are siblings over the lifecycle: what two doors share belongs below them (core, lifecycle, an HTTP kit), or the next door imports both',
    breaks: (from, to) => DOORS.includes(room(from)) && DOORS.includes(room(to)) && room(from) !== room(to),
  },
  {
    name: 'nothing imports a door except the composition root and the sandbox',
    reason:
      'a door is an edge: only the composition root (src/bot.ts, src/index.ts) wires it, and the sandbox drives it; anything else importing one makes the edge a dependency',
    breaks: (from, to) =>
      DOORS.includes(room(to)) &&
      room(from) !== room(to) &&
      !COMPOSITION_ROOT.includes(room(from)) &&
      room(from) !== 'sandbox',
  },
  {
    name: 'nothing outside the sandbox imports it',
    reason:
      'the simulators and the demo exist for tests and for trying the bot; production code that imports them ships the fakes',
    breaks: (from, to) => room(to) === 'sandbox' && room(from) !== 'sandbox',
  },
];

/** Imports that break a rule today, each with why; remove an entry when its import goes (the test says so). */
const KNOWN: (Edge & { note: string })[] = [
  {
    from: 'src/config.ts',
    to: 'src/hooks/sources.ts',
    note: "the env schema names the webhook sources (HOOK_SOURCES, Grafana's defaults); the list belongs below the door",
  },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => `${dir}/${name.split('\\').join('/')}`)
    .sort();
}

/** Every relative module a file names: `import … from`, `export … from`, bare `import '…'` and `import('…')`. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1] as string;
      if (specifier.startsWith('.'))
        found.push(
          normalize(join(dirname(file), specifier))
            .split('\\')
            .join('/'),
        );
    }
  }
  return found;
}

const EDGES: Edge[] = sourceFiles('src').flatMap((from) => importsOf(from).map((to) => ({ from, to })));
const key = (edge: Edge) => `${edge.from} → ${edge.to}`;

describe('architecture: the import rules', () => {
  it('reads the imports it checks (multi-line, type-only and re-exports included)', () => {
    const keys = new Set(EDGES.map(key));
    // Each a known import of a different shape; if the reader misses them, every rule below passes vacuously.
    expect(keys).toContain('src/bot.ts → src/commands/index.ts');
    expect(keys).toContain('src/hooks/api.ts → src/requests/idempotency.ts'); // import type
    expect(EDGES.length).toBeGreaterThan(300);
    for (const edge of EDGES) expect(edge.to, key(edge)).toMatch(/^src\/.+\.(ts|json)$/);
  });

  for (const rule of RULES) {
    it(rule.name, () => {
      const known = new Set(KNOWN.map(key));
      const broken = EDGES.filter((edge) => rule.breaks(edge.from, edge.to) && !known.has(key(edge)));
      expect(broken.map(key), `${rule.name}: ${rule.reason}`).toEqual([]);
    });
  }

  it('lists only known exceptions that still exist and still break a rule (so the list shrinks)', () => {
    const breaking = new Set(
      EDGES.filter((edge) => RULES.some((r) => r.breaks(edge.from, edge.to))).map(key),
    );
    const gone = KNOWN.filter((edge) => !breaking.has(key(edge))).map(key);
    expect(gone, 'these imports no longer break a rule: remove them from KNOWN').toEqual([]);
  });
});
