import { createHooksApi, type HooksDeps } from './api.ts';

/**
 * The hooks door's route (`POST /api/v1/hooks/{source}`, by its name in src/routes.ts) over the lifecycle, from
 * its part of the config (HOOK_SECRETS, HOOK_RULES_FILE's rules); none when no source is taken.
 */
export function hookRoutes(
  lifecycle: HooksDeps['lifecycle'],
  config: Omit<HooksDeps, 'lifecycle'>,
): { hook?: ReturnType<typeof createHooksApi> } {
  return config.secrets.size > 0 ? { hook: createHooksApi({ ...config, lifecycle }) } : {};
}
