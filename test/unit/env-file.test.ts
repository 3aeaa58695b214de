import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../src/config.ts';
import { EnvFileError, readEnvFile } from '../../src/env-file.ts';

const EXAMPLE = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
/** Read by docker-compose.yml (its Redis's password), not by the bot. */
const COMPOSE_ONLY = ['REDIS_PASSWORD'];

/** The names .env.example sets, in its order. */
const exampleNames = () =>
  EXAMPLE.split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);

describe('.env.example', () => {
  it('lists every variable the config reads, once, and nothing else but docker-compose’s own', () => {
    const names = exampleNames();
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...CONFIG_VARIABLES, ...COMPOSE_ONLY].sort());
  });

  it('copied as it is, makes the bot name exactly the settings an operator must give, and nothing else', () => {
    let error: unknown;
    try {
      loadConfig(parseEnv(EXAMPLE));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.split(':')[0])).toEqual([
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'MOENGAGE_WORKSPACE_ID',
      'MOENGAGE_API_KEY',
      'MOENGAGE_DATA_CENTER',
    ]);
  });

  it('fills in only defaults: with the required settings given, it configures the bot as an empty file would', () => {
    const required = {
      SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdefabcdef',
      SLACK_SIGNING_SECRET: 'signing-secret-0123456789',
      MOENGAGE_WORKSPACE_ID: 'WS12345',
      MOENGAGE_API_KEY: 'api-key-very-secret',
      MOENGAGE_DATA_CENTER: '02',
    };
    expect(loadConfig({ ...parseEnv(EXAMPLE), ...required })).toEqual(loadConfig(required));
  });
});

describe('readEnvFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'campaign-bot-env-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = (text: string) => {
    const path = join(dir, '.env');
    writeFileSync(path, text);
    return path;
  };
  const refusal = (path: string) => {
    try {
      readEnvFile(path);
    } catch (error) {
      expect(error).toBeInstanceOf(EnvFileError);
      return (error as Error).message;
    }
    throw new Error('expected readEnvFile to throw');
  };

  it('reads nothing, and says nothing, when there is no file', () => {
    expect(readEnvFile(join(dir, '.env'))).toEqual({});
  });

  it('reads settings, comments, export, quotes and a quoted value over several lines as Node does', () => {
    const text = '# a comment\n\nA=1\nexport B=two\nC="x y"\nD="first\nsecond"\nE=\n';
    expect(readEnvFile(file(text))).toEqual({ A: '1', B: 'two', C: 'x y', D: 'first\nsecond', E: '' });
  });

  it('refuses a line that is not a setting, by its number, never quoting it (it may hold a secret)', () => {
    const message = refusal(file('A=1\nxoxb-secret-pasted-alone\n'));
    expect(message).toBe(
      `${join(dir, '.env')}: line 2 is not NAME=value (a comment starts with #); fix it or remove the line (nothing was started)`,
    );
    expect(message).not.toContain('xoxb');
    expect(message.split('\n')).toHaveLength(1);
  });

  it('refuses a quoted value that never closes', () => {
    expect(refusal(file('A=1\nB="opened\nC=3\n'))).toContain(
      'line 2 opens a quoted value (") that never closes',
    );
  });

  it('says in one line when the file cannot be read', () => {
    mkdirSync(join(dir, 'dir.env'));
    expect(refusal(join(dir, 'dir.env'))).toBe(`${join(dir, 'dir.env')}: cannot be read (EISDIR)`);
  });
});
