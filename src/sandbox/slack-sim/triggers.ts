import { randomBytes } from 'node:crypto';
import { now } from './util.ts';

/**
 * trigger_ids as Slack hands them out with a command, a click, a shortcut or a view submission: one opens one
 * view, within 3 seconds of the interaction (Slack's documented life). views.open and views.push exchange them
 * and answer as Slack does: `invalid_trigger_id` (not of Slack's form, or never handed out), `exchanged_trigger_id`
 * (used before) and `expired_trigger_id` (too late).
 */
export type Triggers = ReturnType<typeof createTriggers>;

export interface IssuedTrigger {
  at: number;
  userId: string;
  /** Handed out by an interaction inside this view (a submission, a click in a modal): views.push needs one. */
  viewId: string | undefined;
  used: boolean;
}

// Slack's form: "132456.7890123.abcdef" (its invalid_trigger_id text says so).
const FORM = /^\d+\.\d+\.[0-9a-f]+$/;

export function createTriggers(ttlMs: number) {
  const issued = new Map<string, IssuedTrigger>();
  return {
    /** Hands out a trigger id (`id` when a test chose one; the first handing out of an id is the one that counts). */
    issue(userId: string, viewId?: string, id = newTriggerId()): string {
      if (!issued.has(id)) issued.set(id, { at: now(), userId, viewId, used: false });
      return id;
    },
    /** Uses a trigger id up, or says why Slack would refuse it. */
    exchange(
      id: string | undefined,
    ):
      | { ok: true; trigger: IssuedTrigger }
      | { ok: false; error: 'invalid_trigger_id' | 'exchanged_trigger_id' | 'expired_trigger_id' } {
      const trigger = id === undefined ? undefined : issued.get(id);
      if (id === undefined || !FORM.test(id) || !trigger) return { ok: false, error: 'invalid_trigger_id' };
      if (trigger.used) return { ok: false, error: 'exchanged_trigger_id' };
      if (now() - trigger.at > ttlMs) return { ok: false, error: 'expired_trigger_id' };
      trigger.used = true;
      return { ok: true, trigger };
    },
  };
}

export function newTriggerId(): string {
  return `${Math.floor(Date.now() / 1000)}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`;
}
