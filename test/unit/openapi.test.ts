import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bodySchema, describe as describeResource } from '../../src/doors/http/runbook/api.ts';
import { HTTP_ROUTES } from '../../src/routes.ts';

const spec = parse(readFileSync(new URL('../../docs/openapi.yaml', import.meta.url), 'utf8')) as {
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
});
