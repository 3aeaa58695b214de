import { createDeliveries } from './deliveries.ts';
import { startHttpServer } from './http-server.ts';
import { createInteractions } from './interactions.ts';
import { createMessageStore } from './messages.ts';
import { attachSocketMode } from './socket-mode.ts';
import { createTriggers } from './triggers.ts';
import type { SimResponse, SlackSim, SlackSimOptions } from './types.ts';
import { createUnfurls } from './unfurls.ts';
import { idSequence } from './util.ts';
import { createViews } from './views.ts';
import { waitFor } from './wait-for.ts';
import { createWebApi } from './web-api.ts';

export { sendSignedRequest, signSlackRequest } from './deliveries.ts';
export { SOCKET_MODE } from './socket-mode.ts';
export type {
  ButtonClickArgs,
  FunctionCompletion,
  MessageShortcutArgs,
  MessageVersion,
  OptionsRequestArgs,
  OptionsRequestRecord,
  OptionsResult,
  SharedLinks,
  ShareLinksArgs,
  SignedResponse,
  SignOptions,
  SimEphemeral,
  SimMessage,
  SimOption,
  SimResponse,
  SimUnfurl,
  SimView,
  SlackBlock,
  SlackCall,
  SlackSim,
  SlackSimOptions,
  SlackSimResponse,
  SlashCommandArgs,
  StateValue,
  UnexpectedRequest,
  ViewSubmissionArgs,
  ViewSubmissionResult,
} from './types.ts';

/**
 * Slack on 127.0.0.1, for tests, the demo and the benchmark. Two halves:
 *
 * A. The Web API the bot calls (`POST /api/<method>`, form-encoded or JSON, `Authorization: Bearer`):
 *    auth.test, chat.postMessage, chat.update, chat.postEphemeral, usergroups.users.list, views.publish,
 *    views.open/push/update (views.ts: trigger_ids valid 3 s and once) and chat.unfurl (unfurls.ts: only links
 *    shared with the app), answered as Slack documents them (HTTP 200 with `{ok:false, error}` for failures,
 *    429 + Retry-After when rate limited).
 *    Any other method answers `unknown_method` and lands in `sim.unexpected`. `POST /response/<id>` plays
 *    the `response_url`s that Bolt's `respond()` posts to.
 * B. Slack calling the bot: signed slash commands and button clicks, sent exactly as Slack sends them; and
 *    (interactions.ts) options requests, view submissions, message shortcuts and link_shared, within Slack's 3 s.
 *
 * Where Slack's docs are silent the simulator picks the stricter behaviour (e.g. a `thread_ts` that names no
 * known message is refused with `thread_not_found`).
 */
export async function startSlackSim(options: SlackSimOptions): Promise<SlackSim> {
  const teamId = options.teamId ?? 'TSIM';
  const botUserId = options.botUserId ?? 'UBOT';
  const botId = options.botId ?? 'BBOT';
  const nextId = idSequence();
  const messages = createMessageStore(teamId, botId);
  const responses: SimResponse[] = [];
  const triggers = createTriggers(options.triggerTtlMs ?? 3_000);
  const views = createViews({ teamId, botId, triggers });
  const unfurls = createUnfurls({ messages, domains: options.unfurlDomains ?? ['moengage.com'] });
  // The socket URL needs the listening address, and the server needs the Web API: resolved lazily.
  const api = createWebApi({
    options,
    surfaceMethods: { ...views.methods, ...unfurls.methods },
    teamId,
    botUserId,
    botId,
    messages,
    socketUrl: () => `${http.base.replace(/^http/, 'ws')}/socket?ticket=${nextId('ticket')}`,
  });
  let responseUrlCheck: (id: string) => SimResponse['refused'] = () => 'no_such_url';
  const http = await startHttpServer({
    port: options.port,
    host: options.host,
    handleApi: api.handle,
    responses,
    checkResponseUrl: (id) => responseUrlCheck(id),
    unexpected: api.unexpected,
  });
  const { server, port, base } = http;
  // Each response_url, from when it was handed out: Slack takes 5 posts to one within 30 minutes.
  const issued = new Map<string, { at: number; uses: number }>();
  const responseUrl = (id: string) => {
    if (!issued.has(id)) issued.set(id, { at: Date.now(), uses: 0 });
    return `${base}/response/${encodeURIComponent(id)}`;
  };
  responseUrlCheck = (id: string) => {
    const url = issued.get(id);
    if (!url) return 'no_such_url';
    if (Date.now() - url.at > (options.responseUrlTtlMs ?? 30 * 60_000)) return 'expired_url';
    if (url.uses >= 5) return 'used_url';
    url.uses += 1;
    return undefined;
  };
  const socketMode = attachSocketMode(server, nextId);
  const deliveries = createDeliveries({
    signingSecret: options.signingSecret,
    teamId,
    botUserId,
    botId,
    nextId,
    responseUrl,
    messages,
    allowFunctionToken: api.allowFunctionToken,
    issueFunctionToken: api.issueFunctionToken,
    setGroupMembers: api.setGroupMembers,
    socketMode,
    triggers,
  });
  const interactions = createInteractions({
    signingSecret: options.signingSecret,
    teamId,
    botUserId,
    nextId,
    responseUrl,
    messages,
    socketMode,
    triggers,
    views,
    unfurls,
    isMember: api.isMember,
  });
  const { calls, unexpected } = api;

  return {
    url: base,
    port,
    calls,
    unexpected,
    responses,
    callsTo: (method) => calls.filter((c) => c.method === method),
    failNext: api.failNext,
    outage: api.setOutage,
    joinChannel: api.joinChannel,
    leaveChannel: api.leaveChannel,
    addUserMessage: messages.addUserMessage,
    messages: messages.messages,
    message: messages.get,
    thread: messages.thread,
    ephemerals: (user) => messages.ephemerals.filter((e) => user === undefined || e.user === user),
    responseUrl,
    socketMode: {
      disconnect: socketMode.disconnect,
      drop: socketMode.drop,
      connections: socketMode.connections,
      dropped: socketMode.dropped,
      history: socketMode.history,
    },
    waitFor: (predicate, timeoutMs = 30_000) => waitFor(predicate, timeoutMs, calls),
    slashCommand: deliveries.slashCommand,
    changeGroupMembers: deliveries.changeGroupMembers,
    openAppHome: deliveries.openAppHome,
    homeViews: (userId) => api.homeViews.get(userId) ?? [],
    completions: api.completions,
    runFunction: deliveries.runFunction,
    clickButton: deliveries.clickButton,
    views: (userId) => views.list(userId),
    view: (viewId) => views.get(viewId),
    requestOptions: interactions.requestOptions,
    optionsRequests: interactions.optionsRequests,
    chooseOptions: interactions.chooseOptions,
    typeInput: interactions.typeInput,
    submitView: interactions.submitView,
    submissions: interactions.submissions,
    closeView: interactions.closeView,
    messageShortcut: interactions.messageShortcut,
    shareLinks: interactions.shareLinks,
    unfurls: unfurls.list,
    clearCalls() {
      calls.length = 0;
      unexpected.length = 0;
      responses.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        socketMode.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
