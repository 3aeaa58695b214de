import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createMetrics } from '../../src/metrics.ts';

/**
 * docs/grafana/campaign-bot.json and docs/prometheus/alerts.yml against the metrics the bot serves: a renamed
 * metric, or a label that does not exist, would leave a panel empty or an alert silent, and nobody would notice
 * until the incident it was for.
 */
const ALERTS_FILE = fileURLToPath(new URL('../../docs/prometheus/alerts.yml', import.meta.url));
const DASHBOARD_FILE = fileURLToPath(new URL('../../docs/grafana/campaign-bot.json', import.meta.url));

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: { severity?: string };
  annotations?: { summary?: string; description?: string };
}
const alerts = parse(readFileSync(ALERTS_FILE, 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
const rules = alerts.groups.flatMap((g) => g.rules);

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: { expr: string }[];
  gridPos: { x: number; y: number; w: number; h: number };
}
const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; definition: string }[] };
};

/** Prometheus's own checker, when it is installed (CI machines may have it; this project does not ship it). */
const promtool = (process.env.PATH ?? '')
  .split(delimiter)
  .map((dir) => join(dir, 'promtool'))
  .find((path) => spawnSync(path, ['--version']).status === 0);
const SKIPPED = ' (skipped: promtool is not on the PATH; the checks above still ran)';

/** Series Prometheus makes itself, not the bot: `up` (the scrape), and the labels a scrape adds. */
const PROMETHEUS_OWN = new Set(['up']);
const TARGET_LABELS = new Set(['instance', 'job']);

/** The bot's series as /metrics serves them (the registry the bot builds), each with its label names. */
async function served(): Promise<Map<string, Set<string>>> {
  const metrics = createMetrics();
  const series = new Map<string, Set<string>>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    const labels = new Set(
      (metrics.registry.getSingleMetric(m.name) as unknown as { labelNames: string[] }).labelNames,
    );
    if (String(m.type) === 'histogram') {
      series.set(`${m.name}_bucket`, new Set([...labels, 'le']));
      series.set(`${m.name}_sum`, labels);
      series.set(`${m.name}_count`, labels);
    } else series.set(m.name, labels);
  }
  return series;
}

/** PromQL's words that are not metric names: functions, aggregations, keywords. */
const PROMQL_WORDS = new Set(
  'sum min max avg count stddev stdvar topk bottomk quantile count_values group rate irate increase delta idelta deriv histogram_quantile time abs absent absent_over_time clamp_max clamp_min label_values label_replace vector scalar by without on ignoring group_left group_right and or unless bool offset'.split(
    ' ',
  ),
);

/** Each metric a PromQL expression names, with the label names its selector uses (`name{label="…"}`). */
function metricsIn(expr: string): { name: string; labels: string[] }[] {
  const text = expr
    // Grafana's label_values(metric, label) reads as the metric with that label.
    .replace(/label_values\(\s*([\w:]+)\s*,\s*(\w+)\s*\)/g, '$1{$2=""}')
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  const found: { name: string; labels: string[] }[] = [];
  for (const m of text.matchAll(/(?<![\w$.])([a-zA-Z_:][\w:]*)\s*(\{[^}]*\})?/g)) {
    const name = m[1] as string;
    if (PROMQL_WORDS.has(name) || /^\d/.test(name)) continue;
    // A function call: the word is followed by "(".
    if (
      text
        .slice((m.index ?? 0) + m[0].length)
        .trimStart()
        .startsWith('(') &&
      !m[2]
    )
      continue;
    const labels = [...(m[2] ?? '').matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1] as string);
    found.push({ name, labels });
  }
  return found;
}

/** Every metric or label a file names that the bot does not serve, as "where: what". */
async function unknownIn(exprs: { where: string; expr: string }[]): Promise<string[]> {
  const series = await served();
  const problems: string[] = [];
  for (const { where, expr } of exprs) {
    const named = metricsIn(expr);
    if (named.length === 0) problems.push(`${where}: names no metric (${expr})`);
    for (const { name, labels } of named) {
      if (PROMETHEUS_OWN.has(name)) continue;
      const known = series.get(name);
      if (!known) problems.push(`${where}: ${name} is not a metric the bot serves`);
      for (const label of labels.filter((l) => !TARGET_LABELS.has(l) && known && !known.has(l))) {
        problems.push(`${where}: ${name} has no label ${label}`);
      }
    }
  }
  return problems;
}

describe('docs/prometheus/alerts.yml', () => {
  it('names only metrics and labels the bot serves', async () => {
    expect(rules.length).toBeGreaterThan(0);
    expect(await unknownIn(rules.map((r) => ({ where: r.alert, expr: r.expr })))).toEqual([]);
  });

  it('covers the failures the bot can see', () => {
    const exprs = rules.map((r) => r.expr).join('\n');
    for (const watched of [
      'check="redis"',
      'check="moengage_credentials"',
      'campaign_bot_moengage_requests_total{status=~"401|403"}',
      'campaign_bot_slack_calls_given_up_total',
      'campaign_bot_slack_outbox_dropped_total',
      'campaign_bot_runs_overdue',
      'campaign_bot_sweep_last_success_timestamp_seconds',
    ]) {
      expect(exprs).toContain(watched);
    }
  });

  it('gives every rule a unique name, a severity, a summary and a description', () => {
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    const incomplete = rules.filter(
      (r) =>
        !['critical', 'warning', 'info'].includes(r.labels?.severity ?? '') ||
        !r.annotations?.summary ||
        !r.annotations.description,
    );
    expect(incomplete.map((r) => r.alert)).toEqual([]);
  });

  it.skipIf(!promtool)(`passes promtool check rules${promtool ? '' : SKIPPED}`, () => {
    const run = spawnSync(promtool as string, ['check', 'rules', ALERTS_FILE], { encoding: 'utf8' });
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
  });
});

describe('docs/grafana/campaign-bot.json', () => {
  const panels = dashboard.panels.filter((p) => p.type !== 'row');

  it('names only metrics and labels the bot serves, in every panel and variable', async () => {
    const exprs = [
      ...panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
      ...dashboard.templating.list.map((v) => ({ where: `$${v.name}`, expr: v.definition })),
    ];
    expect(exprs.length).toBeGreaterThan(20);
    expect(await unknownIn(exprs)).toEqual([]);
  });

  it('is importable: a uid, unique panel ids, the Prometheus data source as an input, panels within the grid', () => {
    expect(dashboard.uid).toBe('campaign-bot');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Grafana's import asks for the data source named in __inputs and puts it where this placeholder is.
    const input = '$'.concat('{DS_PROMETHEUS}');
    expect(panels.filter((p) => p.datasource?.uid !== input).map((p) => p.title)).toEqual([]);
    expect(panels.filter((p) => p.gridPos.x + p.gridPos.w > 24).map((p) => p.title)).toEqual([]);
  });

  it.skipIf(!promtool)(
    `has queries that parse as PromQL (promtool, Grafana's variables filled in)${promtool ? '' : SKIPPED}`,
    () => {
      // Each query as a recording rule: promtool parses every expression of a rules file.
      const dir = mkdtempSync(join(tmpdir(), 'campaign-bot-dashboard-'));
      try {
        const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
        const file = join(dir, 'dashboard-queries.yml');
        const record = queries.map((expr, i) => ({
          record: `dashboard:query_${i}`,
          expr: expr.replaceAll('$instance', '.*').replaceAll('$__rate_interval', '5m'),
        }));
        writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules: record }] }));
        const run = spawnSync(promtool as string, ['check', 'rules', file], { encoding: 'utf8' });
        expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('shows the standard Node.js process metrics and the build', () => {
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    for (const name of [
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
      'campaign_bot_build_info',
    ]) {
      expect(exprs).toContain(name);
    }
  });
});

describe('metricsIn (the PromQL reading the checks above rely on)', () => {
  it('finds metric names and selector labels, not functions, ranges, groupings or strings', () => {
    expect(
      metricsIn(
        'sum by (instance, le) (rate(campaign_bot_ack_seconds_bucket{instance=~"$instance", job="x"}[5m])) / time() > up',
      ),
    ).toEqual([
      { name: 'campaign_bot_ack_seconds_bucket', labels: ['instance', 'job'] },
      { name: 'up', labels: [] },
    ]);
    expect(metricsIn('label_values(campaign_bot_build_info, version)')).toEqual([
      { name: 'campaign_bot_build_info', labels: ['version'] },
    ]);
    expect(metricsIn('campaign_bot_no_such_metric{nope="x"}')).toEqual([
      { name: 'campaign_bot_no_such_metric', labels: ['nope'] },
    ]);
  });
});
