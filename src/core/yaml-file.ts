import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

/**
 * The files the bot reads at start (CAMPAIGN_GROUPS_FILE, ACCESS_POLICY_FILE, HOOK_RULES_FILE): YAML or JSON (YAML
 * is a superset of JSON, so one parser reads both), checked by a schema and then by `more` (what no single field
 * can say), every problem reported at once with its path. `fail` makes the file's own error class.
 */
export async function readStartFile(
  path: string,
  variable: string,
  fail: (message: string) => Error,
): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw fail(`${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`);
  }
}

export function parseStartFile<S extends z.ZodType>(
  text: string,
  schema: S,
  where: string,
  fail: (message: string) => Error,
  more: (data: z.output<S>) => string[] = () => [],
): z.output<S> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw fail(`${where}: not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`);
  }
  const parsed = schema.safeParse(raw ?? {});
  const problems = parsed.success
    ? more(parsed.data)
    : parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(top level)'}: ${i.message}`);
  if (!parsed.success || problems.length > 0) throw fail(invalid(where, problems));
  return parsed.data;
}

/** "<where> is invalid:" and each problem on a line of its own. */
export function invalid(where: string, problems: readonly string[]): string {
  return `${where} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`;
}
