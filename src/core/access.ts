/** Who acts, which step of the lifecycle, and which part of the access policy can refuse it: the policy's terms. */
export type Actor =
  | { kind: 'user'; id: string }
  | { kind: 'token'; name: string }
  /** An incident tool's webhook (`hook:pagerduty` in the policy), verified by its own signature scheme. */
  | { kind: 'hook'; source: string }
  /** An AI agent at the MCP door, by its token (`agent:<name>` in the policy): it requests, never approves. */
  | { kind: 'agent'; name: string };

/** `home`: may this actor have an App Home with the bot's requests (any rule names them, to ask or approve)? */
export type Step = 'propose' | 'approve' | 'cancel' | 'read' | 'list_groups' | 'home';

export type DenialPart =
  | 'user'
  | 'channel'
  | 'action'
  | 'campaign_group'
  | 'approver'
  | 'same_person'
  | 'lookup';
