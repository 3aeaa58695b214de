import type { SlackRateLimits } from './rate-limits.ts';
export type SlackBlock = { type: string; block_id?: string; [key: string]: unknown };

export interface SlackSimOptions {
  botToken: string;
  /** The app's signing secret: part B (see `startSlackSim`) signs the requests it sends to the bot with it. */
  signingSecret: string;
  teamId?: string;
  /** Default 'UBOT'. */
  botUserId?: string;
  /** Default 'BBOT'. */
  botId?: string;
  /** Channels the bot is a member of at start (more via `joinChannel`). Default: none. */
  memberChannels?: string[];
  /** Usergroup id -> member user ids. */
  userGroups?: Record<string, string[]>;
  /** An org-wide install on Enterprise Grid: usergroups.users.list then needs `team_id` (else missing_argument). */
  enterpriseInstall?: boolean;
  /** How long a Workflow step's token works (Slack: 15 min from function_executed, or until completed). */
  functionTokenTtlMs?: number;
  /** How long a `response_url` takes posts (Slack: 30 min; at most 5 uses). Tests shorten it. */
  responseUrlTtlMs?: number;
  /** Slack's rate limits (see rate-limits.ts): on by default at Slack's published rates; `false` turns them off. */
  rateLimits?: SlackRateLimits | false;
  /** An app-level token (`xapp-…`): enables Socket Mode (`apps.connections.open` and a WebSocket at /socket). */
  appToken?: string;
  port?: number;
  host?: string;
}

export interface MessageVersion {
  text: string;
  blocks: SlackBlock[] | undefined;
  /** Epoch ms. */
  at: number;
}

export interface SimMessage {
  channel: string;
  ts: string;
  /** The parent's ts, for a thread reply. */
  threadTs: string | undefined;
  /** Current text and blocks (the last entry of `versions`). */
  text: string;
  blocks: SlackBlock[] | undefined;
  /** The author: the bot user id for the bot's messages. */
  user: string;
  /** Set for the bot's messages. */
  botId: string | undefined;
  /** Every version, oldest first: the original post, then one per chat.update. */
  versions: MessageVersion[];
  /** Thread replies, oldest first (top-level messages only). */
  replies: SimMessage[];
  /** Epoch ms. */
  postedAt: number;
  /** Posted with a Workflow step's token: clicks on it carry that step (function_data) and a fresh token. */
  functionExecutionId?: string;
}

export interface SimEphemeral {
  channel: string;
  user: string;
  /** The `message_ts` answered. */
  ts: string;
  threadTs: string | undefined;
  text: string;
  blocks: SlackBlock[] | undefined;
  at: number;
}

export interface SlackCall {
  method: string;
  /** Parsed form or JSON arguments, JSON fields (`blocks`, `attachments`, `metadata`) parsed back; no token. */
  args: Record<string, unknown>;
  /** Arrival, epoch ms. */
  at: number;
  /** Which credential was presented (never the token itself). */
  /** expired: a Workflow step's token past its 15 minutes, or used after its step completed. */
  auth: 'valid' | 'invalid' | 'missing' | 'expired';
  /** HTTP status answered. */
  status: number;
  ok: boolean;
  error: string | undefined;
}

export interface UnexpectedRequest {
  /** The Web API method, or `<HTTP method> <path>` for a request outside /api/ and /response/. */
  method: string;
  path: string;
  args: Record<string, unknown>;
  at: number;
}

export interface FunctionCompletion {
  functionExecutionId: string;
  kind: 'success' | 'error';
  outputs: unknown;
  error: string | undefined;
  at: number;
}

export interface SimResponse {
  id: string;
  /** Set when Slack would refuse the post: the url was never issued, has expired (30 min) or was used 5 times. */
  refused?: 'no_such_url' | 'expired_url' | 'used_url';
  /** The JSON body, parsed (the raw text if it was not JSON). */
  body: unknown;
  at: number;
}

export interface SignOptions {
  /** Unix seconds for `X-Slack-Request-Timestamp` (default now): set an old one to test stale requests. */
  timestamp?: number;
  /** Sign with this secret instead of the sim's. */
  secret?: string;
  /** Send this `X-Slack-Signature` verbatim. */
  signature?: string;
  retryNum?: number;
  retryReason?: string;
  /** Extra headers. */
  headers?: Record<string, string>;
}

export interface SignedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body parsed, if it is JSON. */
  json: unknown;
  /** Latency, ms. */
  ms: number;
}

export interface SlackSimResponse extends SignedResponse {
  /** The id of the `response_url` sent with the request (see `sim.responses`). */
  responseUrlId: string;
  triggerId: string;
  /** Socket Mode with no connection open: Slack sent nothing and the person saw `dispatch_failed`. */
  dispatchFailed?: boolean;
}

export interface SlashCommandArgs {
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  text: string;
  /** Default '/campaign'. */
  command?: string;
  teamId?: string;
  triggerId?: string;
}

export interface ButtonClickArgs {
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  messageTs: string;
  actionId: string;
  value: string;
  /** Default: the block holding the button in the stored message, else 'actions'. */
  blockId?: string;
  teamId?: string;
  triggerId?: string;
  /** A button on the person's Home tab: the payload's container is the view; no channel, message or response_url. */
  fromHome?: boolean;
}

export interface SlackSim {
  /** Slack's behaviour on the Socket Mode connections: a routine `disconnect`, a drop, how many are open. */
  socketMode: {
    /** Slack's `disconnect` on the oldest `count` connections (all by default), closed `graceMs` later. */
    disconnect(reason?: string, graceMs?: number, options?: { count?: number }): void;
    drop(): void;
    connections(): number;
    /** Envelopes sent while no connection was open: dropped, as Slack drops them (never held for later). */
    dropped(): { type: string; at: number }[];
    /** Every connection in the order opened, with when it closed (one sequence) and whether Slack closed it. */
    history(): { opened: number; closed?: number; closedBySlack: boolean }[];
  };
  url: string;
  port: number;
  readonly calls: readonly SlackCall[];
  /** Requests the sim did not expect (unknown methods, unknown routes): tests assert it stays empty. */
  readonly unexpected: readonly UnexpectedRequest[];
  readonly responses: readonly SimResponse[];
  /** functions.completeSuccess / completeError calls, one per finished Workflow Builder step. */
  readonly completions: readonly FunctionCompletion[];
  /** Runs a Workflow Builder custom step: sends the signed `function_executed` event Slack sends. */
  runFunction(
    botUrl: string,
    args: { callbackId: string; inputs: Record<string, unknown>; eventId?: string },
    sign?: SignOptions,
  ): Promise<SignedResponse & { functionExecutionId: string; eventId: string; token: string }>;
  /**
   * Replaces a user group's members (what usergroups.users.list answers from now on) and sends the bot the
   * signed `subteam_members_changed` event Slack sends.
   */
  /** Someone opens the bot's Home tab: Slack's `app_home_opened` event. */
  openAppHome(botUrl: string, userId: string, sign?: SignOptions): Promise<SignedResponse>;
  /** Every version of a person's Home tab the bot published (views.publish), oldest first. */
  homeViews(userId: string): readonly SlackBlock[][];
  changeGroupMembers(
    botUrl: string,
    groupId: string,
    users: readonly string[],
    sign?: SignOptions,
  ): Promise<SignedResponse>;
  callsTo(method: string): SlackCall[];
  /** The next `count` calls of `method` answer `{ok:false, error}` ('ratelimited' answers HTTP 429). */
  failNext(method: string, error: string, count?: number): void;
  /**
   * Slack down: from now on every Web API call is answered with HTTP `status` (e.g. 503) and does nothing, until
   * called again without one.
   */
  outage(status?: number): void;
  joinChannel(channel: string): void;
  leaveChannel(channel: string): void;
  /** Stores a message a person posted (not the bot), e.g. a thread parent. */
  addUserMessage(
    channel: string,
    message: { user: string; text: string; blocks?: SlackBlock[]; threadTs?: string },
  ): SimMessage;
  messages(channel: string): readonly SimMessage[];
  /** A top-level message or a thread reply. */
  message(channel: string, ts: string): SimMessage | undefined;
  thread(channel: string, ts: string): readonly SimMessage[];
  ephemerals(user?: string): SimEphemeral[];
  responseUrl(id: string): string;
  /** Polls every 10 ms until `predicate` returns something other than undefined/null/false (a throw counts as not yet). */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  slashCommand(botUrl: string, args: SlashCommandArgs, sign?: SignOptions): Promise<SlackSimResponse>;
  clickButton(botUrl: string, args: ButtonClickArgs, sign?: SignOptions): Promise<SlackSimResponse>;
  /** Forgets calls, unexpected requests and responses (messages stay). */
  clearCalls(): void;
  close(): Promise<void>;
}
