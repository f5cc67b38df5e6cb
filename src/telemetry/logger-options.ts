import type { LoggerOptions } from 'pino';

/**
 * pino settings. Message content and credentials never reach the logs: only ids, codes and
 * timings are logged, and the auth headers are redacted in case a request is ever serialised.
 */
export function loggerOptions(settings: { level: string; format: 'json' | 'pretty' }): LoggerOptions {
  return {
    level: settings.level,
    redact: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'],
    ...(settings.format === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
}
