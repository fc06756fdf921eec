import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

/** The narrow logger every component receives. Log object-first with snake_case keys. */
export type Logger = PinoLogger;

export interface CreateLoggerParameters {
  level?: LevelWithSilent;
  /** Pretty output for humans; defaults to true when stdout is a TTY and NODE_ENV is not production. */
  pretty?: boolean;
  base?: Record<string, unknown>;
}

/** Secrets never reach a log line, whatever a caller passes. */
const REDACT_PATHS = [
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'webhookUrl',
  '*.webhookUrl',
  'authorization',
  '*.authorization',
  'headers.authorization',
];

export function createLogger(params: CreateLoggerParameters = {}): Logger {
  const level = params.level ?? (process.env.ORACUL_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info';
  const pretty = params.pretty ?? (process.stdout.isTTY === true && process.env.NODE_ENV !== 'production');
  return pino({
    level,
    base: { ...params.base },
    redact: { paths: REDACT_PATHS, censor: '[hidden]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
}

/** One child logger per component, tagged with `component` so logs can be filtered per stage. */
export function componentLogger(parent: Logger, component: string, fields: Record<string, unknown> = {}): Logger {
  return parent.child({ component, ...fields });
}
