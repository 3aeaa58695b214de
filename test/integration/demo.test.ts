import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('npm run demo', () => {
  it('plays the whole incident against the simulators and exits 0', async () => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('../../src/sandbox/demo.ts', import.meta.url))],
      {
        stdio: 'pipe',
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const [code] = await once(child, 'exit');
    // Drops the ANSI colour codes the transcript uses for emphasis.
    const text = out.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
    expect(code, text).toBe(0);
    for (const line of [
      // It says it is a demo, sped up.
      'A demo: the real bot against simulated Slack and MoEngage, sped up',
      'only eve (intern) sees:',
      'not on the list of people allowed',
      'Requested by @alice · ✅ 25 paused · confirmed by @bob',
      'MoEngage received 3 requests',
      'needs a second person',
      'only carol (#oncall group) sees:',
      'not on the list of people allowed to approve',
      'confirmed by @dave',
      'In MoEngage: 25 active.',
      'sent_001',
      'the V1 API stops only scheduled one-time campaigns',
      '2 stopped, 1 not sent (flagged)',
      'already confirmed by @bob',
      '→ 202',
      'Requested by runbook:pagerduty',
      '→ completed, 2 applied, 0 failed',
      // The incident goes on: undo, freeze and unfreeze, a pause for a while.
      'clicks [ Undo: resume 25 ]',
      'Reason: undo of',
      '25 resumed',
      'Freeze of email campaigns',
      '[ Unfreeze: resume 8 ]',
      'A freeze of email campaigns is on already',
      'Reason: unfreeze of',
      '8 resumed',
      'Scheduled: resume 1 campaign (exactly those this paused)',
      '[ Resume now ]  [ Keep paused ]',
      'end of the pause for 2h',
      '1 resumed',
      // PagerDuty's own signed webhook proposes; a person approves.
      'PagerDuty POSTs /api/v1/hooks/pagerduty',
      '→ 202 {"matched":["checkout-down"]}',
      'PagerDuty retries the same delivery → 202',
      'Reason: PagerDuty #4713: Checkout returns 500s',
      'Requested by hook:pagerduty · ✅ 2 paused · confirmed by @alice',
    ]) {
      expect(text).toContain(line);
    }
    // Sped up it plays in about 2 s (it took about 25 s paced like Slack): the bound is generous for a busy
    // machine and still catches the pacing coming back.
    const played = Number(/The demo played in ([0-9.]+) s\./.exec(text)?.[1]);
    expect(played, text).toBeLessThan(15);
  }, 60_000);
});
