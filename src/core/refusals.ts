import type { DenialPart, Step } from './access.ts';

/**
 * The words for a refusal, in plain text, for every door: which part of the access policy failed, never what
 * the caller may not see (no lists of allowed people, channels or groups).
 */
export function refusalText(step: Step, part: DenialPart, action?: string): string {
  const what = action ? `a ${action}` : 'this';
  switch (part) {
    case 'user':
      return step === 'list_groups'
        ? 'You are not on the list of people allowed to request campaign changes, so there are no groups to show you.'
        : step === 'cancel'
          ? 'Only the requester, an approver of this request, or someone who may request it can cancel it.'
          : 'You are not on the list of people allowed to request MoEngage campaign changes (no rule of the access policy names you, directly or through a user group).';
    case 'action':
      return `No rule of the access policy lets you request ${what}.`;
    case 'channel':
      return step === 'approve'
        ? 'Approvals for this request are not allowed in this channel.'
        : step === 'read'
          ? 'No such campaign action.'
          : 'Campaign changes are not allowed in this channel for you.';
    case 'campaign_group':
      return `No rule of the access policy lets you request ${what} of these campaigns (some are outside the campaign groups you may change).`;
    case 'approver':
      return 'You are not on the list of people allowed to approve this request (no rule it was asked under names you as an approver).';
    case 'same_person':
      return `${action ? `A ${action}` : 'This request'} needs a second person: someone other than the person who asked (or the person it was asked on behalf of) must approve it.`;
    case 'lookup':
      return 'I could not check your user-group membership with Slack just now, so I refused. Try again in a minute.';
  }
}
