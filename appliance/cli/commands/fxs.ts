/**
 * edgesip fxs status [--fxs-dir DIR] [--json] — the FXS gateway agent (edgesip-fxs):
 * its line board and each line's registration, hook and call.
 *
 * The agent is a separate program with its own status socket (DIR/fxs.sock, see
 * fxs/status-server.ts), so this talks to that socket rather than to edgesipd's control
 * socket; the same client and the same exit codes (3: not running) apply.
 */
import { join, resolve } from 'node:path';
import { controlRequest, ControlClientError } from '../../control/client';
import { FXS_SOCKET_NAME, FXS_STATUS_PATH, type FxsLineStatus, type FxsStatus } from '../../fxs/status';
import type { MessageKey } from '../messages';
import { localized } from './calls';
import {
  cell,
  CommandFailure,
  EXIT_NOT_RUNNING,
  EXIT_OK,
  EXIT_REFUSED,
  expectPositionals,
  flag,
  helpRequested,
  parseCommand,
  printJson,
  renderTable,
  runGroup,
  stringOption,
  UsageError,
  type CliContext,
} from './common';
import { formatDuration } from './reg';

const GROUP = 'fxs';

/** The agent's data dir as its systemd unit sets it (StateDirectory=edgesip/fxs). */
export const DEFAULT_FXS_DIR = '/var/lib/edgesip/fxs';

/** A status request answers from memory: a few seconds without reply means a stuck agent. */
const STATUS_TIMEOUT_MS = 5_000;

export async function fxsCommand(args: string[], ctx: CliContext): Promise<number> {
  return runGroup(args, ctx, GROUP, 'fxsUsage', { status });
}

async function status(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, { json: { type: 'boolean' }, 'fxs-dir': { type: 'string' } });
  if (helpRequested(ctx, parsed, 'fxsUsage')) return EXIT_OK;
  expectPositionals(parsed.positionals, [], GROUP, ctx);
  const dir = stringOption(parsed.values, 'fxs-dir') ?? DEFAULT_FXS_DIR;
  if (dir === '') throw new UsageError(ctx.t('flagNeedsValue', { flag: '--fxs-dir' }), GROUP);
  const s = await fetchFxsStatus(ctx, join(resolve(dir), FXS_SOCKET_NAME));
  const reasons = fxsNeedsAttention(ctx, s);
  const code = reasons.length > 0 ? EXIT_REFUSED : EXIT_OK;
  if (flag(parsed.values, 'json')) {
    printJson(ctx, s);
    return code;
  }
  ctx.out(boardLine(ctx, s));
  if (s.lines.length === 0) ctx.err(ctx.t('fxsNoLines'));
  else {
    ctx.out(
      renderTable(
        (['colLine', 'colAccount', 'colRegistration', 'colHook', 'colCall', 'colLastError'] as const).map((k) => ctx.t(k)),
        s.lines.map((l) => [String(l.line), cell(l.username), registrationCell(ctx, l), localized(ctx, 'fxsHook', l.hook), callCell(ctx, l), cell(l.lastError)]),
      ),
    );
  }
  if (reasons.length > 0) {
    ctx.out(ctx.t('statusAttention'));
    for (const r of reasons) ctx.out(`  - ${r}`);
  }
  return code;
}

/**
 * GET /v1/status on the agent's socket. Like callApi for the daemon: no agent is exit 3,
 * any other failure exit 1, each with a localized message.
 */
export async function fetchFxsStatus(ctx: CliContext, socket: string): Promise<FxsStatus> {
  let res;
  try {
    res = await controlRequest(socket, 'GET', FXS_STATUS_PATH, undefined, { timeoutMs: STATUS_TIMEOUT_MS });
  } catch (err) {
    if (err instanceof ControlClientError) {
      switch (err.code) {
        case 'EDGESIP_ERR_NOT_RUNNING':
          throw new CommandFailure(ctx.t('fxsNotRunning', { socket }), EXIT_NOT_RUNNING);
        case 'EDGESIP_ERR_PERMISSION':
          throw new CommandFailure(ctx.t('permissionDenied', { socket }), EXIT_REFUSED);
        case 'EDGESIP_ERR_TIMEOUT':
          throw new CommandFailure(ctx.t('fxsTimeout', { socket }), EXIT_REFUSED);
        case 'EDGESIP_ERR_PROTOCOL':
          throw new CommandFailure(ctx.t('fxsProtocolError', { detail: err.message }), EXIT_REFUSED);
      }
    }
    throw err;
  }
  if (res.status !== 200) {
    const message = isRecord(res.body) && typeof res.body.message === 'string' ? res.body.message : `HTTP ${res.status}`;
    throw new CommandFailure(ctx.t('fxsFailed', { message }), EXIT_REFUSED);
  }
  if (!looksLikeStatus(res.body)) throw new CommandFailure(ctx.t('fxsProtocolError', { detail: 'the reply is not an FXS status' }), EXIT_REFUSED);
  return res.body;
}

/** Enough of the shape to render without crashing; the agent is the same release as the CLI. */
function looksLikeStatus(body: unknown): body is FxsStatus {
  return isRecord(body) && isRecord(body.board) && typeof body.board.state === 'string' && Array.isArray(body.lines) && body.lines.every(isRecord);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Line states that are an admin's problem, with the reason shown for them. */
const LINE_REASONS: Partial<Record<FxsLineStatus['registration'], MessageKey>> = {
  'auth-failed': 'fxsLineAuthFailed',
  failed: 'fxsLineFailed',
  unreachable: 'fxsLineUnreachable',
  registering: 'fxsLineRegistering',
};

/**
 * Why the status exits 1 (localized), empty when the board is up and every enabled line
 * is registered.
 */
export function fxsNeedsAttention(ctx: CliContext, s: FxsStatus): string[] {
  const reasons: string[] = [];
  if (s.board.state === 'down') reasons.push(ctx.t('fxsBoardDown', { path: cell(s.board.path) }));
  else if (s.board.state !== 'up') reasons.push(ctx.t('fxsBoardNotUp', { path: cell(s.board.path) }));
  for (const l of s.lines) {
    if (l.registration === 'registered' || l.registration === 'disabled') continue;
    const key = LINE_REASONS[l.registration] ?? 'fxsLineRegistering';
    const error = l.lastError === undefined ? '' : ctx.t('fxsLastErrorSuffix', { error: cell(l.lastError) });
    reasons.push(ctx.t(key, { line: String(l.line), username: cell(l.username), server: cell(s.server), error }));
  }
  return reasons;
}

/** "board up (/dev/ttyUSB0, firmware 1.2.0, 4 lines, 0 bad frames, 1 reconnects); server …, local …" */
function boardLine(ctx: CliContext, s: FxsStatus): string {
  const b = s.board;
  const details = [cell(b.path)];
  if (b.firmware !== undefined) details.push(ctx.t('fxsFirmware', { firmware: cell(b.firmware) }));
  if (b.lines !== undefined) details.push(ctx.t('fxsBoardLines', { count: String(b.lines) }));
  details.push(ctx.t('fxsBadFrames', { count: String(b.badFrames) }));
  details.push(ctx.t('fxsReconnects', { count: String(b.reconnects) }));
  return ctx.t('fxsBoardLine', {
    state: localized(ctx, 'fxsBoard', b.state),
    details: details.join(ctx.t('statusSeparator')),
    server: cell(s.server),
    local: cell(s.local),
  });
}

/** "registered (expires in 4m40s)", "failed (retry in 30s)", or the state alone. */
function registrationCell(ctx: CliContext, l: FxsLineStatus): string {
  const state = localized(ctx, 'fxsReg', l.registration);
  if (l.registration === 'registered' && l.expiresInSeconds !== undefined) {
    return ctx.t('fxsWithDetail', { state, detail: ctx.t('trunkExpiresIn', { time: formatDuration(l.expiresInSeconds) }) });
  }
  if (l.registration !== 'registered' && l.retryInSeconds !== undefined) {
    return ctx.t('fxsWithDetail', { state, detail: ctx.t('trunkRetryIn', { time: formatDuration(l.retryInSeconds) }) });
  }
  return state;
}

/** "connected (1001)", or the state alone. */
function callCell(ctx: CliContext, l: FxsLineStatus): string {
  const state = localized(ctx, 'fxsCall', l.call);
  return l.peer === undefined || l.peer === '' ? state : ctx.t('fxsWithDetail', { state, detail: cell(l.peer) });
}
