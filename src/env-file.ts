import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/** A `.env` that cannot be read, or has a line that is not a setting: the message is one line, with no value. */
export class EnvFileError extends Error {
  readonly code = 'env_file_invalid';
}

/** `NAME=…` or `export NAME=…`: what Node's own parser takes as a setting. */
const SETTING = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=(.*)$/;

/**
 * The variables of a `.env` file (Node's own parser, `util.parseEnv`: no dependency), or none when there is no
 * file. Node's parser skips a line it cannot read without a word, so a typo would silently leave a setting unset:
 * every line is checked first, and the first that is neither blank, a comment nor `NAME=value` (a quoted value
 * may span lines) is refused by its number. The message never quotes the file: a line may hold a secret.
 */
export function readEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    throw new EnvFileError(`${path}: cannot be read (${code ?? (error as Error).message})`);
  }
  const problem = firstBadLine(text);
  if (problem) throw new EnvFileError(`${path}: ${problem}; fix it or remove the line (nothing was started)`);
  return parseEnv(text) as Record<string, string>;
}

/** Where the file stops being settings, in words; undefined when every line is one. */
function firstBadLine(text: string): string | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as string;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const setting = SETTING.exec(line);
    if (!setting) return `line ${i + 1} is not NAME=value (a comment starts with #)`;
    const value = (setting[1] as string).trimStart();
    const quote = value[0];
    // A quoted value that does not close on its line goes on until the line that closes it.
    if ((quote === '"' || quote === "'" || quote === '`') && !value.slice(1).includes(quote)) {
      const end = lines.findIndex((l, j) => j > i && l.includes(quote));
      if (end < 0) return `line ${i + 1} opens a quoted value (${quote}) that never closes`;
      i = end;
    }
  }
  return undefined;
}
