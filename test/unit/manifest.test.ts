import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Listeners, type Registrar, registerListeners } from '../../src/commands/index.ts';
import { SCOPES_BY_METHOD } from '../../src/slack/port.ts';

interface Manifest {
  features: { slash_commands?: { command: string; usage_hint?: string; description?: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity?: { is_enabled: boolean } };
}

const manifest = parse(readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8')) as Manifest;

/** Registers the real listener table on a recorder, to see exactly which ids the bot listens to. */
function registered() {
  const commands: string[] = [];
  const actions: string[] = [];
  const recorder = {
    command: (id: string) => commands.push(id),
    action: (constraints: { action_id: string }) => actions.push(constraints.action_id),
  } as unknown as Registrar;
  const noop = async () => {};
  registerListeners(recorder, { campaignCommand: noop, confirm: noop, cancel: noop } as unknown as Listeners);
  return { commands, actions };
}

describe('manifest.yml matches what the bot registers and calls', () => {
  it('declares every slash command the bot registers, and no other', () => {
    const declared = (manifest.features.slash_commands ?? []).map((c) => c.command).sort();
    expect(declared).toEqual(registered().commands.sort());
    for (const c of manifest.features.slash_commands ?? []) {
      expect(c.usage_hint).toMatch(/pause\|resume\|stop/);
      expect(c.description?.length).toBeGreaterThan(0);
    }
  });

  it('enables interactivity exactly when the bot registers button actions', () => {
    expect(registered().actions.length).toBeGreaterThan(0);
    expect(manifest.settings.interactivity?.is_enabled).toBe(registered().actions.length > 0);
  });

  it('asks for the bot scopes the bot needs and no more', () => {
    const needed = new Set(Object.values(SCOPES_BY_METHOD).filter((s): s is string => s !== undefined));
    if (registered().commands.length > 0) needed.add('commands');
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
  });
});
