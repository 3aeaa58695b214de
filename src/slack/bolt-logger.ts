import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from 'pino';

/**
 * Secrets that Bolt and its clients can put inside a message *string*, where pino's key-based redaction cannot
 * reach: Slack tokens (bot, user, app, workflow), the legacy verification token and response_url hooks in raw
 * Socket Mode envelopes, and the one-time `ticket` of the Socket Mode URL.
 */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/\bx(?:ox[abpres]|app|wfp)-[A-Za-z0-9-]+/g, '[redacted-token]'],
  [/("token"\s*:\s*")[^"]*"/g, '$1[redacted]"'],
  [/https:\/\/hooks\.slack\.com\/[^\s"']+/g, '[redacted-response-url]'],
  [/([?&]ticket=)[^&\s"']+/g, '$1[redacted]'],
];

export function scrubSecrets(text: string): string {
  return SECRET_PATTERNS.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text);
}

/** Bolt and its clients log through our pino root (so redaction applies), under module "bolt", scrubbed. */
export function boltLogger(root: Logger): BoltLogger {
  const log = root.child({ module: 'bolt' });
  let level: LogLevel = toBoltLevel(log.level);
  const write =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (...msg: unknown[]) => {
      log[method](
        scrubSecrets(
          msg
            .map((m) =>
              m instanceof Error ? `${m.name}: ${m.message}` : typeof m === 'string' ? m : JSON.stringify(m),
            )
            .join(' '),
        ),
      );
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    setLevel(l) {
      level = l;
    },
    getLevel: () => level,
    setName() {},
  };
}

function toBoltLevel(level: string): LogLevel {
  if (level === 'debug' || level === 'trace') return LogLevel.DEBUG;
  if (level === 'warn') return LogLevel.WARN;
  if (level === 'error' || level === 'fatal' || level === 'silent') return LogLevel.ERROR;
  return LogLevel.INFO;
}
