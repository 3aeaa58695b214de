import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { Logger } from 'pino';

/**
 * Slack's user-group events (`subteam_members_changed`, `subteam_updated`): the group's cached members are
 * forgotten at once, so someone removed from an allowed group is refused on their next click, not a minute later.
 */
export function createGroupChanged(deps: { invalidate: (groupId: string) => void; logger: Logger }) {
  const log = deps.logger.child({ module: 'user-groups' });
  return async ({
    event,
  }: SlackEventMiddlewareArgs<'subteam_members_changed' | 'subteam_updated'> & AllMiddlewareArgs) => {
    const e = event as { subteam_id?: unknown; subteam?: { id?: unknown } };
    const groupId = typeof e.subteam_id === 'string' ? e.subteam_id : e.subteam?.id;
    if (typeof groupId !== 'string' || !/^S[A-Z0-9]{2,}$/.test(groupId)) return;
    deps.invalidate(groupId);
    log.info({ group: groupId, event: event.type }, 'user group changed: membership will be asked again');
  };
}
