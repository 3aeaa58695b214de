import { z } from 'zod';
import { CAMPAIGN_ID_PATTERN, GROUP_NAME_PATTERN } from './ids.ts';
import { parseStartFile, readStartFile } from './yaml-file.ts';

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
const fail = (message: string) => new GroupsFileError(message);

export async function loadCampaignGroups(path: string): Promise<CampaignGroups> {
  return parseCampaignGroups(await readStartFile(path, 'CAMPAIGN_GROUPS_FILE', fail), path);
}

export function parseCampaignGroups(text: string, source = 'groups file'): CampaignGroups {
  const data = parseStartFile(text, groupsSchema, source, fail);
  return new Map(Object.entries(data).map(([name, ids]) => [name, [...new Set(ids)]]));
}
