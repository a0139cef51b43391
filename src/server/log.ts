/** A small structured logger: one JSON object per line on stderr. Secrets are never passed to it. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export const logLevels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Logger {
  const threshold = logLevels.indexOf(level);
  const log = (at: Exclude<LogLevel, 'silent'>) => (message: string, fields?: LogFields) => {
    if (logLevels.indexOf(at) < threshold) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: at, msg: message, ...fields }));
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** Keeps log records in memory (tests, or embedding Strata without stderr output). */
export function createMemoryLogger(): Logger & {
  records: Array<LogFields & { level: string; msg: string }>;
} {
  const records: Array<LogFields & { level: string; msg: string }> = [];
  const logger = createLogger('debug', (line) => records.push(JSON.parse(line)));
  return Object.assign(logger, { records });
}
