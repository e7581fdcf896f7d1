/**
 * What the FXS agent reports about itself (GET /v1/status on its status socket, shown
 * by `edgesip fxs status`). The agent fills it; the CLI and monitoring read it.
 */

/** The status socket's name in the agent's data dir, and the one route it serves. */
export const FXS_SOCKET_NAME = 'fxs.sock';
export const FXS_STATUS_PATH = '/v1/status';

export type FxsRegistrationState = 'disabled' | 'registering' | 'registered' | 'failed' | 'unreachable' | 'auth-failed';

export type FxsCallState = 'idle' | 'dial-tone' | 'dialing' | 'calling' | 'ringback' | 'ringing' | 'connected' | 'busy-tone' | 'congestion';

export interface FxsLineStatus {
  line: number;
  username: string;
  registration: FxsRegistrationState;
  hook: 'on-hook' | 'off-hook' | 'unknown';
  call: FxsCallState;
  /** The other party of the call (number or URI), when there is one. */
  peer?: string;
  /** The last registration or call failure, e.g. "403 Forbidden" or "no answer from 192.0.2.1:5060". */
  lastError?: string;
  /** Until the next REGISTER attempt (registering, failed, unreachable). */
  retryInSeconds?: number;
  /** Until the registration expires (registered). */
  expiresInSeconds?: number;
}

export interface FxsStatus {
  /** The agent's version. */
  version: string;
  board: {
    state: 'connecting' | 'up' | 'down';
    /** The serial device. */
    path: string;
    /** As the board reports them once it is up. */
    firmware?: string;
    lines?: number;
    /** Frames dropped for a bad checksum or framing, since the agent started. */
    badFrames: number;
    reconnects: number;
  };
  /** The SIP server the lines register to, e.g. "127.0.0.1:5060 UDP". */
  server: string;
  /** The agent's SIP socket, e.g. "0.0.0.0:5070". */
  local: string;
  lines: FxsLineStatus[];
}
