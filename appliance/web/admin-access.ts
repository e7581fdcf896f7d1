/**
 * Who may use the web admin: the accounts, the login lockout and the open sessions,
 * kept consistent with each other (a new password ends the account's other sessions
 * and lifts its lockout; a removed account loses its sessions). The control API's
 * /v1/admins routes and the web's own login and password change both come here.
 */
import { AdminError, type AdminAccountView } from '../control/backend';
import type { Clock } from '../sip/clock';
import type { AdminAccount, AdminAccounts } from './admin-accounts';
import type { LoginThrottle } from './login-throttle';
import type { SessionStore } from './sessions';

export class AdminAccess {
  constructor(
    readonly accounts: AdminAccounts,
    readonly throttle: LoginThrottle,
    readonly sessions: SessionStore,
    private readonly clock: Clock,
  ) {}

  list(): AdminAccountView[] {
    return [...this.accounts.list()].sort((a, b) => a.user.localeCompare(b.user)).map((a) => this.view(a));
  }

  async add(user: string, password: string): Promise<AdminAccountView> {
    if (this.accounts.get(user)) throw new AdminError('EDGESIP_ERR_EXISTS', `admin ${user} exists; use edgesip admin passwd to change the password`, 'user');
    return this.view(await this.accounts.setPassword(user, password, new Date(this.clock.now())));
  }

  /** `keepSession`: the session that made the change (the web's own password change) stays open. */
  async setPassword(user: string, password: string, keepSession?: string): Promise<AdminAccountView> {
    if (!this.accounts.get(user)) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no admin ${user}`);
    const account = await this.accounts.setPassword(user, password, new Date(this.clock.now()));
    this.sessions.endAllOf(user, keepSession);
    this.throttle.unlockAccount(user);
    return this.view(account);
  }

  remove(user: string): void {
    if (!this.accounts.get(user)) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no admin ${user}`);
    if (this.accounts.list().length === 1) throw new AdminError('EDGESIP_ERR_CONFLICT', `${user} is the last admin account; add another one first`);
    this.accounts.remove(user);
    this.sessions.endAllOf(user);
    this.throttle.unlockAccount(user);
  }

  unlock(user: string): AdminAccountView {
    const account = this.accounts.get(user);
    if (!account) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no admin ${user}`);
    this.throttle.unlockAccount(user);
    return this.view(account);
  }

  private view(a: AdminAccount): AdminAccountView {
    const locked = this.throttle.accountLockedUntil(a.user);
    return { user: a.user, createdAt: a.createdAt, passwordChangedAt: a.passwordChangedAt, lockedUntil: locked === undefined ? null : new Date(locked).toISOString() };
  }
}
