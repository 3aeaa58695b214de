import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from 'pino';

/** Bolt and its clients log through our pino root (so redaction applies), under module "bolt". */
export function boltLogger(root: Logger): BoltLogger {
  const log = root.child({ module: 'bolt' });
  let level: LogLevel = toBoltLevel(log.level);
  const write =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (...msg: unknown[]) => {
      log[method](
        msg
          .map((m) =>
            m instanceof Error ? `${m.name}: ${m.message}` : typeof m === 'string' ? m : JSON.stringify(m),
          )
          .join(' '),
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
