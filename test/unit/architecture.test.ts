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

/**
 * The rooms of `src/`: a folder, or for the doors and the views the folder inside (`doors/slack`,
 * `doors/http/runbook`, `slack/views`); a file at the top is a room of its own (`compose.ts`).
 */
function room(path: string): string {
  const parts = path.split('/').slice(1);
  if (parts[0] === 'doors' && parts[1] === 'http' && parts.length > 3) return parts.slice(0, 3).join('/');
  if (parts[0] === 'doors' && parts.length > 2) return parts.slice(0, 2).join('/');
  if (parts[0] === 'slack' && parts[1] === 'views' && parts.length > 2) return 'slack/views';
  return parts[0] ?? path;
}

/** Each door turns one outside world's requests into calls to the lifecycle. The HTTP kit is not a door. */
const isDoor = (r: string) => r.startsWith('doors/') && r !== 'doors/http/kit';
/** Where the parts are wired (compose.ts) and the process starts (main.ts). */
const COMPOSITION_ROOT = ['compose.ts', 'main.ts'];
/** What may only import `core/` (and itself): the pure rooms and the clients every door shares. */
const OVER_CORE_ONLY = ['slack/views', 'auth', 'moengage'];

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

const RULES: Rule[] = [
  {
    name: 'core imports nothing of the product outside core',
    reason:
      'core/ is the model, its rules and every port (stores, deduper, idempotency, audit trail, change feed, notifier, executor, lookup), at the bottom: pure, testable alone, the one place every door and store agrees on',
    breaks: (from, to) => room(from) === 'core' && room(to) !== 'core',
  },
  {
    name: 'the views, the policy and the MoEngage client import only core',
    reason:
      'slack/views (Block Kit), auth/ and moengage/ serve every door alike and are tested alone; an import of the lifecycle, a store or a door ties them to one way in',
    breaks: (from, to) =>
      OVER_CORE_ONLY.includes(room(from)) && room(to) !== room(from) && room(to) !== 'core',
  },
  {
    name: 'the HTTP kit imports only core and the HTTP server',
    reason:
      'doors/http/kit is what every HTTP door shares (problem JSON, the resource view, the error guard, the Idempotency-Key dance, tokens): over core and the server’s reply helpers only, so no door needs another',
    breaks: (from, to) =>
      room(from) === 'doors/http/kit' && !['doors/http/kit', 'core', 'http'].includes(room(to)),
  },
  {
    name: 'the Slack adapters import only core and the views',
    reason:
      'slack/ is Slack as the bot calls it (the Web API port, the pacer, the notifier, the outbox delivery, the receiver): it implements ports of core/ and draws with slack/views; it never reaches into the lifecycle or a door',
    breaks: (from, to) => room(from) === 'slack' && !['slack', 'slack/views', 'core'].includes(room(to)),
  },
  {
    name: 'the command language imports only core and the views',
    reason:
      'commands/ is the `/campaign` words (its table, parser and usage), pure: the Slack door and the tests read it; its errors are mrkdwn, so it may escape with the views',
    breaks: (from, to) =>
      room(from) === 'commands' && !['commands', 'core', 'slack/views'].includes(room(to)),
  },
  {
    name: 'stores import only core and the MoEngage limiter port',
    reason:
      'stores/ implements the ports core/ names (memory, SQLite, Redis) and picks one from the config (connect.ts); a store that imports the lifecycle, Slack or a door cannot be swapped',
    breaks: (from, to) =>
      room(from) === 'stores' && !['stores', 'core', 'moengage', 'config.ts'].includes(room(to)),
  },
  {
    name: 'the lifecycle imports only core, auth and moengage',
    reason:
      'the lifecycle is the one way every door changes a campaign; it reaches stores, Slack and MoEngage through the ports of core/, so a door test can pass it fakes',
    breaks: (from, to) =>
      room(from) === 'lifecycle' && !['lifecycle', 'core', 'auth', 'moengage'].includes(room(to)),
  },
  {
    name: 'the HTTP server knows no route',
    reason:
      'http/ serves whatever routes it is given (bodies, time, sockets bounded); a route or a door in it couples the transport to one door',
    breaks: (from, to) => room(from) === 'http' && room(to) !== 'http',
  },
  {
    name: 'no door imports another door',
    reason:
      'doors are siblings over the lifecycle: what two doors share belongs below them (core, lifecycle, the HTTP kit), or the next door imports both',
    breaks: (from, to) => isDoor(room(from)) && isDoor(room(to)) && room(from) !== room(to),
  },
  {
    name: 'nothing imports a door except the composition root and the sandbox',
    reason:
      'a door is an edge: only the composition root (src/compose.ts, src/main.ts) wires it, and the sandbox drives it; anything else importing one makes the edge a dependency',
    breaks: (from, to) =>
      isDoor(room(to)) &&
      room(from) !== room(to) &&
      !isDoor(room(from)) &&
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
const KNOWN: (Edge & { note: string })[] = [];

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
    expect(keys).toContain('src/compose.ts → src/doors/slack/index.ts');
    expect(keys).toContain('src/doors/http/hooks/api.ts → src/core/ports.ts'); // import type
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

  it('is quoted in docs/architecture.md: every rule by its name and its reason, as written here', () => {
    const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    const unquoted = RULES.flatMap((r) => [r.name, r.reason]).filter((text) => !doc.includes(text));
    expect(unquoted, 'quote these in the import rules of docs/architecture.md').toEqual([]);
  });
});
