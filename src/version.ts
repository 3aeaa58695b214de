import { readFileSync } from 'node:fs';

/**
 * The bot's version: package.json's, read once when this module is first loaded (the container copies
 * package.json beside src/). Shown by the CLI's `--version`, in `/healthz`, in the start line and in the
 * `campaign_bot_build_info` metric, so a person, a probe and a dashboard all read the same number.
 */
export const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
