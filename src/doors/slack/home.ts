import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { Logger } from 'pino';
import { storageUnavailable } from '../../core/storage-errors.ts';
import { errorText } from '../../lifecycle/error-text.ts';
import type { HomeData, HomeFacts } from '../../lifecycle/home.ts';
import type { SlackPort } from '../../slack/port.ts';
import { homeBlocks, homeUnavailableBlocks } from '../../slack/views/home-view.ts';

export interface HomeDeps {
  /** What a redraw of every Home shares (read once), and one person's Home from it. */
  home: {
    mayOpen(userId: string): Promise<boolean>;
    facts(): Promise<HomeFacts>;
    forPerson(userId: string, facts?: HomeFacts): Promise<HomeData>;
  };
  slack: Pick<SlackPort, 'publishHome'>;
  /** Every request change on any replica (the change feed). */
  onChange: (fn: (requestId: string) => void) => () => void;
  logger: Logger;
  /** How long after opening it a person's Home is kept fresh on changes. */
  watchMs?: number;
  /** Changes are gathered this long before the Homes are drawn again. */
  settleMs?: number;
}

const WATCH_MS = 30 * 60_000;
/** The Home of someone no rule names: drawn without reading anything of the bot's requests. */
export const HOME_NOT_NAMED =
  'No rule of the access policy names you, to request or to approve campaign changes, so there is nothing of the bot to show you here.';
export const HOME_UNAVAILABLE =
  "I could not draw your Home: the bot's storage is unavailable. Nothing was changed; open this tab again in a moment.";
/** Homes kept fresh at once: a redraw of all of them fits Slack's views.publish limit (Tier 4) in a minute. */
const MAX_WATCHED = 50;

/**
 * The Home tab: drawn when someone opens it, and again when any request changes (on any replica: the change
 * feed) for those who opened it in the last half hour, coalesced so a burst of changes is one redraw each.
 */
export function createHome(deps: HomeDeps) {
  const log = deps.logger.child({ module: 'home' });
  const watchMs = deps.watchMs ?? WATCH_MS;
  const watching = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;

  async function publish(
    userId: string,
    notice?: string,
    facts?: HomeFacts,
    allowed?: boolean,
  ): Promise<void> {
    try {
      let blocks: ReturnType<typeof homeBlocks>;
      try {
        // Asked first: someone no rule names gets a small Home, and nothing of the trail or the store is read.
        blocks =
          (allowed ?? (await deps.home.mayOpen(userId)))
            ? homeBlocks(await deps.home.forPerson(userId, facts), notice)
            : homeUnavailableBlocks(HOME_NOT_NAMED, notice);
      } catch (error) {
        // Nothing to show without the storage: the Home says so (and what a click on it did), never silent.
        if (!storageUnavailable(error)) throw error;
        log.warn({ user: userId, err: errorText(error) }, 'home drawn without its data: storage down');
        blocks = homeUnavailableBlocks(HOME_UNAVAILABLE, notice);
      }
      await deps.slack.publishHome(userId, blocks);
    } catch (error) {
      log.warn(
        { user: userId, err: error instanceof Error ? error.message : String(error) },
        'home not published',
      );
    }
  }

  // One redraw batch at a time, one Home after another (views.publish is Tier 4, about 100 a minute): changes
  // that come meanwhile are folded into one more batch.
  let drawing = false;
  let again = false;
  const redrawAll = async () => {
    if (drawing) {
      again = true;
      return;
    }
    drawing = true;
    try {
      do {
        again = false;
        const since = Date.now() - watchMs;
        for (const [user, at] of [...watching]) if (at < since) watching.delete(user);
        if (watching.size === 0) continue;
        // Read once for every Home of this round (only the people the policy names are watched).
        const facts = await deps.home.facts();
        for (const user of [...watching.keys()]) {
          await publish(user, undefined, facts);
        }
      } while (again);
    } finally {
      drawing = false;
    }
  };
  const stopWatching = deps.onChange(() => {
    if (timer || watching.size === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      void redrawAll().catch((error: unknown) =>
        log.warn({ err: error instanceof Error ? error.message : String(error) }, 'homes not redrawn'),
      );
    }, deps.settleMs ?? 1_000);
    timer.unref();
  });

  return {
    opened: async ({ event }: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs) => {
      if (event.tab !== 'home') return;
      watching.delete(event.user);
      const allowed = await deps.home.mayOpen(event.user).catch(() => undefined);
      // Only the Homes of people the policy names are kept fresh (and read for) on changes.
      if (allowed === false) return publish(event.user, undefined, undefined, false);
      watching.set(event.user, Date.now());
      if (watching.size > MAX_WATCHED) watching.delete(watching.keys().next().value as string);
      await publish(event.user, undefined, undefined, allowed);
    },
    /** Draws a person's Home again now, with a line about what their click did (a click on the Home has no channel). */
    refresh: (userId: string, notice?: string) => publish(userId, notice),
    close() {
      stopWatching();
      if (timer) clearTimeout(timer);
    },
  };
}
