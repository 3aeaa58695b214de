import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.ts';
import { VERSION } from '../../src/version.ts';

const lines = async (metrics: ReturnType<typeof createMetrics>) => (await metrics.text()).split('\n');

describe('the metrics', () => {
  it("give Node's process metrics their standard names and the build as campaign_bot_build_info", async () => {
    const text = await lines(createMetrics());
    expect(text).toContain(`campaign_bot_build_info{version="${VERSION}",node="${process.version}"} 1`);
    expect(text.some((l) => l.startsWith('process_cpu_user_seconds_total '))).toBe(true);
    expect(text.some((l) => l.startsWith('nodejs_heap_size_used_bytes '))).toBe(true);
    expect(text.some((l) => /^campaign_bot_(process|nodejs)_/.test(l))).toBe(false);
  });

  it('report readiness by check as /readyz answers it, asking once a scrape', async () => {
    const metrics = createMetrics();
    let asked = 0;
    metrics.watchReadiness(async () => {
      asked += 1;
      return { ready: false, checks: { slack: true, redis: false } };
    });
    const text = await lines(metrics);
    expect(text).toContain('campaign_bot_ready 0');
    expect(text).toContain('campaign_bot_readiness_check{check="slack"} 1');
    expect(text).toContain('campaign_bot_readiness_check{check="redis"} 0');
    expect(asked).toBe(1);
  });

  it('count as not ready when readiness itself fails', async () => {
    const metrics = createMetrics();
    metrics.watchReadiness(async () => {
      throw new Error('store gone');
    });
    expect(await lines(metrics)).toContain('campaign_bot_ready 0');
  });

  it('report stuck runs from the store, and each sweep’s last good round and failures', async () => {
    const metrics = createMetrics();
    metrics.watchRuns(async () => 2);
    const before = Date.now() / 1000;
    metrics.sweep('resume', 'started');
    metrics.sweep('resume', 'failed');
    metrics.sweep('resume', 'failed');
    const text = await lines(metrics);
    expect(text).toContain('campaign_bot_runs_overdue 2');
    expect(text).toContain('campaign_bot_sweep_failures_total{sweep="resume"} 2');
    const last = text.find((l) =>
      l.startsWith('campaign_bot_sweep_last_success_timestamp_seconds{sweep="resume"}'),
    );
    expect(Number(last?.split(' ')[1])).toBeGreaterThanOrEqual(Math.floor(before));
  });
});
