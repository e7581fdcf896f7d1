import pino, { type Logger } from 'pino';

/**
 * The daemon's logger: pino JSON lines on stdout, collected by journald. Secrets must
 * never reach the journal, so every path that can carry one is censored here, once.
 */
export const REDACT_PATHS = [
  'password',
  'secret',
  '*.password',
  '*.secret',
  'authorization',
  'proxyAuthorization',
  '*.authorization',
  '*.proxyAuthorization',
  'headers.authorization',
  'headers["proxy-authorization"]',
  'response', // digest response
  '*.response',
];

/** `service` names the program in every line (edgesipd, edgesip-fxs). */
export function createLogger(level: string, destination?: NodeJS.WritableStream, service = 'edgesipd'): Logger {
  return pino(
    {
      level,
      base: { svc: service },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

export type { Logger };
