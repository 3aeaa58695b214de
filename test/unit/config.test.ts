import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const valid = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdefabcdef',
  SLACK_SIGNING_SECRET: 'signing-secret-0123456789',
  MOENGAGE_WORKSPACE_ID: 'WS12345',
  MOENGAGE_API_KEY: 'api-key-very-secret',
  MOENGAGE_DATA_CENTER: '02',
};

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('fills every default from a minimal HTTP-mode environment', () => {
    const config = loadConfig(valid);
    expect(config).toMatchObject({
      slack: { mode: 'http', apiUrl: 'https://slack.com/api/', appToken: undefined },
      port: 3000,
      moengage: {
        workspaceId: 'WS12345',
        baseUrl: 'https://api-02.moengage.com',
        apiVersion: 'v1',
        lookup: true,
      },
      allowedUserIds: [],
      allowedChannelIds: [],
      secondApproverActions: ['STOP'],
      confirmationTtlSeconds: 900,
      maxCampaignsPerCommand: 100,
      redisUrl: undefined,
      logLevel: 'info',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads lists, Socket Mode, a base URL override and numbers', () => {
    const config = loadConfig({
      ...valid,
      SLACK_SIGNING_SECRET: '',
      SLACK_APP_TOKEN: 'xapp-1-A-123',
      SLACK_API_URL: 'http://127.0.0.1:9999/api',
      MOENGAGE_DATA_CENTER: '',
      MOENGAGE_BASE_URL: 'http://127.0.0.1:4010',
      ALLOWED_USER_IDS: 'U123ABC, W999ZZZ ,S0ONCALL',
      ALLOWED_CHANNEL_IDS: 'C0INCIDENT,G0PRIVATE',
      SECOND_APPROVER_ACTIONS: 'stop,resume,stop',
      CONFIRMATION_TTL_SECONDS: '60',
      MAX_CAMPAIGNS_PER_COMMAND: '250',
      PORT: '0',
      REDIS_URL: 'redis://127.0.0.1:6379/3',
      LOG_LEVEL: 'debug',
    });
    expect(config.slack).toMatchObject({ mode: 'socket', apiUrl: 'http://127.0.0.1:9999/api/' });
    expect(config.moengage.baseUrl).toBe('http://127.0.0.1:4010');
    expect(config.allowedUserIds).toEqual(['U123ABC', 'W999ZZZ', 'S0ONCALL']);
    expect(config.allowedChannelIds).toEqual(['C0INCIDENT', 'G0PRIVATE']);
    expect(config.secondApproverActions).toEqual(['STOP', 'RESUME']);
    expect(config).toMatchObject({
      confirmationTtlSeconds: 60,
      maxCampaignsPerCommand: 250,
      port: 0,
      logLevel: 'debug',
    });
  });

  it('picks the V5 status API and turns the campaign lookup off on request, and names a wrong value', () => {
    const config = loadConfig({ ...valid, MOENGAGE_API_VERSION: 'v5', CAMPAIGN_LOOKUP: 'off' });
    expect(config.moengage).toMatchObject({ apiVersion: 'v5', lookup: false });
    const problems = problemsOf({ ...valid, MOENGAGE_API_VERSION: 'v2', CAMPAIGN_LOOKUP: 'maybe' });
    expect(problems).toEqual([
      'MOENGAGE_API_VERSION: must be v1 (the batch API) or v5 (one campaign per call)',
      'CAMPAIGN_LOOKUP: must be on or off',
    ]);
  });

  it('lets NONE turn the second-approver rule off', () => {
    expect(loadConfig({ ...valid, SECOND_APPROVER_ACTIONS: 'none' }).secondApproverActions).toEqual([]);
  });

  it('reports every missing variable at once, by name', () => {
    expect(problemsOf({})).toEqual([
      'SLACK_BOT_TOKEN: is required',
      'SLACK_SIGNING_SECRET: is required in HTTP mode (set it, or set SLACK_APP_TOKEN for Socket Mode)',
      'MOENGAGE_WORKSPACE_ID: is required',
      'MOENGAGE_API_KEY: is required',
      'MOENGAGE_DATA_CENTER: set it to one of 01, 02, 03, 04, 05, 06, 101 (or set MOENGAGE_BASE_URL)',
    ]);
  });

  it('requires the signing secret in HTTP mode and a data center or base URL', () => {
    const problems = problemsOf({
      ...valid,
      SLACK_SIGNING_SECRET: undefined,
      MOENGAGE_DATA_CENTER: undefined,
    });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^SLACK_SIGNING_SECRET: is required in HTTP mode/);
    expect(problems[1]).toMatch(/^MOENGAGE_DATA_CENTER: set it to one of 01, 02, 03, 04, 05, 06, 101/);
  });

  it('names each bad variable and never echoes a value', () => {
    const secret = 'xoxp-user-token-should-not-appear';
    const problems = problemsOf({
      ...valid,
      SLACK_BOT_TOKEN: secret,
      SLACK_APP_TOKEN: 'not-an-app-token-zzz',
      MOENGAGE_DATA_CENTER: '07',
      ALLOWED_USER_IDS: 'U123,bob',
      ALLOWED_CHANNEL_IDS: '#general',
      SECOND_APPROVER_ACTIONS: 'STOP,DELETE',
      CONFIRMATION_TTL_SECONDS: '-5',
      MAX_CAMPAIGNS_PER_COMMAND: 'lots',
      PORT: '70000',
      REDIS_URL: 'http://cache',
      LOG_LEVEL: 'loud',
      MOENGAGE_BASE_URL: 'ftp://x',
    });
    const names = problems.map((p) => p.split(':')[0]);
    expect(names).toEqual([
      'SLACK_BOT_TOKEN',
      'SLACK_APP_TOKEN',
      'PORT',
      'MOENGAGE_DATA_CENTER',
      'MOENGAGE_BASE_URL',
      'ALLOWED_USER_IDS',
      'ALLOWED_CHANNEL_IDS',
      'SECOND_APPROVER_ACTIONS',
      'CONFIRMATION_TTL_SECONDS',
      'MAX_CAMPAIGNS_PER_COMMAND',
      'REDIS_URL',
      'LOG_LEVEL',
    ]);
    const text = problems.join('\n');
    for (const value of [
      secret,
      'not-an-app-token-zzz',
      'bob',
      '#general',
      'DELETE',
      'lots',
      'http://cache',
      'loud',
    ]) {
      expect(text).not.toContain(value);
    }
  });
});

describe('loadConfig messages', () => {
  it('tells a wrong value from a missing one, and names the part of RUNBOOK_TOKENS at fault without its value', () => {
    const problems = problemsOf({
      ...valid,
      PORT: 'abc',
      RUNBOOK_TOKENS: JSON.stringify([
        { name: 'pd', token: 'short-secret', actions: ['PAUSE'], channels: ['C1X'] },
      ]),
    });
    expect(problems[0]).toMatch(/^PORT: (?!is required)/);
    expect(problems.some((p) => p.startsWith('RUNBOOK_TOKENS: 0.token: at least 32 characters'))).toBe(true);
    expect(problems.join('\n')).not.toContain('short-secret');
    expect(problemsOf({ ...valid, RUNBOOK_TOKENS: '{not json' })).toEqual([
      'RUNBOOK_TOKENS: must be a JSON array of {name, token, actions?, channels?, auto_execute?}',
    ]);
  });
});

describe('the access policy in the environment', () => {
  const token = (over: Record<string, unknown> = {}) => ({
    name: 'pd',
    token: 'x'.repeat(40),
    actions: ['PAUSE'],
    channels: ['C1X'],
    ...over,
  });

  it('refuses a runbook token whose auto_execute would skip the two-person rule for STOP', () => {
    const problems = problemsOf({
      ...valid,
      RUNBOOK_TOKENS: JSON.stringify([token({ actions: ['STOP'], auto_execute: ['STOP'] })]),
    });
    expect(problems).toEqual([
      expect.stringMatching(/^RUNBOOK_TOKENS: 0\.auto_execute: a STOP would run with nobody/),
    ]);
  });

  it('refuses two runbook tokens with one name (one idempotency namespace, one HMAC key)', () => {
    const problems = problemsOf({
      ...valid,
      RUNBOOK_TOKENS: JSON.stringify([token(), token({ token: 'y'.repeat(40) })]),
    });
    expect(problems).toEqual(['RUNBOOK_TOKENS: 1.name: used by an earlier token']);
  });

  it('refuses the short form beside ACCESS_POLICY_FILE, and token grants beside it, naming each', () => {
    const problems = problemsOf({
      ...valid,
      ACCESS_POLICY_FILE: 'policy.yaml',
      ALLOWED_USER_IDS: 'UALICE',
      SECOND_APPROVER_ACTIONS: 'STOP',
      RUNBOOK_TOKENS: JSON.stringify([token()]),
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'ALLOWED_USER_IDS: leave it unset when ACCESS_POLICY_FILE is set (write it as a rule)',
        'SECOND_APPROVER_ACTIONS: leave it unset when ACCESS_POLICY_FILE is set (write it as a rule)',
        'RUNBOOK_TOKENS: 0.actions: leave it out when ACCESS_POLICY_FILE is set (a rule grants token:pd)',
        'RUNBOOK_TOKENS: 0.channels: leave it out when ACCESS_POLICY_FILE is set (a rule grants token:pd)',
      ]),
    );
  });

  it('takes tokens with only a name and a secret beside ACCESS_POLICY_FILE, and needs grants without it', () => {
    const bare = JSON.stringify([{ name: 'pd', token: 'x'.repeat(40) }]);
    const withFile = {
      ...valid,
      ALLOWED_USER_IDS: '',
      ALLOWED_CHANNEL_IDS: '',
      ACCESS_POLICY_FILE: 'p.yaml',
    };
    expect(loadConfig({ ...withFile, RUNBOOK_TOKENS: bare })).toMatchObject({ accessPolicyFile: 'p.yaml' });
    expect(problemsOf({ ...valid, RUNBOOK_TOKENS: bare })).toEqual([
      'RUNBOOK_TOKENS: 0.actions: is required without ACCESS_POLICY_FILE',
      'RUNBOOK_TOKENS: 0.channels: is required without ACCESS_POLICY_FILE',
    ]);
  });
});

describe('loadConfig: AI agents (MCP_*)', () => {
  const agent = (over: Record<string, unknown> = {}) => ({
    name: 'claude',
    token: 'a'.repeat(40),
    actions: ['PAUSE'],
    channels: ['C1X'],
    ...over,
  });

  it('reads the agents and the origins a browser client may call from; the door is off without agents', () => {
    expect(loadConfig(valid)).toMatchObject({ mcpTokens: [], mcpAllowedOrigins: [] });
    const config = loadConfig({
      ...valid,
      MCP_TOKENS: JSON.stringify([agent()]),
      MCP_ALLOWED_ORIGINS: 'https://Agents.example.com, http://localhost:6274',
    });
    expect(config.mcpTokens).toEqual([agent()]);
    expect(config.mcpAllowedOrigins).toEqual(['https://agents.example.com', 'http://localhost:6274']);
  });

  it('names each problem of MCP_TOKENS by place, never a token, and takes no auto_execute', () => {
    const problems = problemsOf({
      ...valid,
      MCP_TOKENS: JSON.stringify([
        agent({ token: 'short-agent-secret' }),
        agent({ token: 'b'.repeat(40), auto_execute: ['PAUSE'] }),
        agent({ name: 'two', token: 'c'.repeat(40), channels: undefined }),
      ]),
      MCP_ALLOWED_ORIGINS: 'agents.example.com',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^MCP_TOKENS: 0\.token: at least 32 characters/),
        expect.stringMatching(/^MCP_TOKENS: 1: Unrecognized key: "auto_execute"/),
        'MCP_TOKENS: 2.channels: is required without ACCESS_POLICY_FILE',
        'MCP_ALLOWED_ORIGINS: 0: each entry must be an origin (https://host[:port])',
      ]),
    );
    expect(problems.join('\n')).not.toContain('short-agent-secret');
    expect(
      problemsOf({ ...valid, MCP_TOKENS: JSON.stringify([agent(), agent({ token: 'd'.repeat(40) })]) }),
    ).toEqual(['MCP_TOKENS: 1.name: used by an earlier agent']);
  });

  it('takes agents with only a name and a token beside ACCESS_POLICY_FILE: rules grant agent:<name>', () => {
    const withFile = { ...valid, ACCESS_POLICY_FILE: 'p.yaml' };
    const bare = JSON.stringify([{ name: 'claude', token: 'a'.repeat(40) }]);
    expect(loadConfig({ ...withFile, MCP_TOKENS: bare }).mcpTokens).toHaveLength(1);
    expect(problemsOf({ ...withFile, MCP_TOKENS: JSON.stringify([agent()]) })).toEqual([
      'MCP_TOKENS: 0.actions: leave it out when ACCESS_POLICY_FILE is set (a rule grants agent:claude)',
      'MCP_TOKENS: 0.channels: leave it out when ACCESS_POLICY_FILE is set (a rule grants agent:claude)',
    ]);
  });
});

describe('loadConfig: Redis through Sentinel', () => {
  it('reads the sentinels, the master name, the password and TLS; REDIS_URL may be left out', () => {
    const config = loadConfig({
      ...valid,
      REDIS_SENTINELS: 'sentinel-1:26379, 10.0.0.2:26380,[::1]:26381',
      REDIS_SENTINEL_NAME: 'botmaster',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
      REDIS_SENTINEL_TLS: 'on',
    });
    expect(config.redisUrl).toBeUndefined();
    expect(config.redisSentinel).toEqual({
      sentinels: [
        { host: 'sentinel-1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      name: 'botmaster',
      password: 'sentinel-secret',
      tls: true,
    });
    expect(loadConfig(valid).redisSentinel).toBeUndefined();
  });

  it('names a missing master name, a bad entry and sentinel settings without sentinels, never a value', () => {
    expect(problemsOf({ ...valid, REDIS_SENTINELS: 'sentinel-1:26379,nohost' })).toEqual([
      'REDIS_SENTINELS: 1: each entry must be host:port (e.g. sentinel-1:26379)',
      'REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS (the master group name they monitor)',
    ]);
    const problems = problemsOf({
      ...valid,
      REDIS_SENTINEL_PASSWORD: 'hunter2-sentinel',
      REDIS_SENTINEL_TLS: 'yes',
    });
    expect(problems).toEqual([
      'REDIS_SENTINEL_PASSWORD: only used with REDIS_SENTINELS (set it, or leave this unset)',
      'REDIS_SENTINEL_TLS: must be on or off',
      'REDIS_SENTINEL_TLS: only used with REDIS_SENTINELS (set it, or leave this unset)',
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });
});

describe('loadConfig: incident tools (HOOK_*)', () => {
  const pd = 'pd-webhook-secret-0123456789abcdef';
  it('reads named secrets per source, and the first version’s forms (one secret, a list) as before', () => {
    const named = loadConfig({
      ...valid,
      HOOK_SECRETS: JSON.stringify({
        pagerduty: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`sub-${i}`, `${pd}-${i}`])),
        opsgenie: pd,
        incidentio: [`${pd}-new`, `${pd}-old`, `${pd}-older`],
      }),
    });
    expect(named.hookSecrets.get('pagerduty')).toHaveLength(12);
    expect(named.hookSecrets.get('pagerduty')?.[11]).toEqual({ name: 'sub-11', secret: `${pd}-11` });
    expect(named.hookSecrets.get('opsgenie')).toEqual([{ name: '1', secret: pd }]);
    expect(named.hookSecrets.get('incidentio')?.map((s) => s.name)).toEqual(['1', '2', '3']);
    expect(named.hookGrafana).toEqual({
      signature: 'X-Grafana-Alerting-Signature',
      timestamp: 'X-Grafana-Alerting-Timestamp',
    });
  });

  it('names a bad secret by its source and name, never its value', () => {
    const problems = problemsOf({
      ...valid,
      HOOK_SECRETS: JSON.stringify({ pagerduty: { checkout: 'too-short-value', payments: pd } }),
    });
    expect(problems).toEqual(['HOOK_SECRETS: pagerduty.checkout: a secret of at least 16 characters']);
    expect(problems.join('\n')).not.toContain('too-short-value');
    expect(
      problemsOf({ ...valid, HOOK_SECRETS: JSON.stringify({ pagerduty: { 'bad name!': pd } }) }),
    ).toEqual(['HOOK_SECRETS: pagerduty.bad name!: a name of 1–64 letters, digits, _ . or -']);
    expect(problemsOf({ ...valid, HOOK_SECRETS: JSON.stringify({ pagerduty: {} }) })).toEqual([
      'HOOK_SECRETS: pagerduty: name at least one secret',
    ]);
  });

  it('takes Grafana’s header names, and none for a body-only signature', () => {
    const c = loadConfig({
      ...valid,
      HOOK_GRAFANA_SIGNATURE_HEADER: 'X-Sig',
      HOOK_GRAFANA_TIMESTAMP_HEADER: 'none',
    });
    expect(c.hookGrafana).toEqual({ signature: 'X-Sig', timestamp: undefined });
    expect(problemsOf({ ...valid, HOOK_GRAFANA_TIMESTAMP_HEADER: 'two words' })).toEqual([
      'HOOK_GRAFANA_TIMESTAMP_HEADER: must be an HTTP header name, or none',
    ]);
  });
});
