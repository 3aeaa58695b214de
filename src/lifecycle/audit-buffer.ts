import type { Logger } from 'pino';
import type { AuditEvent } from '../core/audit.ts';
import type { AuditTrail } from '../core/ports.ts';
import { errorText } from './error-text.ts';

/**
 * The audit trail's appends, kept through a store outage: an event the store could not take waits in memory, in
 * order, and is appended (with its own time) once the store answers again; events that come meanwhile queue
 * behind it, so the trail keeps its order. Bounded: past `max` waiting events the oldest is dropped, with an
 * error line (every event is also in the log, the first record). One append at a time is ever in flight.
 */
export function bufferedAuditAppend(
  trail: AuditTrail,
  options: { log: Logger; max?: number; retryMs?: number; maxRetryMs?: number },
): (event: AuditEvent, at: number) => void {
  const max = options.max ?? 10_000;
  const base = options.retryMs ?? 200;
  const cap = options.maxRetryMs ?? 5_000;
  const waiting: { event: AuditEvent; at: number }[] = [];
  let flushing = false;
  let failures = 0;
  let dropped = 0;

  async function flush(): Promise<void> {
    if (flushing) return;
    flushing = true;
    try {
      while (waiting.length > 0) {
        const next = waiting[0] as { event: AuditEvent; at: number };
        try {
          await trail.append(next.event, next.at);
          // The bound may have dropped it meanwhile: only the one appended leaves the queue.
          if (waiting[0] === next) waiting.shift();
          if (failures > 0) {
            options.log.info(
              { waiting: waiting.length, dropped },
              'audit trail recorded again after the store came back',
            );
            failures = 0;
            dropped = 0;
          }
        } catch (error) {
          if (failures === 0)
            options.log.warn(
              { err: errorText(error), waiting: waiting.length },
              'audit trail not recorded: the store is unavailable; events wait in memory and are appended once it answers',
            );
          failures += 1;
          await new Promise((r) => setTimeout(r, Math.min(cap, base * 2 ** Math.min(failures, 10))).unref());
        }
      }
    } finally {
      flushing = false;
    }
  }

  return (event, at) => {
    waiting.push({ event, at });
    if (waiting.length > max) {
      waiting.shift();
      dropped += 1;
      if (dropped === 1 || dropped % 1_000 === 0)
        options.log.error(
          { dropped, max },
          'audit trail: events dropped while the store is unavailable (they remain in the log)',
        );
    }
    void flush();
  };
}
