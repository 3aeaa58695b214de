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
  /** How long a trigger_id opens a view (Slack: 3 s, once). Tests may shorten it. */
  triggerTtlMs?: number;
  /**
   * The app's `unfurl_domains` (its manifest): links on these hosts, or their subdomains, are sent to the bot in
   * `link_shared`. Default `['moengage.com']`.
   */
  unfurlDomains?: string[];
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
  /** Legacy attachments (alerting tools post them): a shortcut on the message carries them. */
  attachments?: Record<string, unknown>[];
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
  /** No answer within Slack's 3 s (options, view submissions, shortcuts): Slack gave up and showed an error. */
  timedOut?: boolean;
}

/** An option of a select menu, as Block Kit writes it. */
export interface SimOption {
  text: { type: 'plain_text'; text: string; emoji?: boolean };
  value: string;
  description?: { type: 'plain_text'; text: string };
}

/** One element's entry in a view's `state.values[block_id][action_id]`. */
export type StateValue = {
  type: string;
  value?: string | null;
  selected_option?: SimOption | null;
  selected_options?: SimOption[];
  [key: string]: unknown;
};

export type ViewChange =
  | 'views.open'
  | 'views.push'
  | 'views.update'
  | 'response_action:update'
  | 'response_action:push';

/** A modal the bot opened, as the person sees it. */
export interface SimView {
  /** Slack's view id (`V…`). */
  id: string;
  /** Whose modal it is (the person whose trigger_id opened it). */
  userId: string;
  rootViewId: string;
  previousViewId: string | null;
  externalId: string | undefined;
  /** Changes with every update; views.update with an older one is a hash_conflict. */
  hash: string;
  /** The view as the bot last sent it (block ids filled in where the bot left them out, as Slack does). */
  view: Record<string, unknown>;
  /** Every version, oldest first, and what made it. */
  versions: { view: Record<string, unknown>; at: number; by: ViewChange }[];
  /** What the person entered so far: `state.values[block_id][action_id]`. */
  values: Record<string, Record<string, StateValue>>;
  /** What the bot answered the last submission with (`response_action: errors`), by block id. */
  errors: Record<string, string> | undefined;
  openedAt: number;
  closedAt?: number;
  /** submission: closed by the bot's empty answer; clear: `response_action: clear`; person: closed with X. */
  closedBy?: 'submission' | 'clear' | 'person';
}

export interface OptionsRequestArgs {
  /** The open modal holding the external select. */
  viewId: string;
  actionId: string;
  /** Default: the block holding `actionId`. */
  blockId?: string;
  /** What the person typed (Slack sends nothing below the element's `min_query_length`, default 3). */
  value: string;
  /** Default: the view's owner. */
  userId?: string;
}

/**
 * What came of one options request. `answered`: valid options (shown to the person); `timed_out`: no answer in
 * 3 s; `invalid`: an answer Slack cannot show (bad JSON or shape, over 100 options, an option over its limits);
 * `http_error`: a status other than 200; `dispatch_failed`: Socket Mode with no connection.
 */
export interface OptionsRequestRecord {
  viewId: string;
  userId: string;
  actionId: string;
  blockId: string;
  value: string;
  at: number;
  /** How long the bot took (up to Slack's 3 s). */
  ms: number;
  verdict: 'answered' | 'timed_out' | 'invalid' | 'http_error' | 'dispatch_failed';
  /** Slack's reasons, for `invalid`. */
  problems?: string[];
  /** The options shown, groups flattened, in order. */
  options: SimOption[];
}

export type OptionsResult = SignedResponse & OptionsRequestRecord;

export interface ViewSubmissionArgs {
  viewId: string;
  /** Default: the view's owner. */
  userId?: string;
  /** Entries to set before submitting (`state.values[block_id][action_id]`), beside `chooseOptions`/`typeInput`. */
  values?: Record<string, Record<string, StateValue>>;
}

/**
 * What came of a submission: `closed` (an empty answer), `errors` (shown on the fields; the modal stays),
 * `updated`, `pushed`, `cleared`; or Slack's failures: `timed_out` (3 s), `invalid` (an answer it cannot use,
 * e.g. errors for a block that is not an input), `http_error`, `dispatch_failed`.
 */
export interface ViewSubmissionResult extends SignedResponse {
  viewId: string;
  triggerId: string;
  verdict:
    | 'closed'
    | 'errors'
    | 'updated'
    | 'pushed'
    | 'cleared'
    | 'timed_out'
    | 'invalid'
    | 'http_error'
    | 'dispatch_failed';
  errors?: Record<string, string>;
  problems?: string[];
  /** The view pushed by `response_action: push`. */
  pushedViewId?: string;
  /** The payload sent (its view carries private_metadata and state.values). */
  payload: Record<string, unknown>;
}

export interface MessageShortcutArgs {
  callbackId: string;
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  /** A stored message (posted by the bot, or added with `addUserMessage`). */
  messageTs: string;
  teamId?: string;
}

export interface ShareLinksArgs {
  userId: string;
  channelId: string;
  /** The message as typed; its links (`<url>`, `<url|label>` or bare) on the app's unfurl domains are shared. */
  text: string;
  threadTs?: string;
  /** Still in the message composer: channel `COMPOSER`, an `unfurl_id`, no message stored yet. */
  composer?: boolean;
}

export interface SharedLinks {
  /** The stored message (absent in the composer). */
  message: SimMessage | undefined;
  channel: string;
  messageTs: string;
  unfurlId: string;
  source: 'conversations_history' | 'composer';
  /** The links sent to the bot (those on the app's unfurl domains). */
  links: { domain: string; url: string }[];
  /** The delivery of the `link_shared` event; undefined when no link was on an unfurl domain (Slack sends none). */
  event: SignedResponse | undefined;
}

/** A link the bot unfurled with chat.unfurl: the card as last sent, and every version. */
export interface SimUnfurl {
  url: string;
  channel: string | undefined;
  ts: string | undefined;
  unfurlId: string;
  source: 'conversations_history' | 'composer';
  unfurl: Record<string, unknown>;
  versions: { unfurl: Record<string, unknown>; at: number }[];
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
  /**
   * Stores a message a person posted (not the bot), e.g. a thread parent; with `botId`, another app's message
   * (an alert from Grafana or PagerDuty), with `attachments` as such tools post them.
   */
  addUserMessage(
    channel: string,
    message: {
      user: string;
      text: string;
      blocks?: SlackBlock[];
      threadTs?: string;
      botId?: string;
      attachments?: Record<string, unknown>[];
    },
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
  /** Every modal the bot opened or pushed (open and closed), oldest first; a person's only, given a user. */
  views(userId?: string): readonly SimView[];
  view(viewId: string): SimView | undefined;
  /**
   * A person types into an external select in an open modal: the signed `block_suggestion` options request
   * Slack sends (HTTP or Socket Mode). Slack waits 3 s: later counts as failed, as does an answer it cannot show.
   * Throws where Slack would send nothing (a closed view, no such select, fewer characters than
   * `min_query_length`).
   */
  requestOptions(botUrl: string, args: OptionsRequestArgs, sign?: SignOptions): Promise<OptionsResult>;
  /** Every options request sent, oldest first. */
  readonly optionsRequests: readonly OptionsRequestRecord[];
  /**
   * A person picks options in a select of an open modal: only options the bot offered (in an answered options
   * request, its initial options, or a static select's list) can be picked; anything else throws.
   */
  chooseOptions(viewId: string, args: { actionId: string; blockId?: string; values: string[] }): void;
  /** A person types into a plain_text_input of an open modal. */
  typeInput(viewId: string, args: { actionId: string; blockId?: string; value: string }): void;
  /**
   * A person presses the modal's submit: the signed `view_submission` (its view carries private_metadata and
   * state.values). The bot's answer is applied as Slack applies it. Throws where Slack would not submit (a
   * closed view or one under another, a required input left empty).
   */
  submitView(botUrl: string, args: ViewSubmissionArgs, sign?: SignOptions): Promise<ViewSubmissionResult>;
  /** Every submission, oldest first. */
  readonly submissions: readonly ViewSubmissionResult[];
  /** A person closes a modal with its X (no event is sent: the simulator's views never ask notify_on_close). */
  closeView(viewId: string): void;
  /** A person runs a message shortcut on a stored message: Slack's signed `message_action` (3 s to ack). */
  messageShortcut(botUrl: string, args: MessageShortcutArgs, sign?: SignOptions): Promise<SlackSimResponse>;
  /**
   * A person posts (or, with `composer`, is still typing) a message with links: the message is stored and the
   * links on the app's unfurl domains are sent in a signed `link_shared` event; only those can be unfurled.
   */
  shareLinks(botUrl: string, args: ShareLinksArgs, sign?: SignOptions): Promise<SharedLinks>;
  /** The cards the bot unfurled (chat.unfurl), one per link, oldest first. */
  unfurls(): readonly SimUnfurl[];
  /** Forgets calls, unexpected requests and responses (messages stay). */
  clearCalls(): void;
  close(): Promise<void>;
}
