import type { NotifierDecorator } from '../../../core/notifier.ts';
import type { Preauth } from '../../../http/routes.ts';
import { createRunbookApi, type RunbookApiDeps } from './api.ts';
import { type CallbackOptions, withCallbacks } from './callbacks.ts';

type Api = ReturnType<typeof createRunbookApi>;

export interface RunbookDoor {
  /** `POST /api/v1/campaign-actions` and `GET …/{id}` by their names in src/routes.ts; none without tokens. */
  routes: Partial<Pick<Api, 'proposeAction' | 'actionStatus'>>;
  /** The bearer check of the API routes, run on the headers before a body is read. */
  bearer: Preauth;
}

/** Without RUNBOOK_TOKENS no route that needs a bearer token is served: nothing to check. */
const NO_BEARER: Preauth = () => ({ ok: true });

/** The runbook door's routes over the lifecycle, from its part of the config (RUNBOOK_TOKENS and the rest). */
export function runbookRoutes(
  lifecycle: RunbookApiDeps['lifecycle'],
  config: Omit<RunbookApiDeps, 'lifecycle'>,
): RunbookDoor {
  if (!config.auth.configured) return { routes: {}, bearer: NO_BEARER };
  const api = createRunbookApi({ ...config, lifecycle });
  return { routes: { proposeAction: api.proposeAction, actionStatus: api.actionStatus }, bearer: api.bearer };
}

/**
 * What the runbook door adds to what the lifecycle tells: a request's callback_url is called once the request
 * settles, after people are told (see callbacks.ts).
 */
export function runbookCallbacks(config: CallbackOptions): NotifierDecorator {
  return (inner) => withCallbacks(inner, config);
}
