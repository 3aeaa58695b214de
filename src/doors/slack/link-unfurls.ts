import type {
  AllMiddlewareArgs,
  BlockButtonAction,
  SlackActionMiddlewareArgs,
  SlackEventMiddlewareArgs,
} from '@slack/bolt';
import type { Logger } from 'pino';
import type { CampaignAction } from '../../core/actions.ts';
import { dashboardLink } from '../../core/campaign-refs.ts';
import type { CatalogEntry } from '../../core/catalog.ts';
import { CAMPAIGN_ID_PATTERN } from '../../core/ids.ts';
import type { Deduper } from '../../core/ports.ts';
import type { Lifecycle } from '../../lifecycle/contract.ts';
import type { SlackPort } from '../../slack/port.ts';
import type { Block } from '../../slack/views/blocks.ts';
import { outcomeText } from '../../slack/views/outcome-text.ts';
import { catalogAge, unfurlCard } from '../../slack/views/picker-view.ts';
import type { Picker } from './picker.ts';
import { type FailureWords, firstDelivery, guarded } from './respond.ts';

export interface LinkUnfurlDeps {
  lifecycle: Pick<Lifecycle, 'findCampaigns'>;
  slack: Pick<SlackPort, 'unfurl'>;
  logger: Logger;
  /** Drops an event Slack delivered again (same event_id), across replicas. */
  dedupe?: Deduper;
  now?: () => number;
}

/** Slack sends up to a handful of links an event; more than this in one message are left as links. */
const MAX_LINKS = 10;

/**
 * `link_shared`: each MoEngage dashboard link in a message becomes a card (the campaign as the catalog knows it,
 * how old that is, and Pause / Resume / Stop buttons) for a sharer the policy lets use the bot in that channel.
 * Anyone else, a message still in the composer (no channel yet: Slack sends the event again once it is posted),
 * or a bot without a catalog gets no card: the link stays a link.
 */
export function createLinkShared(deps: LinkUnfurlDeps) {
  const log = deps.logger.child({ module: 'unfurl' });
  return async ({ event, body }: SlackEventMiddlewareArgs<'link_shared'> & AllMiddlewareArgs) => {
    if (event.channel === 'COMPOSER' || event.source === 'composer') return;
    const eventId = (body as { event_id?: string }).event_id;
    try {
      if (eventId && !(await firstDelivery(deps.dedupe, `event:${eventId}`, log))) return;
      const unfurls: Record<string, { blocks: Block[] }> = {};
      for (const { url } of event.links.slice(0, MAX_LINKS)) {
        const link = dashboardLink(url);
        if (!link) continue;
        const answer = await deps.lifecycle.findCampaigns({
          actor: { kind: 'user', id: event.user },
          channelId: event.channel,
          query: url,
          limit: 1,
        });
        if (answer.kind !== 'campaigns') {
          // Refused once, refused for every link of the message: the policy asks about the person and the channel.
          log.info({ user: event.user, channel: event.channel, answer: answer.kind }, 'link not unfurled');
          return;
        }
        const age = catalogAge(answer.fullAt, deps.now?.() ?? Date.now());
        unfurls[url] = unfurlCard(listed(answer.entries[0]), link.id, age) as { blocks: Block[] };
      }
      if (Object.keys(unfurls).length === 0) return;
      await deps.slack.unfurl(event.channel, event.message_ts, unfurls);
    } catch (error) {
      // Nobody to tell: the link simply stays a link.
      log.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not unfurl');
    }
  };
}

/** A catalog entry that stands only for its id (not listed yet) is shown as no entry. */
function listed(entry: CatalogEntry | undefined): CatalogEntry | undefined {
  return entry && !(entry.name === entry.id && entry.seenAt === 0) ? entry : undefined;
}

export interface UnfurlActionDeps {
  action: CampaignAction;
  lifecycle: Pick<Lifecycle, 'propose' | 'findCampaigns'>;
  picker: Pick<Picker, 'open'>;
  slack: Pick<SlackPort, 'postEphemeral'>;
  logger: Logger;
  dedupe?: Deduper;
}

const UNFURL_FAILED: FailureWords = {
  could: 'propose that',
  unchanged: 'Nothing was proposed and nothing was sent to MoEngage; press the button again in a moment',
  unknown: 'Check the channel before pressing it again',
};

/**
 * A card's Pause / Resume / Stop: proposes that action on the card's campaign in the card's channel, as the person
 * who clicked — a normal proposal, confirmation and all. An action that needs a reason opens the picker with the
 * campaign chosen, so the reason can be given there.
 */
export function createUnfurlAction(deps: UnfurlActionDeps) {
  const log = deps.logger.child({ module: 'unfurl' });
  return async ({ ack, body, action }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs) => {
    await ack();
    const channelId = body.channel?.id ?? body.container?.channel_id;
    const userId = body.user.id;
    if (!channelId) return;
    const tell = (text: string) => deps.slack.postEphemeral(channelId, userId, text);
    await guarded(log, tell, UNFURL_FAILED, async () => {
      if (!(await firstDelivery(deps.dedupe, `click:${body.trigger_id}`, log))) return undefined;
      const campaignId = action.value ?? '';
      if (!CAMPAIGN_ID_PATTERN.test(campaignId)) return 'This button does not carry a campaign I know.';
      const actor = { kind: 'user', id: userId } as const;
      const outcome = await deps.lifecycle.propose({
        actor,
        action: deps.action,
        ids: [campaignId],
        reason: undefined,
        channelId,
        origin: { kind: 'link_unfurl' },
      });
      if (outcome.kind === 'invalid_input' && outcome.field === 'reason') {
        const found = await deps.lifecycle.findCampaigns({ actor, channelId, query: campaignId, limit: 1 });
        const entry = found.kind === 'campaigns' ? found.entries.find((e) => e.id === campaignId) : undefined;
        const opened = await deps.picker.open({
          triggerId: body.trigger_id,
          actor,
          channelId,
          action: deps.action,
          chosen: [entry ?? { id: campaignId, name: campaignId, status: '', seenAt: 0 }],
          note: `${outcome.message} Say why below, then Propose.`,
          loading: found.kind === 'campaigns' && found.loading,
        });
        if (opened) return undefined;
      }
      return outcomeText(outcome);
    });
  };
}
