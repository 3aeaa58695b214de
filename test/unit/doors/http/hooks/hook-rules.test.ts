import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HOOK_SOURCES } from '../../../../../src/core/sources.ts';
import {
  fieldText,
  matchingRules,
  parseHookRules,
  renderReason,
} from '../../../../../src/doors/http/hooks/rules.ts';
import {
  alerts,
  incidentio,
  moengageAlert,
  opsgenie,
  pagerduty,
  rootly,
} from '../../../../support/hook-samples.ts';

const example = readFileSync(
  new URL('../../../../../docs/examples/hook-rules.yaml', import.meta.url),
  'utf8',
);

describe('HOOK_RULES_FILE', () => {
  it('reads the example file, and each rule matches its tool documented sample', () => {
    const rules = parseHookRules(example, new Set(HOOK_SOURCES));
    expect(rules.map((r) => r.name)).toEqual([
      'checkout-down',
      'sev1-declared',
      'drill-declared',
      'rootly-sev1',
      'checkout-error-rate',
      'grafana-checkout',
      'opsgenie-checkout',
      'moengage-delivery-drop',
    ]);
    expect(matchingRules(rules, 'moengage', moengageAlert()).map((r) => r.name)).toEqual([
      'moengage-delivery-drop',
    ]);
    expect(matchingRules(rules, 'moengage', moengageAlert('camp_009', 'CLICK_RATE'))).toEqual([]);
    expect(matchingRules(rules, 'pagerduty', pagerduty()).map((r) => r.name)).toEqual(['checkout-down']);
    expect(matchingRules(rules, 'pagerduty', pagerduty('incident.resolved'))).toEqual([]);
    expect(matchingRules(rules, 'incidentio', incidentio()).map((r) => r.name)).toEqual(['sev1-declared']);
    expect(matchingRules(rules, 'incidentio', incidentio('Minor'))).toEqual([]);
    expect(matchingRules(rules, 'rootly', rootly()).map((r) => r.name)).toEqual(['rootly-sev1']);
    expect(matchingRules(rules, 'alertmanager', alerts()).map((r) => r.name)).toEqual([
      'checkout-error-rate',
    ]);
    expect(matchingRules(rules, 'grafana', alerts('firing', 'CheckoutDown', '1')).map((r) => r.name)).toEqual(
      ['grafana-checkout'],
    );
    expect(matchingRules(rules, 'opsgenie', opsgenie()).map((r) => r.name)).toEqual(['opsgenie-checkout']);
    expect(matchingRules(rules, 'opsgenie', opsgenie('Create', undefined)).map((r) => r.name)).toEqual([
      'opsgenie-checkout',
    ]);
    // incident.io's drills: only the rule that names the mode field takes them.
    expect(matchingRules(rules, 'incidentio', incidentio('Critical', 'test')).map((r) => r.name)).toEqual([
      'drill-declared',
    ]);
    expect(matchingRules(rules, 'incidentio', incidentio('Critical', 'tutorial'))).toEqual([]);
    expect(
      matchingRules(rules, 'incidentio', incidentio('Critical', 'retrospective')).map((r) => r.name),
    ).toEqual(['sev1-declared']);
    expect(matchingRules(rules, 'opsgenie', opsgenie('Close'))).toEqual([]);
    expect(rules.find((r) => r.name === 'checkout-error-rate')?.pauseFor).toBe('2h');
  });

  it('reads the rules docs/integrations.md shows', () => {
    const doc = readFileSync(new URL('../../../../../docs/integrations.md', import.meta.url), 'utf8');
    const block = /```yaml\n# HOOK_RULES_FILE\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const rules = parseHookRules(block, new Set(HOOK_SOURCES));
    expect(matchingRules(rules, 'pagerduty', pagerduty()).map((r) => r.name)).toEqual(['checkout-down']);
  });

  it('takes campaigns by name or dashboard link beside ids and groups, each read when the rule fires', () => {
    const link = 'https://dashboard-02.moengage.com/v4/#/push/64f1a2b3c4d5e6f7a8b9c0d1/edit';
    const [rule] = parseHookRules(
      `rules:
  - name: by-name
    source: pagerduty
    action: PAUSE
    campaigns: [camp_1, group:bf, { name: Price drop email }, { name: 'the "VIP" winback' }, '"cafe rewards"', '${link}']
    channel: C0INCIDENT
`,
      new Set(HOOK_SOURCES),
    );
    expect(rule?.campaigns).toEqual([
      'camp_1',
      'group:bf',
      '"Price drop email"',
      '"the  VIP  winback"',
      '"cafe rewards"',
      link,
    ]);
    const bad = (campaigns: string) => () =>
      parseHookRules(
        `rules:\n  - { name: a, source: pagerduty, action: PAUSE, campaigns: ${campaigns}, channel: C0INCIDENT }`,
        new Set(HOOK_SOURCES),
      );
    expect(bad('[{ name: "--" }]')).toThrow(/rules\.0\.campaigns\.0\.name: a name needs letters or digits/);
    expect(bad('[{ id: camp_1 }]')).toThrow(/rules\.0\.campaigns\.0/);
  });

  it('reads dotted paths through arrays and keys holding dots, and fills reasons without control characters', () => {
    expect(fieldText(alerts(), 'alerts.0.labels.service')).toBe('checkout');
    expect(fieldText(incidentio(), 'public_incident.incident_created_v2.reference')).toBe('INC-88');
    expect(fieldText(opsgenie(), 'alert.tags')).toBe('checkout,sev1');
    expect(fieldText(pagerduty(), 'event.data')).toBeUndefined();
    expect(fieldText(pagerduty(), 'event.nothing.here')).toBeUndefined();
    expect(renderReason('#{{event.data.number}} {{ event.data.title }} {{missing}}', pagerduty())).toBe(
      '#4711 Checkout returns 500s',
    );
    expect(renderReason('{{x}}', { x: 'a\u0007b\nc' })).toBe('a b c');
    expect(renderReason('{{missing}}', {})).toBeUndefined();
  });

  it('refuses at start the patterns RE2 cannot run in linear time (backreferences, lookaround), saying why', () => {
    const rule = (pattern: string) =>
      `rules:\n  - { name: a, source: pagerduty, match: { event.data.title: '${pattern}' }, action: PAUSE, campaigns: [c], channel: C0INCIDENT }`;
    for (const pattern of ['(down)\\1', '^(?=Checkout)', '(?<!not )down']) {
      expect(() => parseHookRules(rule(pattern), new Set(HOOK_SOURCES)), pattern).toThrow(
        /rules\.0\.match\.event\.data\.title: not a regular expression RE2 takes .*backreferences and lookaround are not supported/,
      );
    }
    expect(parseHookRules(rule('^(\\w+\\s?)*down$'), new Set(HOOK_SOURCES))).toHaveLength(1);
  });

  it('matches a rule open to catastrophic backtracking against a crafted 32-character title, and completes', () => {
    // With JavaScript's own RegExp this match takes about 2^31 steps (28 characters: 2.4 s measured; 32: the
    // issue's 29 s and more); RE2 takes time linear in the text.
    const rules = parseHookRules(
      `rules:\n  - { name: slow, source: pagerduty, match: { event.data.title: '^(\\w+\\s?)*down$' }, action: PAUSE, campaigns: [c], channel: C0INCIDENT }`,
      new Set(HOOK_SOURCES),
    );
    const crafted = pagerduty();
    crafted.event.data.title = `${'a'.repeat(31)}!`;
    expect(crafted.event.data.title).toHaveLength(32);
    expect(matchingRules(rules, 'pagerduty', crafted)).toEqual([]);
    const down = pagerduty();
    down.event.data.title = 'checkout is down';
    expect(matchingRules(rules, 'pagerduty', down)).toHaveLength(1);
  });
});

describe('where a callback may go', () => {
  it('refuses private, reserved and loopback addresses, by literal and by name as the connection resolves it', async () => {
    const { callbackProblem } = await import('../../../../../src/doors/http/runbook/request-fields.ts');
    const { guardedLookup } = await import('../../../../../src/doors/http/runbook/callback-address.ts');
    for (const url of [
      'https://127.0.0.2/x',
      'https://0/x',
      'https://[::ffff:7f00:1]/x',
      'https://localhost./x',
      'https://169.254.169.254/latest',
      'https://10.1.2.3/',
      'https://[fd00::1]/',
      'http://example.com/x',
      'https://user:pw@example.com/x',
    ]) {
      expect(callbackProblem(url, false), url).toBeDefined();
    }
    expect(callbackProblem('https://example.com/done', false)).toBeUndefined();
    expect(callbackProblem('http://127.0.0.1:8080/done', true)).toBeUndefined();
    expect(callbackProblem('https://10.0.0.1/done', true)).toBeDefined();
    // A name is checked as the connection resolves it: localhost (from /etc/hosts) is refused unless allowed.
    const resolved = (allow: boolean) =>
      new Promise<string>((resolve) =>
        guardedLookup(allow)('localhost', {}, (err, address) =>
          resolve(err ? `refused: ${err.message}` : String(address)),
        ),
      );
    expect(await resolved(false)).toMatch(/refused: callback host resolves to a loopback address/);
    expect(await resolved(true)).toMatch(/^(127\.0\.0\.1|::1)$/);
  });
});
