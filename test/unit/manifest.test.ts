import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CAMPAIGN_ACTIONS } from '../../src/core/actions.ts';
import { dashboardLink } from '../../src/core/campaign-refs.ts';
import {
  type Listeners,
  type Registrar,
  registerListeners,
  SCOPES_BY_EVENT,
} from '../../src/doors/slack/index.ts';
import { WORKFLOW_INPUTS, WORKFLOW_OUTPUTS, WORKFLOW_STEP_ID } from '../../src/doors/slack/workflow-step.ts';
import { SCOPES_BY_METHOD } from '../../src/slack/port.ts';
import { campaignWordLists, commandWordsDrift, drift } from '../support/words.ts';

interface Manifest {
  display_information: { long_description: string };
  features: {
    slash_commands?: { command: string; usage_hint?: string; description?: string }[];
    shortcuts?: { name: string; type: string; callback_id: string; description: string }[];
    unfurl_domains?: string[];
  };
  functions?: Record<
    string,
    { input_parameters: Record<string, unknown>; output_parameters: Record<string, unknown> }
  >;
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    interactivity?: { is_enabled: boolean; request_url?: string; message_menu_options_url?: string };
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
  const options: string[] = [];
  const views: string[] = [];
  const shortcuts: { type: string; callback_id: string }[] = [];
  const recorder = {
    event: (id: string) => events.push(id),
    command: (id: string) => commands.push(id),
    action: (constraints: { action_id: string }) => actions.push(constraints.action_id),
    function: (id: string) => functions.push(id),
    options: (constraints: { action_id: string }) => options.push(constraints.action_id),
    view: (constraints: { callback_id: string }) => views.push(constraints.callback_id),
    shortcut: (constraints: { type: string; callback_id: string }) => shortcuts.push(constraints),
  } as unknown as Registrar;
  const noop = async () => {};
  registerListeners(recorder, {
    campaignCommand: noop,
    confirm: noop,
    cancel: noop,
    workflowStep: noop,
    groupChanged: noop,
  } as unknown as Listeners);
  return { commands, actions, functions, events: [...new Set(events)], options, views, shortcuts };
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

  it('declares every message shortcut the bot registers, within Slack’s limits', () => {
    const declared = manifest.features.shortcuts ?? [];
    expect(declared.map((s) => ({ type: s.type, callback_id: s.callback_id }))).toEqual(
      registered().shortcuts.map((s) => ({
        type: s.type === 'message_action' ? 'message' : s.type,
        callback_id: s.callback_id,
      })),
    );
    for (const s of declared) {
      expect(s.name.length).toBeLessThanOrEqual(24);
      expect(s.description.length).toBeGreaterThan(0);
      expect(s.description.length).toBeLessThanOrEqual(150);
    }
  });

  it('sends options requests to the bot exactly when it answers external selects, where it answers the rest', () => {
    expect(registered().options.length).toBeGreaterThan(0);
    expect(registered().views.length).toBeGreaterThan(0);
    const interactivity = manifest.settings.interactivity;
    expect(interactivity?.message_menu_options_url).toBe(interactivity?.request_url);
  });

  it('declares unfurl domains exactly when the bot unfurls links, and the scopes that takes', () => {
    const unfurls = registered().events.includes('link_shared');
    const domains = manifest.features.unfurl_domains ?? [];
    expect(domains.length > 0).toBe(unfurls);
    expect(domains.length).toBeLessThanOrEqual(5);
    // Every host the bot reads as a dashboard link is under a declared domain, so Slack sends its links.
    for (const host of [
      'dashboard-01.moengage.com',
      'dashboard-06.moengage.com',
      'dashboard-101.moengage.com',
    ]) {
      expect(dashboardLink(`https://${host}/v4/#/email/${'a1'.repeat(12)}/edit`)).toBeDefined();
      expect(domains.some((d) => host === d || host.endsWith(`.${d}`))).toBe(true);
    }
  });

  it('asks for the bot scopes the bot needs and no more', () => {
    const needed = new Set(Object.values(SCOPES_BY_METHOD).filter((s): s is string => s !== undefined));
    for (const event of registered().events) {
      const scope = SCOPES_BY_EVENT[event as keyof typeof SCOPES_BY_EVENT];
      if (scope) needed.add(scope);
    }
    if (registered().commands.length > 0) needed.add('commands');
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
  });
});
