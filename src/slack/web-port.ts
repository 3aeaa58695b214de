import type { webApi } from '@slack/bolt';
import { drawn, SlackCallError, type SlackPort } from './port.ts';

type WebClient = webApi.WebClient;

/** SlackPort over @slack/web-api. Slack's error codes come back as SlackCallError; nothing else leaks out. */
export function webClientPort(client: WebClient, options: { teamId?: string | undefined } = {}): SlackPort {
  return {
    async postMessage(channel, late, threadTs, stepToken) {
      const message = await drawn(late);
      const res = await call('chat.postMessage', () =>
        client.chat.postMessage({
          ...(stepToken ? { token: stepToken } : {}),
          channel,
          text: message.text,
          blocks: message.blocks as never,
          ...(threadTs ? { thread_ts: threadTs } : {}),
          unfurl_links: false,
          unfurl_media: false,
        }),
      );
      if (!res.ts) throw new SlackCallError('chat.postMessage', 'no_ts_returned');
      return res.ts;
    },
    async updateMessage(channel, ts, message) {
      await call('chat.update', () =>
        client.chat.update({ channel, ts, text: message.text, blocks: message.blocks as never }),
      );
    },
    async postEphemeral(channel, user, text) {
      await call('chat.postEphemeral', () => client.chat.postEphemeral({ channel, user, text }));
    },
    async finishStep(executionId, token, end) {
      if ('outputs' in end) {
        await call('functions.completeSuccess', () =>
          client.functions.completeSuccess({
            token,
            function_execution_id: executionId,
            outputs: end.outputs,
          }),
        );
      } else {
        await call('functions.completeError', () =>
          client.functions.completeError({ token, function_execution_id: executionId, error: end.error }),
        );
      }
    },
    async publishHome(userId, blocks) {
      await call('views.publish', () =>
        client.views.publish({ user_id: userId, view: { type: 'home', blocks: blocks as never } }),
      );
    },
    async openView(triggerId, view) {
      const res = await call('views.open', () =>
        client.views.open({ trigger_id: triggerId, view: view as never }),
      );
      return res.view?.id ?? '';
    },
    async unfurl(channel, ts, unfurls) {
      await call('chat.unfurl', () => client.chat.unfurl({ channel, ts, unfurls: unfurls as never }));
    },
    async groupMembers(groupId) {
      const res = await call('usergroups.users.list', () =>
        // An org-wide install on Enterprise Grid must name the workspace whose user group this is.
        client.usergroups.users.list({
          usergroup: groupId,
          ...(options.teamId ? { team_id: options.teamId } : {}),
        }),
      );
      return res.users ?? [];
    },
  };
}

async function call<T>(method: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const e = error as { code?: string; data?: { error?: string }; retryAfter?: number; statusCode?: number };
    // A 429 handed back by the client (rejectRateLimitedCalls): the paced port waits it out for this channel.
    if (e.code === 'slack_webapi_rate_limited_error') {
      const retryAfterMs = typeof e.retryAfter === 'number' ? e.retryAfter * 1000 : 1_000;
      throw new SlackCallError(method, 'ratelimited', { retryAfterMs });
    }
    // Slack (or what stands before it) answered with an HTTP error: its status says whether to try again.
    if (e.code === 'slack_webapi_http_error' && typeof e.statusCode === 'number')
      throw new SlackCallError(method, `http_${e.statusCode}`);
    // Only Slack's error string travels on: the raw error holds request options we never want logged.
    throw new SlackCallError(method, e.data?.error ?? e.code ?? 'request_failed');
  }
}
