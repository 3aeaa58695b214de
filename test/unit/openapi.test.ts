import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createConfig, getLineColLocation, lint } from '@redocly/openapi-core';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CAMPAIGN_ACTIONS } from '../../src/core/actions.ts';
import { HOOK_SOURCES } from '../../src/core/sources.ts';
import { bodySchema, describe as describeResource } from '../../src/doors/http/runbook/api.ts';
import { HTTP_ROUTES } from '../../src/routes.ts';
import { drift } from '../support/words.ts';

const SPEC_FILE = fileURLToPath(new URL('../../docs/openapi.yaml', import.meta.url));
const spec = parse(readFileSync(SPEC_FILE, 'utf8')) as {
  paths: Record<string, unknown>;
  components: { schemas: Record<string, { properties: Record<string, unknown> }> };
};

describe('docs/openapi.yaml describes the runbook API as built', () => {
  it('has exactly the API routes of the route table, with their methods', () => {
    const served = HTTP_ROUTES.filter((r) => r.path.startsWith('/api/')).map(
      (r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`,
    );
    const documented = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops as object).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(served.sort());
  });

  it('lists exactly the input fields the API accepts', () => {
    expect(Object.keys(spec.components.schemas.CampaignActionInput?.properties ?? {}).sort()).toEqual(
      Object.keys(bodySchema.shape).sort(),
    );
  });

  it('lists exactly the fields of the resource the API returns', () => {
    const resource = describeResource({
      id: 'x',
      action: 'PAUSE',
      campaignIds: ['a'],
      reason: undefined,
      requestedBy: 'runbook:x',
      grants: [],
      approvals: [],
      channelId: 'C1',
      source: 'runbook_api',
      createdAt: 0,
      expiresAt: 1,
      messageTs: undefined,
      state: 'pending',
      decidedBy: undefined,
      decidedAt: undefined,
    });
    expect(Object.keys(spec.components.schemas.CampaignAction?.properties ?? {}).sort()).toEqual(
      Object.keys(resource).sort(),
    );
  });

  it('names the actions and the webhook sources as the one list of each has them', () => {
    const problems: string[] = [];
    let seen = 0;
    // Every `action` property: its enum, or (where any case is taken) the actions its description names.
    const visit = (node: unknown, at: string): void => {
      if (node === null || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node)) {
        const where = `${at}.${key}`;
        const v = value as { enum?: string[]; description?: string };
        if (key === 'action' && v && typeof v === 'object' && 'type' in v) {
          const named = v.enum ?? v.description?.match(/\b[A-Z]{3,}\b/g) ?? [];
          problems.push(...drift(where, named, CAMPAIGN_ACTIONS));
          seen += 1;
        }
        visit(value, where);
      }
    };
    visit(spec, 'openapi');
    expect(seen).toBeGreaterThanOrEqual(3); // the input, the resource and the audit entry
    const hooks = (spec.paths['/api/v1/hooks/{source}'] as { post: HookOperation }).post;
    const source = hooks.parameters.find((p) => p.name === 'source');
    problems.push(...drift('the {source} parameter', source?.schema?.enum ?? [], HOOK_SOURCES));
    // The description says how each source signs: it must speak of every one.
    const spoken = HOOK_SOURCES.filter((s) => new RegExp(`\\b${s}\\b`).test(hooks.description));
    problems.push(...drift("the hooks' description", spoken, HOOK_SOURCES));
    expect(problems).toEqual([]);
  });
});

interface HookOperation {
  description: string;
  parameters: { name: string; schema?: { enum?: string[] } }[];
}

describe('docs/openapi.yaml is well formed', () => {
  it("passes Redocly's recommended rules with no error and no warning (each problem named where it is)", async () => {
    const problems = await lint({ ref: SPEC_FILE, config: await createConfig({ extends: ['recommended'] }) });
    const named = problems.map((p) => {
      const at = p.location[0];
      const line = at ? getLineColLocation(at).start.line : '?';
      return `line ${line} ${at?.pointer ?? ''}: ${p.severity} ${p.ruleId}: ${p.message}`;
    });
    expect(named).toEqual([]);
  }, 20_000);

  it('has no key without a value (an unquoted comma or colon cuts a description in two)', () => {
    const empty: string[] = [];
    const visit = (node: unknown, at: string): void => {
      if (node === null) empty.push(at);
      else if (typeof node === 'object') for (const [k, v] of Object.entries(node)) visit(v, `${at}/${k}`);
    };
    visit(spec, '#');
    expect(empty).toEqual([]);
  });

  it("names each operation after the route table's handler, so a reader can find the code", () => {
    const served = HTTP_ROUTES.filter((r) => r.path.startsWith('/api/')).map(
      (r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')} ${r.handler}`,
    );
    const documented = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.entries(ops as Record<string, { operationId?: string }>).map(
        ([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`,
      ),
    );
    expect(documented.sort()).toEqual(served.sort());
  });
});
