import type { CampaignActionRequest } from '../core/request.ts';
import type { LifecycleContext } from './context.ts';
import { errorText } from './error-text.ts';

/**
 * Reminders for a confirmation nobody has approved: its approvers are reminded once, at half its time, in its
 * thread; and a STOP still waiting after `escalateAfterMs` is escalated once to the ESCALATE_TO user group.
 * Each happens once across replicas (a compare-and-set on the request). Run by the sweep.
 */
export function createReminders(ctx: LifecycleContext) {
  const { deps, now, log } = ctx;
  return async function remindDue(): Promise<number> {
    let sent = 0;
    const t = now();
    for (const due of await deps.store.dueForExpiry(t + deps.ttlMs)) {
      if (due.state !== 'pending') continue;
      try {
        if (!due.nudgedAt && t >= due.createdAt + (due.expiresAt - due.createdAt) / 2) {
          if (await mark(due, 'nudgedAt')) sent += 1;
        }
        const escalateAfter = deps.escalateAfterMs;
        if (deps.escalateTo && escalateAfter !== undefined && due.action === 'STOP' && !due.escalatedAt) {
          if (t >= due.createdAt + escalateAfter && (await mark(due, 'escalatedAt'))) sent += 1;
        }
      } catch (error) {
        log.warn({ requestId: due.id, err: errorText(error) }, 'reminder not sent');
      }
    }
    return sent;
  };

  async function mark(r: CampaignActionRequest, field: 'nudgedAt' | 'escalatedAt'): Promise<boolean> {
    const at = now();
    const claimed = await deps.store.update(r.id, (x) =>
      x.state === 'pending' && !x[field] ? { next: { ...x, [field]: at }, value: true } : { value: false },
    );
    if (!claimed?.value) return false;
    await deps.notifier.update(
      claimed.request,
      field === 'nudgedAt' ? { kind: 'nudge' } : { kind: 'escalate', to: deps.escalateTo as string },
    );
    return true;
  }
}
