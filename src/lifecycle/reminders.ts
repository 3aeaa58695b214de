import type { CampaignActionRequest } from '../core/request.ts';
import type { LifecycleContext } from './context.ts';
import { errorText } from './error-text.ts';
import { inFlight } from './in-flight.ts';

/** Pending requests read per page. */
const PAGE = 100;
/** Reminders handed to Slack and not yet taken (each is a post in a paced channel). */
const IN_FLIGHT = 50;

/**
 * Reminders for a confirmation nobody has approved: its approvers are reminded once, at half its time, in its
 * thread; and a STOP still waiting after `escalateAfterMs` is escalated once to the ESCALATE_TO user group.
 * Each happens once across replicas (a compare-and-set on the request). Run by the sweep, one round at a time:
 * the pending requests are read a page at a time, and each reminder is started, not awaited (Slack paces posts
 * per channel), with a bounded number in flight; when that many wait, the rest are for the next round.
 */
export function createReminders(ctx: LifecycleContext) {
  const { deps, now, log } = ctx;
  const telling = inFlight(IN_FLIGHT);
  return async function remindDue(): Promise<number> {
    let sent = 0;
    const t = now();
    for (let offset = 0; !telling.full(); offset += PAGE) {
      const page = await deps.store.dueForExpiry(t + deps.ttlMs, { limit: PAGE, offset });
      for (const due of page) {
        if (telling.full()) break;
        // Not up in Slack yet (its post waits in the channel's queue): nothing to remind in; later rounds will.
        if (due.state !== 'pending' || !due.messageTs) continue;
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
      if (page.length < PAGE) break;
    }
    return sent;
  };

  /** Claims the reminder (once across replicas) and starts telling it; true when this round claimed it. */
  async function mark(r: CampaignActionRequest, field: 'nudgedAt' | 'escalatedAt'): Promise<boolean> {
    const at = now();
    const claimed = await deps.store.update(r.id, (x) =>
      x.state === 'pending' && !x[field] ? { next: { ...x, [field]: at }, value: true } : { value: false },
    );
    if (!claimed?.value) return false;
    telling.start(() =>
      deps.notifier
        .update(
          claimed.request,
          field === 'nudgedAt' ? { kind: 'nudge' } : { kind: 'escalate', to: deps.escalateTo as string },
        )
        .catch((error: unknown) =>
          log.warn({ requestId: r.id, err: errorText(error) }, 'reminder not shown'),
        ),
    );
    return true;
  }
}
