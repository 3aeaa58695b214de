import { RE2JS } from 're2js';
import { z } from 'zod';
import { CAMPAIGN_ACTIONS, type CampaignAction } from '../../../core/actions.ts';
import { queryWords } from '../../../core/catalog.ts';
import { CHANNEL_ID_PATTERN } from '../../../core/ids.ts';
import { parsePauseFor } from '../../../core/pause-for.ts';
import { HOOK_SOURCES, type HookSource } from '../../../core/sources.ts';
import { invalid, parseStartFile, readStartFile } from '../../../core/yaml-file.ts';
import { VENDORS } from './vendors/index.ts';

/**
 * HOOK_RULES_FILE (YAML or JSON): which incident-tool events propose which campaign action. Checked once at
 * start, every problem named by its path. Each rule: the sender (`source`), what must match in its payload
 * (dotted paths, each value a regular expression on the field's text; all must match), the action, the campaigns
 * (ids, `group:NAME`, dashboard links, or `{name: …}`: part of a campaign's name, read against the catalog when the
 * rule fires, so a renamed or new campaign is found then), the channel the confirmation goes to, and a reason with
 * `{{dotted.path}}` placeholders. A name must find exactly one campaign and be confirmed by a person: under a rule
 * of the access policy that runs without approval (auto_execute) it is refused.
 *
 *   rules:
 *     - name: checkout-down
 *       source: pagerduty
 *       match:
 *         event.event_type: ^incident\.triggered$
 *         event.data.service.summary: ^Checkout
 *       action: PAUSE
 *       campaigns: [group:black-friday-push, { name: Price drop email }]
 *       channel: C0INCIDENT
 *       reason: "PagerDuty #{{event.data.number}}: {{event.data.title}}"
 *       pause_for: 2h          # optional (PAUSE only): the RESUME of what it paused is scheduled
 */
export interface HookRule {
  name: string;
  source: HookSource;
  /** RE2 patterns (re2js): matched in time linear in the text, whatever the pattern (no catastrophic backtracking). */
  match: readonly { path: string; pattern: RE2JS }[];
  action: CampaignAction;
  /** As the lifecycle reads them: ids, `group:NAME`, links, and each name as a `"quoted name"`. */
  campaigns: readonly string[];
  channel: string;
  reason: string | undefined;
  pauseFor: string | undefined;
}

const ruleSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, '1–64 letters, digits, _ . : or -'),
  source: z.enum(HOOK_SOURCES, `must be one of ${HOOK_SOURCES.join(', ')}`),
  match: z
    .record(z.string().regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'a dotted path'), z.string())
    .default({}),
  action: z.preprocess(
    (v) => (typeof v === 'string' ? v.toUpperCase() : v),
    z.enum(CAMPAIGN_ACTIONS, `must be one of ${CAMPAIGN_ACTIONS.join(', ')}`),
  ),
  campaigns: z
    .array(
      z.union(
        [
          z.string().min(1).max(500),
          z.strictObject({
            name: z
              .string()
              .trim()
              .min(1)
              .max(200)
              .refine((n) => queryWords(n).length > 0, 'a name needs letters or digits'),
          }),
        ],
        'an id, group:NAME, a dashboard link, or {name: "part of a name"}',
      ),
    )
    .min(1, 'name at least one campaign id or group:NAME')
    .max(1_000),
  channel: z.string().regex(CHANNEL_ID_PATTERN, 'must be a Slack channel id (C…, G…)'),
  reason: z.string().min(1).max(500).optional(),
  pause_for: z
    .string()
    .regex(/^(\d+d)?(\d+h)?(\d+m)?$/, 'like 2h, 30m, 1d')
    .optional(),
});
const fileSchema = z.strictObject({ rules: z.array(ruleSchema).min(1, 'give at least one rule') });

export class HookRulesError extends Error {
  readonly code = 'hook_rules_invalid';
}

const fail = (message: string) => new HookRulesError(message);

export async function loadHookRules(path: string, configured: ReadonlySet<string>): Promise<HookRule[]> {
  return parseHookRules(await readStartFile(path, 'HOOK_RULES_FILE', fail), configured, path);
}

/** The rules, or a HookRulesError naming every problem (a bad regular expression, a source without a secret, …). */
export function parseHookRules(
  text: string,
  configured: ReadonlySet<string>,
  where = 'HOOK_RULES_FILE',
): HookRule[] {
  const data = parseStartFile(text, fileSchema, where, fail);
  const problems: string[] = [];
  const names = new Set<string>();
  const rules = data.rules.map((r, i): HookRule => {
    const at = `rules.${i}`;
    if (names.has(r.name)) problems.push(`${at}.name: "${r.name}" is used twice`);
    names.add(r.name);
    if (!configured.has(r.source)) problems.push(`${at}.source: "${r.source}" has no secret in HOOK_SECRETS`);
    if (r.pause_for && r.action !== 'PAUSE')
      problems.push(`${at}.pause_for: only a PAUSE can be for a while`);
    if (r.pause_for) {
      const read = parsePauseFor('for', r.pause_for, Date.now());
      if (!read.ok) problems.push(`${at}.pause_for: ${read.message.replace(/`/g, '')}`);
    }
    const match = Object.entries(r.match).flatMap(([path, source]) => {
      try {
        return [{ path, pattern: RE2JS.compile(source) }];
      } catch (error) {
        // RE2 has no backreferences or lookaround: the price of matching any sender's text in linear time.
        problems.push(
          `${at}.match.${path}: not a regular expression RE2 takes (${(error as Error).message}); backreferences and lookaround are not supported, so that no pattern can hold the bot on a crafted text`,
        );
        return [];
      }
    });
    for (const [placeholder] of (r.reason ?? '').matchAll(/\{\{([^}]*)\}\}/g)) {
      if (!/^\{\{\s*[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*\s*\}\}$/.test(placeholder)) {
        problems.push(`${at}.reason: ${placeholder} is not a {{dotted.path}}`);
      }
    }
    return {
      name: r.name,
      source: r.source,
      match,
      action: r.action,
      // A name is the token the lifecycle reads against the catalog when the rule fires (its own quotes dropped).
      campaigns: r.campaigns.map((c) =>
        typeof c === 'string' ? c : `"${c.name.replace(/["“”„]/g, ' ').trim()}"`,
      ),
      channel: r.channel,
      reason: r.reason,
      pauseFor: r.pause_for,
    };
  });
  if (problems.length > 0) throw fail(invalid(where, problems));
  return rules;
}

/**
 * The text of a field of the payload at a dotted path (`alerts.0.labels.service`); undefined if none is there.
 * A key that itself holds dots (incident.io's `public_incident.incident_created_v2`) is found too: at each level
 * the longest run of the path's segments that is a key is taken.
 */
export function fieldText(payload: unknown, path: string): string | undefined {
  let at: unknown = payload;
  const segments = path.split('.');
  let i = 0;
  while (i < segments.length) {
    if (at === null || typeof at !== 'object') return undefined;
    let found = false;
    for (let j = segments.length; j > i; j--) {
      const key = segments.slice(i, j).join('.');
      if (Object.hasOwn(at, key)) {
        at = (at as Record<string, unknown>)[key];
        i = j;
        found = true;
        break;
      }
    }
    if (!found) return undefined;
  }
  if (typeof at === 'string') return at;
  if (typeof at === 'number' || typeof at === 'boolean') return String(at);
  // A list of plain values (Opsgenie's tags) reads as its items joined by commas.
  if (Array.isArray(at) && at.every((v) => ['string', 'number', 'boolean'].includes(typeof v)))
    return at.join(',');
  return undefined;
}

const MATCHED_CHARS = 4_096;

/**
 * The rules of this source whose every pattern matches its field. An incident.io test or tutorial incident
 * (`mode`) matches only the rules that name its mode field: a drill proposes nothing unless a rule asks. Pure.
 */
export function matchingRules(rules: readonly HookRule[], source: HookSource, payload: unknown): HookRule[] {
  const drill = VENDORS[source].rehearsal?.(payload);
  return rules.filter(
    (r) =>
      r.source === source &&
      (!drill || r.match.some(({ path }) => drill.paths.includes(path))) &&
      r.match.every(({ path, pattern }) => {
        const text = fieldText(payload, path);
        // A pattern runs on at most 4 KiB of a field: a sender's long text cannot hold the bot on a slow match.
        return text !== undefined && pattern.test(text.slice(0, MATCHED_CHARS));
      }),
  );
}

/** The reason with each `{{path}}` replaced by that field's text (control characters dropped, 200 at most). */
export function renderReason(template: string | undefined, payload: unknown): string | undefined {
  if (!template) return undefined;
  const text = template.replace(/\{\{\s*([^}\s]+)\s*\}\}/g, (_, path: string) =>
    (fieldText(payload, path) ?? '')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: dropping control characters is the point
      .replace(/[\u0000-\u001f\u007f]/g, ' ')
      .slice(0, 200),
  );
  const trimmed = text.trim().slice(0, 500);
  return trimmed === '' ? undefined : trimmed;
}
