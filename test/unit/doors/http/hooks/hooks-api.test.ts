import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../../../../src/core/outcomes.ts';
import { createHooksApi } from '../../../../../src/doors/http/hooks/api.ts';
import { parseHookRules } from '../../../../../src/doors/http/hooks/rules.ts';
import type { BufferedRequest } from '../../../../../src/http/routes.ts';
import type { ProposeInput } from '../../../../../src/lifecycle/lifecycle.ts';
import { createMemoryIdempotency } from '../../../../../src/stores/idempotency.ts';
import { memoryLogger } from '../../../../support/fixtures.ts';
import { pagerduty, SECRETS, signed } from '../../../../support/hook-samples.ts';

/** The webhook door alone, against a strict fake lifecycle: what each answer is, whatever the lifecycle says. */
const rules = parseHookRules(
  `rules:
  - { name: pd, source: pagerduty, match: { event.event_type: ^incident }, action: PAUSE, campaigns: [c1], channel: C0INCIDENT }`,
  new Set(['pagerduty']),
);

function door(propose: (input: ProposeInput) => Promise<Outcome>) {
  const log = memoryLogger('debug');
  const handler = createHooksApi({
    secrets: new Map([['pagerduty', [{ name: 'main', secret: SECRETS.pagerduty }]]]),
    rules,
    lifecycle: { propose },
    idempotency: createMemoryIdempotency(),
    logger: log.logger,
  });
  const event = pagerduty();
  const send = async () => {
    const body = JSON.stringify(event);
    const req = {
      headers: signed('pagerduty', body),
      rawBody: Buffer.from(body),
      params: { source: 'pagerduty' },
      url: '/api/v1/hooks/pagerduty',
      complete: true,
    } as unknown as BufferedRequest;
    let status = 0;
    let text = '';
    const res = {
      headersSent: false,
      writeHead(s: number) {
        status = s;
      },
      end(t: string) {
        text = t;
      },
    } as unknown as ServerResponse;
    await handler(req, res);
    return { status, json: JSON.parse(text) as Record<string, any> };
  };
  return { send, audit: () => log.lines().filter((l) => l.module === 'audit') };
}

describe('the webhook door: 4xx only for what the sender must fix', () => {
  it('answers 200 while the same rule of the same delivery is still being proposed (not 409)', async () => {
    let release: (o: Outcome) => void = () => {};
    const { send } = door(() => new Promise((resolve) => (release = resolve)));
    const first = send();
    await new Promise((r) => setImmediate(r));
    const second = await send();
    expect(second.status).toBe(200);
    expect(second.json.proposals[0]).toMatchObject({ rule: 'pd', status: 'in_progress' });
    release({ kind: 'unavailable', what: 'store' });
    expect((await first).status).toBe(503);
  });

  it('answers a rule the core refuses (an unknown group, say) with 200 and the reason, and keeps that answer', async () => {
    let calls = 0;
    const { send, audit } = door(async () => {
      calls++;
      return { kind: 'invalid_input', field: 'campaign_ids', message: 'no campaign group "x"' };
    });
    const res = await send();
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.json)).toContain('no campaign group');
    expect(audit().find((e) => e.event === 'hook_ignored')).toMatchObject({ code: 'nothing_proposed' });
    expect((await send()).status).toBe(200);
    expect(calls).toBe(1);
  });

  it('answers our own failure before anything is stored with a 5xx, and a retry proposes again', async () => {
    const outcomes: Outcome[] = [{ kind: 'unavailable', what: 'slack', code: 'internal_error' }];
    let calls = 0;
    const { send } = door(async () => {
      calls++;
      return outcomes.shift() ?? { kind: 'not_in_channel' };
    });
    expect((await send()).status).toBe(502);
    expect((await send()).status).toBe(200);
    expect(calls).toBe(2);
  });
});
