import { sendSignedRequest } from './deliveries.ts';
import type { Delivered, InteractionDeps, InteractionKit } from './interaction-kit.ts';
import { createMessageInteractions } from './message-interactions.ts';
import { createModalInputs } from './modal-inputs.ts';
import { SOCKET_MODE } from './socket-mode.ts';
import type { SignOptions } from './types.ts';
import { createViewSubmissions } from './view-submissions.ts';

/** Slack waits this long for the app's answer to an options request, a submission or a shortcut. */
const ACK_MS = 3_000;

export type { Delivered, InteractionDeps, InteractionKit } from './interaction-kit.ts';

/**
 * Slack calling the bot from the newer surfaces: options requests (`block_suggestion`) and what a person does in a
 * modal (modal-inputs.ts), view submissions (view-submissions.ts), message shortcuts and `link_shared`
 * (message-interactions.ts). Each is signed and sent as Slack sends it, over HTTP or Socket Mode, and Slack's 3 s
 * apply: a late answer is a failure, whatever the bot does afterwards.
 */
export function createInteractions(deps: InteractionDeps) {
  const user = (id: string, name = id.toLowerCase()) => ({ id, username: name, name, team_id: deps.teamId });

  /** An interactive payload, signed and sent; Slack waits 3 s for the answer. */
  const deliver = async (
    botUrl: string,
    payload: Record<string, unknown>,
    sign: SignOptions | undefined,
  ): Promise<Delivered> => {
    if (sign?.retryNum !== undefined || sign?.retryReason !== undefined)
      throw new Error('slack-sim: Slack never retries an interaction; send an event to test redelivery');
    if (botUrl === SOCKET_MODE) {
      return deps.socketMode.deliver('interactive', payload, '', '', undefined, {
        acceptsResponsePayload: payload.type !== 'message_action',
        timeout: 'answer',
      });
    }
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return sendSignedRequest(
      botUrl,
      deps.signingSecret,
      body,
      'application/x-www-form-urlencoded',
      sign,
      ACK_MS,
    );
  };

  const kit: InteractionKit = { ...deps, user, deliver };
  return { ...createModalInputs(kit), ...createViewSubmissions(kit), ...createMessageInteractions(kit) };
}
