/**
 * The one authorization policy, deny by default, used by every entry point (slash command, every button
 * click, later the runbook doors). Pure: group membership is looked up by the caller-supplied resolver.
 */
export interface AccessPolicy {
  /** User ids (U…, W…) allowed directly, and user-group ids (S…) whose members are allowed. */
  allowedUserIds: readonly string[];
  allowedChannelIds: readonly string[];
}

export interface UserGroupResolver {
  /** Members of a Slack user group. Throws when it cannot tell: the policy then refuses. */
  membersOf(groupId: string): Promise<ReadonlySet<string>>;
}

export type Decision =
  | { allowed: true; via: string }
  | { allowed: false; failed: 'user' | 'channel' | 'user_and_channel' | 'lookup'; message: string };

export interface Actor {
  userId: string;
  channelId: string;
  /**
   * Set when the actor is not a Slack user but a runbook token whose grant the door has already checked (its
   * actions and channels): the grant stands in for the user allowlist; the channel allowlist still applies.
   */
  grantedBy?: string;
}

export async function authorize(
  actor: Actor,
  policy: AccessPolicy,
  groups: UserGroupResolver,
): Promise<Decision> {
  const channelOk = policy.allowedChannelIds.includes(actor.channelId);
  let via: string | undefined = actor.grantedBy
    ? `grant:${actor.grantedBy}`
    : policy.allowedUserIds.includes(actor.userId)
      ? 'user'
      : undefined;
  let lookupFailed = false;
  for (const groupId of via ? [] : policy.allowedUserIds.filter((id) => id.startsWith('S'))) {
    try {
      if ((await groups.membersOf(groupId)).has(actor.userId)) {
        via = `group:${groupId}`;
        break;
      }
    } catch {
      lookupFailed = true;
    }
  }
  if (via && channelOk) return { allowed: true, via };
  const userMessage = lookupFailed ? LOOKUP_FAILED : USER_REFUSED;
  if (!via && !channelOk) {
    return { allowed: false, failed: 'user_and_channel', message: `${userMessage} ${CHANNEL_REFUSED}` };
  }
  if (!via) return { allowed: false, failed: lookupFailed ? 'lookup' : 'user', message: userMessage };
  return { allowed: false, failed: 'channel', message: CHANNEL_REFUSED };
}

const LOOKUP_FAILED =
  'I could not check your user-group membership with Slack just now, so I refused. Try again in a minute.';
const USER_REFUSED =
  'You are not on the list of people allowed to change MoEngage campaigns (ALLOWED_USER_IDS, directly or through a user group).';
const CHANNEL_REFUSED =
  'Campaign changes are not allowed in this channel; use one of the channels in ALLOWED_CHANNEL_IDS.';
