import { PICKER_SEARCH_ACTION_ID } from '../slack/views/picker-view.ts';
import type { SimView, SlackSim } from './slack-sim.ts';

/**
 * A person in the campaign picker, as the Slack simulator plays them: the picker's tests and the catalog bench
 * drive the same steps, so what the bench times is what the tests check.
 */

/** The picker the bot opened for a person, once it has (the newest one; 60 s at most by default). */
export function newestPicker(slack: SlackSim, userId: string, timeoutMs = 60_000): Promise<SimView> {
  return slack.waitFor(() => slack.views(userId).at(-1), timeoutMs);
}

/** A person types into the picker's search: Slack's options request, answered by the bot. */
export function pickerSearch(slack: SlackSim, botUrl: string, view: SimView, value: string, userId?: string) {
  return slack.requestOptions(botUrl, {
    viewId: view.id,
    actionId: PICKER_SEARCH_ACTION_ID,
    value,
    ...(userId ? { userId } : {}),
  });
}

/** A person chooses campaigns the search offered (each must have been offered, as in Slack). */
export function choosePicked(slack: SlackSim, view: SimView, ids: readonly string[]) {
  slack.chooseOptions(view.id, { actionId: PICKER_SEARCH_ACTION_ID, values: [...ids] });
}
