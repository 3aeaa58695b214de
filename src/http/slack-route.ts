import type { HTTPReceiver } from '@slack/bolt';
import type { HttpRoute } from './routes.ts';

export const SLACK_EVENTS_PATH = '/slack/events';

/**
 * Slack's endpoint (its route and limit are in src/routes.ts), served by a Bolt HTTPReceiver that is never started (App's constructor has called its
 * `init`). The server hands it a request whose `rawBody` is already a Buffer, read within its limit, so Bolt skips
 * its own reading (up to 4 MiB, before any signature check) and goes straight to verifying the signature.
 * The receiver must have been built with `endpoints: SLACK_EVENTS_PATH`.
 */
export function slackEventsHandler(receiver: HTTPReceiver): HttpRoute['handler'] {
  return (req, res) => receiver.requestListener(req, res);
}
