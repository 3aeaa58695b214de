/** The made-up credentials a bot and the simulators it talks to share. */
export interface SimulatorCredentials {
  botToken: string;
  signingSecret: string;
  workspaceId: string;
  apiKey: string;
}

export interface SimulatorBotEnvOptions extends SimulatorCredentials {
  /** Keep the campaign catalog (CAMPAIGN_CATALOG=on); off by default. */
  catalog?: boolean;
  /** The Slack simulator's base URL (its Web API is under `/api/`). */
  slackUrl: string;
  /** The MoEngage simulator's base URL. */
  moengageUrl: string;
  allowedUserIds: readonly string[];
  allowedChannelIds: readonly string[];
  /** The embedded database's file (default `:memory:`). */
  sqlitePath?: string;
}

/**
 * The environment (as `loadConfig` and `node src/main.ts` read it) of a bot pointed at a Slack simulator and a
 * MoEngage simulator, listening on a free port. Spread it and add the rest (LOG_LEVEL, REDIS_URL, ...).
 */
export function simulatorBotEnv(o: SimulatorBotEnvOptions) {
  return {
    SLACK_BOT_TOKEN: o.botToken,
    SLACK_SIGNING_SECRET: o.signingSecret,
    SLACK_API_URL: `${o.slackUrl}/api/`,
    PORT: '0',
    MOENGAGE_WORKSPACE_ID: o.workspaceId,
    MOENGAGE_API_KEY: o.apiKey,
    MOENGAGE_BASE_URL: o.moengageUrl,
    ALLOWED_USER_IDS: o.allowedUserIds.join(','),
    ALLOWED_CHANNEL_IDS: o.allowedChannelIds.join(','),
    // Each bot its own state: nothing on disk unless a caller gives it a file.
    SQLITE_PATH: o.sqlitePath ?? ':memory:',
    // The campaign catalog lists every campaign through the search at start: off unless asked for, so a test or a
    // bench that counts search calls counts its own (the demo and the catalog's tests turn it on).
    CAMPAIGN_CATALOG: o.catalog ? 'on' : 'off',
  };
}
