import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CAMPAIGN_ID_PATTERN, GROUP_NAME_PATTERN } from './ids.ts';

/** Named lists of campaign ids (CAMPAIGN_GROUPS_FILE), usable anywhere ids are as `group:NAME`. */
export type CampaignGroups = ReadonlyMap<string, readonly string[]>;

const groupsSchema = z.record(
  z.string().regex(GROUP_NAME_PATTERN, 'group names are 1–64 letters, digits, `_`, `.` or `-`'),
  z
    .array(z.string().regex(CAMPAIGN_ID_PATTERN, 'each campaign id is 1–64 letters, digits, `_` or `-`'))
    .min(1, 'a group needs at least one campaign id'),
);

export class GroupsFileError extends Error {
  readonly code = 'groups_file_invalid';
}

/** Reads and validates the groups file (YAML or JSON); every problem is reported at once, with its path. */
export async function loadCampaignGroups(path: string): Promise<CampaignGroups> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new GroupsFileError(
      `CAMPAIGN_GROUPS_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  return parseCampaignGroups(text, path);
}

export function parseCampaignGroups(text: string, source = 'groups file'): CampaignGroups {
  let raw: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    raw = parseYaml(text);
  } catch (error) {
    throw new GroupsFileError(
      `${source}: not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`,
    );
  }
  const parsed = groupsSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new GroupsFileError(`${source} is invalid:\n${problems.join('\n')}`);
  }
  return new Map(Object.entries(parsed.data).map(([name, ids]) => [name, [...new Set(ids)]]));
}
