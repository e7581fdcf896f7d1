/**
 * The logging surface the SIP stack needs. The daemon passes its pino logger, which
 * satisfies it; the stack itself never writes to the console.
 */
export interface SipLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: SipLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
