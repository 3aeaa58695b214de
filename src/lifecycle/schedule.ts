import { type Actor, actorOf } from '../auth/authorize.ts';
import type { CampaignAction } from '../core/actions.ts';
import type { Outcome } from '../core/outcomes.ts';
import {
  claimResume,
  markReminded,
  markResumeCreated,
  moveSchedule,
  refuseResume,
  resumeRequestOf,
  type ScheduleRefusal,
  scheduleOf,
} from '../core/pause-for.ts';
import { type CampaignActionRequest, resumeRuleName } from '../core/request.ts';
import type { LifecycleContext } from './context.ts';
import { errorText } from './error-text.ts';

/**
 * A PAUSE "for a while" once it has finished: its reminder ten minutes before, then its RESUME, each once across
 * replicas (a compare-and-set on the PAUSE), driven by the stores' index of due work through the sweep. The
 * RESUME is a request of its own, confirmed already (approved when the PAUSE was), run by the one durable
 * execution; "Resume now" and "Keep paused" move the schedule, for people the policy lets request it.
 */
export function createSchedule(
  ctx: LifecycleContext,
  kick: () => Promise<unknown>,
  activeFreezes: () => Promise<CampaignActionRequest[]>,
) {
  const { deps, now, log, emit, fields } = ctx;

  /** Whatever is due on this finished PAUSE now (the index handed it over). */
  async function due(pause: CampaignActionRequest): Promise<void> {
    const s = scheduleOf(pause);
    if (!s) return;
    const t = now();
    if (t >= s.at || pause.resume?.requestId) {
      await startResume(pause.id);
      return;
    }
    if (s.remindAt !== undefined && t >= s.remindAt) {
      const marked = await deps.store.update(pause.id, (r) => markReminded(r, now()));
      if (marked?.value) await deps.notifier.update(marked.request, { kind: 'resume_reminder' });
    }
  }

  /**
   * Claims the RESUME's id on the PAUSE (from then on "Keep paused" is refused), stores the RESUME (its id is
   * derived from the PAUSE's, so a replica repeating this after a crash finds it), then marks it stored. Until
   * that last mark the PAUSE stays due, so a crash anywhere in between is repeated by whoever comes next.
   */
  async function startResume(pauseId: string): Promise<void> {
    const before = await deps.store.get(pauseId);
    if (!before) return;
    let frozen: string[] = [];
    if (!before.resume?.requestId) {
      const s = scheduleOf(before);
      if (!s || now() < s.at) return;
      // Days may have passed: the policy decides again whether the requester may ask for this RESUME here.
      const actor = actorOf(before.requestedBy);
      const facts = {
        action: 'RESUME' as const,
        channelId: before.channelId,
        campaignIds: s.ids,
        requestedBy: before.requestedBy,
      };
      const verdict = await deps.authorize(actor, 'propose', facts);
      if (!verdict.allowed) {
        if (await refuse(pauseId, verdict.part))
          ctx.denied('propose', actor, verdict.part, { ...facts, requestId: pauseId });
        return;
      }
      // What a freeze covers now stays paused; when that is everything, there is nothing to resume.
      frozen = await frozenIds(before, s.ids);
      if (frozen.length === s.ids.length) {
        await refuse(pauseId, 'frozen');
        return;
      }
    }
    const claimed = await deps.store.update(pauseId, (r) => claimResume(r, now(), frozen));
    const id = claimed?.value;
    if (!claimed || !id) return;
    const pause = claimed.request;
    let created = false;
    if (!(await deps.store.get(id))) {
      const resume = resumeRequestOf(pause, id, now());
      try {
        await deps.store.create(resume);
        created = true;
        const via = `schedule:${pause.id}`;
        const rules = resume.grants.map((g) => g.rule);
        emit({ event: 'requested', user: resume.requestedBy, via, rules, ...fields(resume) });
        emit({ event: 'confirmed', user: resume.decidedBy ?? resume.requestedBy, via, ...fields(resume) });
      } catch (error) {
        // Another replica stored it first: the same id, the same request.
        if (!(await deps.store.get(id))) throw error;
      }
    }
    // Whoever marks it stored says so in the thread (once), whether or not it stored it itself.
    const marked = await deps.store.update(pauseId, markResumeCreated);
    if (marked?.value) await deps.notifier.update(marked.request, { kind: 'resume_started' });
    if (created) log.info({ requestId: pauseId, resume: id }, 'scheduled resume started');
    ctx.changes.publish(pauseId);
    // Run now rather than at the next sweep: the RESUME is due at once.
    await kick();
  }

  /** Records once that the RESUME will not run, and why (a policy part, or `frozen`), and says so in the thread. */
  async function refuse(pauseId: string, why: string): Promise<boolean> {
    const refused = await deps.store.update(pauseId, (r) => refuseResume(r, why));
    if (!refused?.value) return false;
    await deps.notifier.update(refused.request, { kind: 'resume_refused', part: why });
    return true;
  }

  /**
   * The ids a freeze that holds its scope now covers: all of them for `all`, a group's, or those the PAUSE's
   * lookup showed on the frozen channel. A freeze lists only active campaigns, so those paused for a while are
   * not in it; resuming them in the middle of it would undo it.
   */
  async function frozenIds(pause: CampaignActionRequest, ids: readonly string[]): Promise<string[]> {
    const out = new Set<string>();
    for (const f of await activeFreezes()) {
      const scope = f.freeze?.scope;
      if (!scope) continue;
      const lookup = pause.lookup?.state === 'done' ? pause.lookup.campaigns : {};
      for (const id of ids) {
        if (
          scope.kind === 'all' ||
          (scope.kind === 'group' && (deps.groups.get(scope.name) ?? []).includes(id)) ||
          (scope.kind === 'channel' && lookup[id]?.channel === scope.channel)
        )
          out.add(id);
      }
    }
    return [...out];
  }

  /** "Keep paused" (`keep`) or "Resume now" (`now`), by a person the policy lets request it here. */
  async function change(pauseId: string, what: 'keep' | 'now', actor: Actor): Promise<Outcome> {
    const pause = await deps.store.get(pauseId);
    if (!pause) return { kind: 'not_found' };
    const s = scheduleOf(pause);
    const ids = s?.ids ?? pause.campaignIds;
    // Whoever may request the PAUSE may keep it. Bringing the RESUME forward runs it, approved already: that
    // takes what running it takes, an approval under one of the RESUME's own rules as they are now.
    const action: CampaignAction = what === 'now' ? 'RESUME' : 'PAUSE';
    const verdict =
      what === 'now'
        ? await resumeNowVerdict(pause, ids, actor)
        : await deps.authorize(actor, 'propose', {
            action,
            channelId: pause.channelId,
            campaignIds: ids,
            requestedBy: ctx.actorId(actor),
          });
    if (!verdict.allowed) {
      const step = what === 'now' ? 'approve' : 'propose';
      return ctx.denied(step, actor, verdict.part, {
        channelId: pause.channelId,
        action,
        requestId: pauseId,
      });
    }
    const by = ctx.actorId(actor);
    const changed = await deps.store.update(pauseId, (r) => moveSchedule(r, what, by, now()));
    if (!changed) return { kind: 'not_found' };
    if (changed.value !== true)
      return { kind: 'invalid_input', field: 'campaign_ids', message: REFUSED[changed.value] };
    emit({
      event: what === 'keep' ? 'resume_kept' : 'resume_brought_forward',
      user: by,
      via: verdict.via,
      ...fields(pause),
    });
    ctx.changes.publish(pauseId);
    if (what === 'keep') {
      // Kept already (the CAS above): a failure to tell the thread must not be told as "unchanged".
      await deps.notifier
        .update(changed.request, { kind: 'resume_kept', by })
        .catch((error: unknown) =>
          log.warn({ requestId: pauseId, err: errorText(error) }, 'resume kept, not told in the thread'),
        );
    } else {
      await startResume(pauseId).catch((error: unknown) =>
        log.error(
          { requestId: pauseId, err: errorText(error) },
          'could not start the resume; the sweep will',
        ),
      );
    }
    return {
      kind: 'schedule_changed',
      change: what === 'keep' ? 'kept' : 'resuming',
      request: changed.request,
    };
  }

  /**
   * "Resume now" runs the RESUME the PAUSE's approvers approved for later: the clicker must be allowed to approve
   * it under one of its rules (`resume:<rule>` grants), with that rule's same-person constraint (the RESUME is the
   * PAUSE's requester's). A RESUME rule that needs no approval (auto_execute) runs for whoever may request it.
   */
  async function resumeNowVerdict(pause: CampaignActionRequest, ids: readonly string[], actor: Actor) {
    const later = pause.grants.filter((g) => g.part === 'resume');
    const grants = later.map((g) => ({ ...g, rule: resumeRuleName(g.rule) }));
    const facts = {
      action: 'RESUME' as const,
      channelId: pause.channelId,
      campaignIds: ids,
      requestedBy: pause.requestedBy,
      onBehalfOf: pause.onBehalfOf,
    };
    if (grants.some((g) => g.needed === 0)) {
      const asker = await deps.authorize(actor, 'propose', { ...facts, requestedBy: ctx.actorId(actor) });
      if (asker.allowed && asker.grants.some((g) => g.needed === 0)) return asker;
    }
    // Older records carry no RESUME grants: nothing to approve under, so refused (deny by default).
    return deps.authorize(actor, 'approve', { ...facts, grants });
  }

  return { due, change };
}

const REFUSED: Record<ScheduleRefusal, string> = {
  nothing_scheduled: 'Nothing is scheduled to resume from this pause any more.',
  already_resuming: 'The scheduled resume has started already; its message in the channel shows how it went.',
  kept: 'Someone chose to keep these campaigns paused already; resume them with Undo or `/campaign resume`.',
};
