import { loadAccessPolicy, PolicyFileError } from './auth/policy-file.ts';
import { StartupError, startBot } from './compose.ts';
import { ConfigError, loadConfig } from './config.ts';
import { GroupsFileError, loadCampaignGroups } from './core/groups.ts';
import { HookRulesError, loadHookRules } from './doors/http/hooks/rules.ts';
import { EnvFileError, readEnvFile } from './env-file.ts';
import { createLogger } from './logger.ts';
import { connectSharedState } from './stores/connect.ts';

// The composition root: the only place that reads the environment and starts things.
// `.env` in the working directory, when there is one (`cp .env.example .env`), under the environment: a variable
// set in both takes the environment's value, as Node's own --env-file does.
let fromFile: Record<string, string>;
try {
  fromFile = readEnvFile('.env');
} catch (error) {
  if (!(error instanceof EnvFileError)) throw error;
  console.error(`Could not start: ${error.message}`);
  process.exit(1);
}
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig({ ...fromFile, ...process.env });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`${error.message}\nSee .env.example and the configuration table in docs/configuration.md.`);
  process.exit(1);
}

const logger = createLogger(config.logLevel);
const fileNames = Object.keys(fromFile);
if (fileNames.length > 0) {
  const overridden = fileNames.filter((name) => process.env[name] !== undefined);
  logger.info(
    { variables: fileNames.length, overridden },
    'read .env (the environment wins where both set one)',
  );
}
try {
  const groups = config.campaignGroupsFile ? await loadCampaignGroups(config.campaignGroupsFile) : new Map();
  const tokenNames = new Set(config.runbookTokens.map((t) => t.name));
  const hookSources = new Set(config.hookSecrets.keys());
  const agentNames = new Set(config.mcpTokens.map((t) => t.name));
  const policy = config.accessPolicyFile
    ? await loadAccessPolicy(config.accessPolicyFile, { groups, tokenNames, hookSources, agentNames })
    : undefined;
  const hookRules = config.hookRulesFile ? await loadHookRules(config.hookRulesFile, hookSources) : [];
  const shared = await connectSharedState(config, logger);
  const bot = await startBot(config, logger, { ...shared, groups, hookRules, policy });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      bot
        .stop()
        .then(() => shared.close())
        .then(
          () => logger.flush(() => process.exit(0)),
          (error: unknown) => {
            logger.error({ err: String(error) }, 'shutdown failed');
            logger.flush(() => process.exit(1));
          },
        );
    });
  }
} catch (error) {
  const known =
    error instanceof StartupError ||
    error instanceof GroupsFileError ||
    error instanceof PolicyFileError ||
    error instanceof HookRulesError;
  const message = known ? (error as Error).message : `unexpected error: ${(error as Error).message}`;
  logger.fatal({ err: message }, 'could not start');
  console.error(`Could not start: ${message}`);
  process.exit(1);
}
