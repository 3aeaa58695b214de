import { createEventSender, defaultChannelName } from './deliveries.ts';
import type { InteractionKit } from './interaction-kit.ts';
import type { SlackSim } from './types.ts';
import { microsToTs, TEAM_DOMAIN, VERIFICATION_TOKEN } from './util.ts';

/**
 * Interactions on messages: a message shortcut (`message_action`, the stored message with its text, blocks and
 * attachments, a trigger_id and a response_url) and links shared in a message (`link_shared`, only links on the
 * app's unfurl domains; in the composer, by unfurl_id).
 */
export function createMessageInteractions(kit: InteractionKit) {
  const { teamId, nextId, user, deliver } = kit;
  const { envelope, sendEvent } = createEventSender(kit);

  const messageShortcut: SlackSim['messageShortcut'] = async (botUrl, args, sign) => {
    const stored = kit.messages.get(args.channelId, args.messageTs);
    if (!stored)
      throw new Error(`slack-sim: messageShortcut: no message ${args.messageTs} in ${args.channelId}`);
    const team = args.teamId ?? teamId;
    const responseUrlId = nextId('shortcut');
    const triggerId = kit.triggers.issue(args.userId);
    const message = kit.messages.slackMessage(stored);
    // Slack leaves `text` out of a message that has none (an alert made of attachments or blocks only).
    if (message.text === '') delete message.text;
    const payload = {
      type: 'message_action',
      token: VERIFICATION_TOKEN,
      action_ts: microsToTs(Math.floor(Date.now() * 1000)),
      team: { id: team, domain: TEAM_DOMAIN },
      user: { ...user(args.userId, args.userName), team_id: team },
      channel: { id: args.channelId, name: args.channelName ?? defaultChannelName(args.channelId) },
      is_enterprise_install: false,
      enterprise: null,
      callback_id: args.callbackId,
      trigger_id: triggerId,
      response_url: kit.responseUrl(responseUrlId),
      message_ts: args.messageTs,
      message,
    };
    const res = await deliver(botUrl, payload, sign);
    return { ...res, responseUrlId, triggerId };
  };

  const shareLinks: SlackSim['shareLinks'] = async (botUrl, args, sign) => {
    const composer = args.composer === true;
    const message = composer
      ? undefined
      : kit.messages.addUserMessage(args.channelId, {
          user: args.userId,
          text: args.text,
          ...(args.threadTs ? { threadTs: args.threadTs } : {}),
        });
    const links = kit.unfurls.linksIn(args.text).flatMap((url) => {
      const domain = kit.unfurls.unfurlDomain(url);
      return domain ? [{ domain, url }] : [];
    });
    const channel = composer ? 'COMPOSER' : args.channelId;
    const source = composer ? ('composer' as const) : ('conversations_history' as const);
    const messageTs = message?.ts ?? `${nextId('composer')}`;
    if (links.length === 0)
      return { message, channel, messageTs, unfurlId: '', source, links, event: undefined };
    const unfurlId = kit.unfurls.share({ channel, ts: messageTs, source, urls: links.map((l) => l.url) });
    const event = envelope({
      type: 'link_shared',
      channel,
      is_bot_user_member: !composer && kit.isMember(args.channelId),
      user: args.userId,
      message_ts: messageTs,
      ...(message?.threadTs ? { thread_ts: message.threadTs } : {}),
      unfurl_id: unfurlId,
      source,
      links,
    });
    return {
      message,
      channel,
      messageTs,
      unfurlId,
      source,
      links,
      event: await sendEvent(botUrl, event, sign),
    };
  };

  return { messageShortcut, shareLinks };
}
