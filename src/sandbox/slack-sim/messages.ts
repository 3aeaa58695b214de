import type { SimEphemeral, SimMessage, SlackSim } from './types.ts';
import { APP_ID, dropUndefined, microsToTs, now } from './util.ts';

export type MessageStore = ReturnType<typeof createMessageStore>;

/** The channels' contents, shared by the Web API (which writes them) and the tests (which read them). */
export function createMessageStore(teamId: string, botId?: string) {
  const topLevel = new Map<string, SimMessage[]>();
  const byKey = new Map<string, SimMessage>();
  const ephemerals: SimEphemeral[] = [];
  let lastTsMicros = 0;

  const key = (channel: string, ts: string) => `${channel}\u0000${ts}`;
  const nextTs = () => {
    lastTsMicros = Math.max(Math.floor(Date.now() * 1000), lastTsMicros + 1);
    return microsToTs(lastTsMicros);
  };

  const store = (message: SimMessage) => {
    byKey.set(key(message.channel, message.ts), message);
    if (message.threadTs === undefined) {
      const list = topLevel.get(message.channel) ?? [];
      list.push(message);
      topLevel.set(message.channel, list);
    } else {
      byKey.get(key(message.channel, message.threadTs))?.replies.push(message);
    }
    return message;
  };

  /** The root ts of the thread `threadTs` names (a reply's ts names its parent's thread). */
  const threadRoot = (channel: string, threadTs: string) => {
    const m = byKey.get(key(channel, threadTs));
    return m === undefined ? undefined : (m.threadTs ?? m.ts);
  };

  const slackMessage = (m: SimMessage) =>
    dropUndefined({
      type: 'message',
      text: m.text,
      user: m.user,
      bot_id: m.botId,
      // Another app's message (an alert) carries its bot_id, not this app's id.
      app_id: m.botId === undefined || (botId !== undefined && m.botId !== botId) ? undefined : APP_ID,
      ts: m.ts,
      thread_ts: m.threadTs,
      team: teamId,
      blocks: m.blocks,
      attachments: m.attachments,
    });

  const addUserMessage: SlackSim['addUserMessage'] = (
    channel,
    { user, text, blocks, threadTs, botId: otherBot, attachments },
  ) => {
    const root = threadTs === undefined ? undefined : threadRoot(channel, threadTs);
    if (threadTs !== undefined && root === undefined) {
      throw new Error(`slack-sim: no message ${threadTs} in ${channel} to reply to`);
    }
    const at = now();
    return store({
      channel,
      ts: nextTs(),
      threadTs: root,
      text,
      blocks,
      user,
      botId: otherBot,
      versions: [{ text, blocks, at }],
      replies: [],
      postedAt: at,
      ...(attachments ? { attachments } : {}),
    });
  };

  return {
    ephemerals,
    nextTs,
    store,
    threadRoot,
    slackMessage,
    addUserMessage,
    get: (channel: string, ts: string) => byKey.get(key(channel, ts)),
    messages: (channel: string): readonly SimMessage[] => topLevel.get(channel) ?? [],
    thread: (channel: string, ts: string): readonly SimMessage[] =>
      byKey.get(key(channel, ts))?.replies ?? [],
  };
}
