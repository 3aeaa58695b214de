import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CAMPAIGN_ACTIONS } from '../../src/core/actions.ts';
import { type Listeners, type Registrar, registerListeners } from '../../src/doors/slack/index.ts';
import { WORKFLOW_INPUTS, WORKFLOW_OUTPUTS, WORKFLOW_STEP_ID } from '../../src/doors/slack/workflow-step.ts';
import { SCOPES_BY_METHOD } from '../../src/slack/port.ts';
import { campaignWordLists, commandWordsDrift, drift } from '../support/words.ts';

interface Manifest {
  display_information: { long_description: string };
  features: { slash_commands?: { command: string; usage_hint?: string; description?: string }[] };
  functions?: Record<
    string,
    { input_parameters: Record<string, unknown>; output_parameters: Record<string, unknown> }
  >;
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    interactivity?: { is_enabled: boolean };
    event_subscriptions?: { bot_events?: string[] };
    function_runtime?: string;
    org_deploy_enabled?: boolean;
  };
}

const manifest = parse(readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8')) as Manifest;

/** Registers the real listener table on a recorder, to see exactly which ids the bot listens to. */
function registered() {
  const commands: string[] = [];
  const actions: string[] = [];
  const functions: string[] = [];
  const events: string[] = [];
  const recorder = {
    event: (id: string) => events.push(id),
    command: (id: string) => commands.push(id),
    action: (constraints: { action_id: string }) => actions.push(constraints.action_id),
    function: (id: string) => functions.push(id),
  } as unknown as Registrar;
  const noop = async () => {};
  registerListeners(recorder, {
    campaignCommand: noop,
    confirm: noop,
    cancel: noop,
    workflowStep: noop,
    groupChanged: noop,
  } as unknown as Listeners);
  return { commands, actions, functions, events: [...new Set(events)] };
}

describe('manifest.yml matches what the bot registers and calls', () => {
  it('declares every slash command the bot registers, and no other', () => {
    const declared = (manifest.features.slash_commands ?? []).map((c) => c.command).sort();
    expect(declared).toEqual(registered().commands.sort());
    for (const c of manifest.features.slash_commands ?? []) {
      expect(c.description?.length).toBeGreaterThan(0);
    }
  });

  it('names the /campaign words and the actions as the subcommand table and the one list of actions have them', () => {
    const problems = (manifest.features.slash_commands ?? []).flatMap((c) => {
      const hinted = (c.usage_hint ?? '').split(' ')[0]?.split('|') ?? [];
      return commandWordsDrift(`${c.command}'s usage_hint`, hinted);
    });
    for (const words of campaignWordLists(manifest.display_information.long_description, {
      backticked: false,
    }))
      problems.push(...commandWordsDrift('long_description', words));
    const step = manifest.functions?.[WORKFLOW_STEP_ID]?.input_parameters.action as { description?: string };
    const named = step.description?.match(/\b[A-Z]{3,}\b/g) ?? [];
    problems.push(...drift(`${WORKFLOW_STEP_ID}'s action description`, named, CAMPAIGN_ACTIONS));
    expect(problems).toEqual([]);
  });

  it('enables interactivity exactly when the bot registers button actions', () => {
    expect(registered().actions.length).toBeGreaterThan(0);
    expect(manifest.settings.interactivity?.is_enabled).toBe(registered().actions.length > 0);
  });

  it('declares every Workflow Builder step the bot registers, with exactly the parameters it reads and writes', () => {
    expect(Object.keys(manifest.functions ?? {}).sort()).toEqual(registered().functions.sort());
    const step = manifest.functions?.[WORKFLOW_STEP_ID];
    expect(Object.keys(step?.input_parameters ?? {}).sort()).toEqual([...WORKFLOW_INPUTS].sort());
    expect(Object.keys(step?.output_parameters ?? {}).sort()).toEqual([...WORKFLOW_OUTPUTS].sort());
    expect(manifest.settings).toMatchObject({ function_runtime: 'remote', org_deploy_enabled: true });
    expect(manifest.settings).toMatchObject({ function_runtime: 'remote', org_deploy_enabled: true });
  });

  it('subscribes to exactly the events the bot listens to (function_executed for the step, the rest registered)', () => {
    const declared = [...(manifest.settings.event_subscriptions?.bot_events ?? [])].sort();
    expect(declared).toEqual(['function_executed', ...registered().events].sort());
  });

  it('asks for the bot scopes the bot needs and no more', () => {
    const needed = new Set(Object.values(SCOPES_BY_METHOD).filter((s): s is string => s !== undefined));
    if (registered().commands.length > 0) needed.add('commands');
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
  });
});
