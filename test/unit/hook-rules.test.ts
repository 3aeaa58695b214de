import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fieldText, matchingRules, parseHookRules, renderReason } from '../../src/hooks/rules.ts';
import { HOOK_SOURCES } from '../../src/hooks/sources.ts';
import { alerts, incidentio, opsgenie, pagerduty, rootly } from '../support/hook-samples.ts';

const example = readFileSync(new URL('../../docs/examples/hook-rules.yaml', import.meta.url), 'utf8');

describe('HOOK_RULES_FILE', () => {
  it('reads the README example, and each rule matches its tool documented sample', () => {
    const rules = parseHookRules(example, new Set(HOOK_SOURCES));
    expect(rules.map((r) => r.name)).toEqual([
      'checkout-down',
      'sev1-declared',
      'rootly-sev1',
      'checkout-error-rate',
      'grafana-checkout',
      'opsgenie-p1',
    ]);
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
    expect(matchingRules(rules, 'opsgenie', opsgenie()).map((r) => r.name)).toEqual(['opsgenie-p1']);
    expect(matchingRules(rules, 'opsgenie', opsgenie('Close'))).toEqual([]);
    expect(rules.find((r) => r.name === 'checkout-error-rate')?.pauseFor).toBe('2h');
  });

  it('reads the rules the README shows', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /```yaml\n# HOOK_RULES_FILE\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const rules = parseHookRules(block, new Set(HOOK_SOURCES));
    expect(matchingRules(rules, 'pagerduty', pagerduty()).map((r) => r.name)).toEqual(['checkout-down']);
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
});
