/**
 * The registration of one FXS line's account: the same REGISTER client as the PBX's
 * trunks (digest, refresh at half the granted time, exponential backoff with jitter
 * after failures), with one rule of its own. The gateways of the field retry refused
 * credentials forever and get the whole gateway address blocked; here a line whose
 * credentials are refused `authFailureLimit` times in a row stops and stays
 * `auth-failed` until its configuration changes. Other lines are not touched.
 */
import { TrunkRegistration, type TrunkRegistrationState } from '../../pbx/trunks/trunk-registration';
import type { Clock } from '../../sip/clock';
import type { SipLogger } from '../../sip/logger';
import type { FxsRegistrationState } from '../status';
import type { GatewaySip } from './gateway-sip';

export interface LineAccount {
  line: number;
  username: string;
  authUsername: string;
  password: string;
  expires: number;
  authFailureLimit: number;
}

export interface LineRegistrationView {
  registration: FxsRegistrationState;
  lastError?: string;
  retryInSeconds?: number;
  expiresInSeconds?: number;
}

export class LineRegistration {
  private readonly client: TrunkRegistration;
  private authFailed: { status: number } | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly account: LineAccount,
    sip: GatewaySip,
    private readonly clock: Clock,
    private readonly logger: SipLogger,
    onChange?: () => void,
  ) {
    this.client = new TrunkRegistration({
      config: {
        name: `line ${account.line}`,
        domain: sip.domain,
        username: account.username,
        authUsername: account.authUsername,
        password: account.password,
        realm: '',
        expires: account.expires,
        requestUriParams: '',
      },
      network: {
        sendRequest: (request, user) => void sip.sendRequest(request, user),
        via: () => sip.via(),
        contact: () => `<${sip.contactUri(account.username)}>`,
      },
      clock,
      logger,
      rejectionsLimit: account.authFailureLimit,
      onChange: (state) => {
        this.observe(state);
        onChange?.();
      },
    });
  }

  start(): void {
    this.client.start();
  }

  stop(): Promise<void> | void {
    return this.client.stop();
  }

  get registered(): boolean {
    return this.client.state.kind === 'registered';
  }

  view(): LineRegistrationView {
    const now = this.clock.now();
    const seconds = (at: number) => Math.max(0, Math.round((at - now) / 1000));
    const lastError = this.lastError === undefined ? {} : { lastError: this.lastError };
    if (this.authFailed) return { registration: 'auth-failed', ...lastError };
    const s = this.client.state;
    switch (s.kind) {
      case 'idle':
        return { registration: 'registering', ...lastError };
      case 'registering':
        return { registration: 'registering', ...lastError };
      case 'registered':
        return { registration: 'registered', expiresInSeconds: seconds(s.expiresAt) };
      case 'failed':
        return { registration: 'failed', retryInSeconds: seconds(s.retryAt), ...lastError };
      case 'unreachable':
        return { registration: 'unreachable', retryInSeconds: seconds(s.retryAt), ...lastError };
      case 'wrong-credentials':
        return { registration: 'auth-failed', ...lastError };
    }
  }

  private observe(state: TrunkRegistrationState): void {
    switch (state.kind) {
      case 'failed':
        this.lastError = `${state.status} ${state.reason}`;
        return;
      case 'unreachable':
        this.lastError = 'server unreachable';
        return;
      case 'wrong-credentials':
        // Stop for good: no more REGISTERs from this line until its config changes.
        this.authFailed = { status: state.status };
        this.lastError = `credentials refused ${this.account.authFailureLimit} times (${state.status}); fix the line's password and reload`;
        this.logger.warn({ line: this.account.line, user: this.account.username, status: state.status }, 'fxs line stopped: credentials refused (auth-failed)');
        void this.client.stop();
        return;
      case 'registered':
        this.lastError = undefined;
        return;
      case 'idle':
      case 'registering':
        return;
    }
  }
}
