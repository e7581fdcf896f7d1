/**
 * The daemon's AdminBackend (daemon/admin-backend.ts) behind the control server, on a
 * real data directory: trunks, dial plan, inbound routing, language and permissions as
 * they end up in config.json and secrets.json.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { EdgesipConfig } from '../config/schema';
import { loadConfig } from '../config/store';
import { DaemonAdminBackend, type ConfigHolder } from '../daemon/admin-backend';
import { SecretStore } from '../pbx/accounts/secret-store';
import { Guard } from '../pbx/guard/guard';
import { LocationStore } from '../pbx/registrar/location-store';
import { VirtualClock } from '../sip/testing/virtual-clock';
import type { AdminAccountView, DialRule, ExtensionView, InboundView, ServiceSettingsView, TlsCertificateView, TrunkStatusView, TrunkView } from './backend';
import { ensureTlsIdentity } from '../platform/tls-identity';
import { AdminAccess } from '../web/admin-access';
import { AdminAccounts } from '../web/admin-accounts';
import { LoginThrottle } from '../web/login-throttle';
import { SessionStore } from '../web/sessions';
import { controlRequest } from './client';
import { startControlServer, type ControlServer } from './server';
import { memoryLogger } from './testing/fake-backend';

describe('DaemonAdminBackend: trunks, dial plan, inbound, language', () => {
  let dir: string;
  let server: ControlServer;
  let holder: ConfigHolder;
  let secrets: SecretStore;
  let status: TrunkStatusView[] | undefined;
  let hookFails = false;
  const changes: EdgesipConfig[] = [];
  const call = (method: string, path: string, body?: unknown) => controlRequest(join(dir, 'control.sock'), method, path, body);
  const onDisk = (): EdgesipConfig => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as EdgesipConfig;
  const secretsOnDisk = (): { trunks?: Record<string, string> } => JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')) as { trunks?: Record<string, string> };

  async function refused(method: string, path: string, body: unknown, status: number, field: string | undefined, message?: RegExp): Promise<void> {
    const before = readFileSync(join(dir, 'config.json'), 'utf8');
    const seen = changes.length;
    const res = await call(method, path, body);
    assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
    const err = res.body as { field?: string; message: string };
    assert.equal(err.field, field, JSON.stringify(res.body));
    if (message) assert.match(err.message, message);
    assert.equal(readFileSync(join(dir, 'config.json'), 'utf8'), before, 'a refused change leaves the file');
    assert.equal(changes.length, seen, 'and calls no hook');
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgesip-backend-'));
    holder = { current: loadConfig(dir).config };
    secrets = SecretStore.load(dir, 'pbx.example').store;
    const clock = new VirtualClock(Date.parse('2025-01-01T00:00:00Z'));
    const quiet = { info: () => undefined, warn: () => undefined };
    const backend = new DaemonAdminBackend({
      dataDir: dir,
      config: holder,
      secrets,
      locations: new LocationStore({ clock }),
      guard: new Guard({ config: holder.current.guard, acl: holder.current.acl, clock, logger: quiet }),
      clock,
      ping: async () => ({ contact: '', transport: 'UDP', source: '' }),
      trunkStatus: { list: () => status ?? [] },
      onConfigChange: (config) => {
        if (hookFails) throw new Error('registrations did not restart');
        changes.push(config);
      },
    });
    server = await startControlServer({ socketPath: join(dir, 'control.sock'), backend, logger: memoryLogger([]) });
    assert.equal((await call('POST', '/v1/extensions', { number: '101', password: 'pass-word-101' })).status, 201);
    assert.equal((await call('POST', '/v1/extensions', { number: '102', password: 'pass-word-102', permission: 'international' })).status, 201);
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('extensions get the national permission by default; set changes it', async () => {
    const list = (await call('GET', '/v1/extensions')).body as ExtensionView[];
    assert.deepEqual(
      list.map((e) => [e.number, e.permission]),
      [
        ['101', 'national'],
        ['102', 'international'],
      ],
    );
    const changed = await call('PATCH', '/v1/extensions/101', { permission: 'local' });
    assert.equal((changed.body as ExtensionView).permission, 'local');
    assert.equal(onDisk().extensions[0]!.permission, 'local');
    assert.equal(changes.at(-1)?.extensions[0]?.permission, 'local', 'the hook sees the new config');
    await refused('PATCH', '/v1/extensions/101', { permission: 'emergency' }, 400, 'permission', /internal, local, national, international/);
  });

  test('trunks: add with defaults, password only in secrets.json, view with hasPassword', async () => {
    const seen = changes.length;
    const res = await call('POST', '/v1/trunks', { name: 'itsp', type: 'register', domain: 'sip.example.net', username: '0101234567', password: 'itsp pass "1"' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const expected: TrunkView = {
      name: 'itsp',
      enabled: true,
      type: 'register',
      domain: 'sip.example.net',
      proxy: '',
      transport: 'UDP',
      username: '0101234567',
      authUsername: '',
      realm: '',
      registerExpires: 3600,
      peers: [],
      requestUriParams: '',
      callerId: { fromUser: '', fromDisplay: '', pai: '' },
      templates: { from: '', to: '', pai: '' },
      hasPassword: true,
    };
    assert.deepEqual(res.body, expected);
    const { hasPassword: _h, ...stored } = expected;
    assert.deepEqual(onDisk().trunks, [stored]);
    assert.ok(!readFileSync(join(dir, 'config.json'), 'utf8').includes('itsp pass'), 'no password in config.json');
    assert.equal(secrets.getTrunkPassword('itsp'), 'itsp pass "1"');
    assert.deepEqual(secretsOnDisk().trunks, { itsp: 'itsp pass "1"' });
    assert.equal(changes.length, seen + 1, 'one hook call, after the password was stored');
    assert.deepEqual((await call('GET', '/v1/trunks')).body, [expected]);
  });

  test('trunks: config-level refusals are named by the API field', async () => {
    await refused('POST', '/v1/trunks', { name: 'carrier', type: 'ip', domain: '198.51.100.7' }, 400, 'peers', /^is required for ip trunks/);
    await refused('POST', '/v1/trunks', { name: 'reg', type: 'register', domain: 'sip.example.net' }, 400, 'username', /^is required for register trunks$/);
    await refused('POST', '/v1/trunks', { name: 'itsp', type: 'register', domain: 'x.example', username: 'u' }, 409, 'name', /exists/);
    await refused('POST', '/v1/trunks', { name: 'status', type: 'register', domain: 'x.example', username: 'u' }, 400, 'name', /reserved/);
    await refused('PATCH', '/v1/trunks/itsp', { type: 'ip' }, 400, 'peers', /required for ip trunks/);
    await refused('PATCH', '/v1/trunks/nope', { enabled: false }, 404, 'name', /no trunk nope/);
  });

  test('trunks: the language decides the Request-URI parameters of new trunks only, unless given', async () => {
    assert.deepEqual((await call('GET', '/v1/settings/language')).body, { language: 'en' });
    assert.deepEqual((await call('PUT', '/v1/settings/language', { language: 'zh-CN' })).body, { language: 'zh-CN' });
    assert.equal(onDisk().language, 'zh-CN');
    assert.equal(changes.at(-1)?.language, 'zh-CN');
    const cn = await call('POST', '/v1/trunks', { name: 'cn', type: 'ip', domain: '198.51.100.7:5080', peers: ['198.51.100.0/24'] });
    assert.equal((cn.body as TrunkView).requestUriParams, 'user=phone');
    assert.equal((cn.body as TrunkView).hasPassword, false);
    const explicit = await call('POST', '/v1/trunks', { name: 'plain', type: 'ip', domain: '198.51.100.8', peers: ['198.51.100.8'], requestUriParams: '' });
    assert.equal((explicit.body as TrunkView).requestUriParams, '', "an explicit '' wins over the language");
    assert.equal((await call('PUT', '/v1/settings/language', { language: 'en' })).status, 200);
    const trunks = (await call('GET', '/v1/trunks')).body as TrunkView[];
    assert.deepEqual(
      trunks.map((t) => [t.name, t.requestUriParams]),
      [
        ['itsp', ''],
        ['cn', 'user=phone'],
        ['plain', ''],
      ],
      'a language change leaves existing trunks alone',
    );
    await refused('PUT', '/v1/settings/language', { language: 'fr' }, 400, 'language', /en, zh-CN/);
  });

  test('trunks: change merges callerId and templates; password set and removed', async () => {
    const res = await call('PATCH', '/v1/trunks/itsp', {
      transport: 'TLS',
      peers: ['203.0.113.0/24'],
      callerId: { fromUser: '+861012345678' },
      templates: { to: 'sip:{number}@{domain}' },
      password: 'new-pass',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const t = res.body as TrunkView;
    assert.equal(t.transport, 'TLS');
    assert.deepEqual(t.callerId, { fromUser: '+861012345678', fromDisplay: '', pai: '' });
    assert.deepEqual(t.templates, { from: '', to: 'sip:{number}@{domain}', pai: '' });
    assert.equal(secrets.getTrunkPassword('itsp'), 'new-pass');
    const again = await call('PATCH', '/v1/trunks/itsp', { callerId: { pai: '+861012345678' } });
    assert.deepEqual((again.body as TrunkView).callerId, { fromUser: '+861012345678', fromDisplay: '', pai: '+861012345678' });
    // A password change alone also tells the daemon (registrations restart with it).
    const seen = changes.length;
    const cleared = await call('PATCH', '/v1/trunks/itsp', { password: '' });
    assert.equal((cleared.body as TrunkView).hasPassword, false);
    assert.equal(secrets.hasTrunkPassword('itsp'), false);
    assert.equal(changes.length, seen + 1);
    assert.equal((await call('PATCH', '/v1/trunks/itsp', { password: 'itsp-pass-2' })).status, 200);
  });

  test('dial plan: add in order or at a position, move, remove; trunks must exist', async () => {
    const add = (body: object) => call('POST', '/v1/dialplan', body);
    const r1 = await add({ name: 'national', pattern: '90NXXXXXXX.', strip: 1, trunks: ['itsp', 'cn'], class: 'national' });
    assert.equal(r1.status, 201, JSON.stringify(r1.body));
    assert.deepEqual(r1.body, { name: 'national', pattern: '90NXXXXXXX.', strip: 1, prefix: '', trunks: ['itsp', 'cn'], class: 'national' });
    assert.equal((await add({ name: 'intl', pattern: '900.', strip: 1, trunks: ['itsp'], class: 'international' })).status, 201);
    assert.equal((await add({ name: 'emergency', pattern: '11[09]', trunks: ['cn'], class: 'emergency', position: 1 })).status, 201);
    const names = async (): Promise<string[]> => ((await call('GET', '/v1/dialplan')).body as DialRule[]).map((r) => r.name);
    assert.deepEqual(await names(), ['emergency', 'national', 'intl']);
    assert.deepEqual(onDisk().dialPlan.map((r) => r.name), ['emergency', 'national', 'intl']);

    const moved = await call('POST', '/v1/dialplan/intl/move', { position: 2 });
    assert.equal(moved.status, 200);
    assert.deepEqual((moved.body as DialRule[]).map((r) => r.name), ['emergency', 'intl', 'national']);
    assert.equal((await call('POST', '/v1/dialplan/emergency/move', { position: 3 })).status, 200);
    assert.deepEqual(await names(), ['intl', 'national', 'emergency']);

    await refused('POST', '/v1/dialplan', { name: 'x', pattern: '8X.', trunks: ['nope'], class: 'local' }, 400, 'trunks[0]', /no trunk nope/);
    await refused('POST', '/v1/dialplan', { name: 'x', pattern: '8X', strip: 2, trunks: ['itsp'], class: 'local' }, 400, 'strip', /less than 2/);
    await refused('POST', '/v1/dialplan', { name: 'intl', pattern: '8X', trunks: ['itsp'], class: 'local' }, 409, 'name', /exists/);
    await refused('POST', '/v1/dialplan', { name: 'x', pattern: '8X', trunks: ['itsp'], class: 'local', position: 5 }, 400, 'position', /1 to 4/);
    await refused('POST', '/v1/dialplan/intl/move', { position: 4 }, 400, 'position', /1 to 3/);
    await refused('POST', '/v1/dialplan/nope/move', { position: 1 }, 404, 'name');
    await refused('DELETE', '/v1/trunks/cn', undefined, 400, 'name', /used by dial rule\(s\) national, emergency/);

    assert.equal((await call('DELETE', '/v1/dialplan/emergency')).status, 204);
    await refused('DELETE', '/v1/dialplan/emergency', undefined, 404, 'name');
    assert.deepEqual(await names(), ['intl', 'national']);
  });

  test('inbound: DIDs to existing extensions, the default destination, removal guarded', async () => {
    const added = await call('POST', '/v1/inbound', { did: '+861012345678', extension: '101' });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual(added.body, { dids: [{ did: '+861012345678', extension: '101' }], defaultDestination: '' });
    await refused('POST', '/v1/inbound', { did: '5551234', extension: '109' }, 400, 'extension', /no extension 109/);
    await refused('POST', '/v1/inbound', { did: '+861012345678', extension: '102' }, 409, 'did');
    const dflt = await call('PUT', '/v1/inbound/default', { extension: '102' });
    assert.deepEqual((dflt.body as InboundView).defaultDestination, '102');
    await refused('PUT', '/v1/inbound/default', { extension: '109' }, 400, 'extension', /no extension 109/);
    assert.deepEqual(onDisk().inbound, { dids: [{ did: '+861012345678', extension: '101' }], defaultDestination: '102' });

    await refused('DELETE', '/v1/extensions/101', undefined, 400, 'number', /receives calls to \+861012345678/);
    await refused('DELETE', '/v1/extensions/102', undefined, 400, 'number', /default destination/);
    assert.deepEqual((await call('DELETE', `/v1/inbound/${encodeURIComponent('+861012345678')}`)).body, { dids: [], defaultDestination: '102' });
    await refused('DELETE', '/v1/inbound/5551234', undefined, 404, 'did');
    assert.deepEqual((await call('PUT', '/v1/inbound/default', { extension: '' })).body, { dids: [], defaultDestination: '' });
  });

  test('trunk status comes from the optional dependency', async () => {
    assert.deepEqual((await call('GET', '/v1/trunks/status')).body, []);
    status = [{ name: 'itsp', type: 'register', enabled: true, state: 'registered', status: 200, expiresIn: 1800 }];
    assert.deepEqual((await call('GET', '/v1/trunks/status')).body, status);
  });

  test('removing a trunk removes its password; a failing hook is a 500 after the change was saved', async () => {
    assert.equal((await call('DELETE', '/v1/dialplan/national')).status, 204);
    assert.equal((await call('DELETE', '/v1/trunks/cn')).status, 204);
    assert.deepEqual(onDisk().trunks.map((t) => t.name), ['itsp', 'plain']);
    hookFails = true;
    try {
      const res = await call('PATCH', '/v1/trunks/plain', { enabled: false });
      assert.equal(res.status, 500);
      assert.equal(onDisk().trunks[1]!.enabled, false, 'saved all the same');
    } finally {
      hookFails = false;
    }
    assert.equal((await call('DELETE', '/v1/dialplan/intl')).status, 204);
    assert.equal((await call('DELETE', '/v1/trunks/itsp')).status, 204);
    assert.equal(secrets.hasTrunkPassword('itsp'), false);
    assert.equal(secretsOnDisk().trunks, undefined);
    // What was saved loads again as a valid config.
    assert.deepEqual(loadConfig(dir).config, holder.current);
  });
});

test('the DNS check: the optional dependency (a 500 without it), names by default from enabled trunks and the realm', async () => {
  const { defaultDnsCheckNames } = await import('../daemon/admin-backend');
  const { defaultConfig } = await import('../config/schema');
  const config = defaultConfig();
  const trunk = (name: string, domain: string, enabled = true) => ({ ...structuredClone(config.trunks[0]), name, domain, enabled }) as EdgesipConfig['trunks'][number];
  config.trunks = [trunk('a', 'SIP.Example.net:5080'), trunk('b', '192.0.2.1:5060'), trunk('c', 'off.example.net', false), trunk('d', '[2001:db8::1]:5060'), trunk('e', 'sip.example.net')];
  config.sip.realm = 'pbx.example';
  assert.deepEqual(defaultDnsCheckNames(config), ['sip.example.net', 'pbx.example']);
  config.sip.realm = '10.0.0.1';
  assert.deepEqual(defaultDnsCheckNames(config), ['sip.example.net']);

  const dir = mkdtempSync(join(tmpdir(), 'edgesip-backend-dns-'));
  try {
    const holder: ConfigHolder = { current: { ...loadConfig(dir).config, trunks: config.trunks } };
    const clock = new VirtualClock(0);
    const deps = {
      dataDir: dir,
      config: holder,
      secrets: SecretStore.load(dir, 'pbx.example').store,
      locations: new LocationStore({ clock }),
      guard: new Guard({ config: holder.current.guard, acl: holder.current.acl, clock, logger: { info: () => undefined, warn: () => undefined } }),
      clock,
      ping: async () => ({ contact: '', transport: 'UDP' as const, source: '' }),
    };
    await assert.rejects(new DaemonAdminBackend(deps).checkDns(['x.example']), { code: 'EDGESIP_ERR_INTERNAL' });
    const asked: string[][] = [];
    const backend = new DaemonAdminBackend({ ...deps, dnsCheck: async (names) => (asked.push(names), { names: [], findings: [], commands: [] }) });
    await backend.checkDns(['x.example']);
    await backend.checkDns(undefined);
    assert.deepEqual(asked, [['x.example'], ['sip.example.net']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('DaemonAdminBackend: web admin accounts and service settings', () => {
  let dir: string;
  let server: ControlServer;
  let access: AdminAccess;
  let tlsUses = 0;
  let holder: ConfigHolder;
  const call = (method: string, path: string, body?: unknown) => controlRequest(join(dir, 'control.sock'), method, path, body);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgesip-backend-admins-'));
    holder = { current: loadConfig(dir).config };
    const clock = new VirtualClock(Date.parse('2026-11-26T00:00:00Z'));
    const quiet = { info: () => undefined, warn: () => undefined };
    const accounts = AdminAccounts.load(dir);
    await accounts.setPassword('admin', 'first admin password');
    access = new AdminAccess(accounts, new LoginThrottle(clock), new SessionStore(clock, () => 900_000), clock);
    const identity = ensureTlsIdentity(dir, '', '');
    const backend = new DaemonAdminBackend({
      dataDir: dir,
      config: holder,
      secrets: SecretStore.load(dir, 'pbx.example').store,
      locations: new LocationStore({ clock }),
      guard: new Guard({ config: holder.current.guard, acl: holder.current.acl, clock, logger: quiet }),
      clock,
      ping: async () => ({ contact: '', transport: 'UDP', source: '' }),
      admins: access,
      tls: { current: () => identity, use: () => void tlsUses++ },
    });
    server = await startControlServer({ socketPath: join(dir, 'control.sock'), backend, logger: memoryLogger([]) });
    // A hang here once stalled a whole Node 18 run for 15 minutes (not reproduced since):
    // fail within a bound instead.
  }, { timeout: 30_000 });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('accounts: add, refuse a duplicate, a weak password, and removing the last one', async () => {
    const added = await call('POST', '/v1/admins', { user: 'ops', password: 'ops password 2026' });
    assert.equal(added.status, 201);
    assert.equal((added.body as AdminAccountView).lockedUntil, null);
    const dup = await call('POST', '/v1/admins', { user: 'ops', password: 'ops password 2026' });
    assert.equal(dup.status, 409);
    const weak = await call('POST', '/v1/admins', { user: 'weak', password: 'short' });
    assert.equal(weak.status, 400);
    assert.equal((weak.body as { field: string }).field, 'password');
    assert.deepEqual(((await call('GET', '/v1/admins')).body as AdminAccountView[]).map((a) => a.user), ['admin', 'ops']);
    assert.equal((await call('DELETE', '/v1/admins/ops')).status, 204);
    const last = await call('DELETE', '/v1/admins/admin');
    assert.equal(last.status, 409);
    assert.equal((last.body as { code: string }).code, 'EDGESIP_ERR_CONFLICT');
    assert.equal((await call('DELETE', '/v1/admins/ghost')).status, 404);
  });

  test('a new password ends the sessions and lifts a lockout; unlock lifts it alone', async () => {
    const session = access.sessions.create('admin');
    for (let i = 0; i < 10; i++) access.throttle.failed(`192.0.2.${i}`, 'admin');
    const locked = ((await call('GET', '/v1/admins')).body as AdminAccountView[])[0]!;
    assert.notEqual(locked.lockedUntil, null);
    assert.equal((await call('POST', '/v1/admins/admin/unlock')).status, 200);
    for (let i = 0; i < 10; i++) access.throttle.failed(`192.0.2.${i}`, 'admin');
    const res = await call('PUT', '/v1/admins/admin/password', { password: 'second admin password' });
    assert.equal(res.status, 200);
    assert.equal((res.body as AdminAccountView).lockedUntil, null);
    assert.equal(access.sessions.use(session.id), undefined, 'the old session ended');
    assert.equal(await access.accounts.verify('admin', 'second admin password'), true);
    assert.equal(readFileSync(join(dir, 'admins.json'), 'utf8').includes('second admin password'), false);
  });

  test('settings: TLS versions apply at once, ports ask for a restart', async () => {
    const shown = (await call('GET', '/v1/settings')).body as ServiceSettingsView;
    assert.deepEqual(shown, {
      sip: { port: 5060, tlsPort: 5061, tlsMinVersion: 'TLSv1.2', digestAlgorithms: ['SHA-256', 'MD5'] },
      web: { port: 8443, httpRedirectPort: 0, tlsMinVersion: 'TLSv1.2', idleTimeoutMinutes: 15 },
      restartRequired: false,
    });
    const tls = await call('PATCH', '/v1/settings', { web: { tlsMinVersion: 'TLSv1.3', idleTimeoutMinutes: 30 } });
    assert.equal((tls.body as ServiceSettingsView).restartRequired, false);
    assert.equal(tlsUses, 1, 'the TLS contexts were rebuilt');
    const ports = await call('PATCH', '/v1/settings', { sip: { port: 5070 }, web: { port: 9443 } });
    assert.equal(ports.status, 200);
    assert.equal((ports.body as ServiceSettingsView).restartRequired, true);
    const onDisk = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as EdgesipConfig;
    assert.deepEqual(onDisk.web, { port: 9443, httpRedirectPort: 0, tlsMinVersion: 'TLSv1.3', idleTimeoutMinutes: 30 });
    assert.equal(onDisk.sip.port, 5070);
    const clash = await call('PATCH', '/v1/settings', { web: { httpRedirectPort: 5061 } });
    assert.equal(clash.status, 400);
    assert.equal((clash.body as { field: string }).field, 'web.httpRedirectPort');
    const unknown = await call('PATCH', '/v1/settings', { web: { colour: 'red' } });
    assert.equal((unknown.body as { field: string }).field, 'web.colour');
    assert.equal((await call('PATCH', '/v1/settings', { sip: { port: 5060 }, web: { port: 8443 } })).body && true, true);
    assert.equal(((await call('GET', '/v1/settings')).body as ServiceSettingsView).restartRequired, false, 'back to the running ports');
  });

  test('settings: the digest algorithms are saved, in force at once (config.current), no restart', async () => {
    const res = await call('PATCH', '/v1/settings', { sip: { digestAlgorithms: ['MD5', 'SHA-256'] } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const view = res.body as ServiceSettingsView;
    assert.deepEqual(view.sip.digestAlgorithms, ['MD5', 'SHA-256']);
    assert.equal(view.restartRequired, false);
    assert.deepEqual(holder.current.sip.digestAlgorithms, ['MD5', 'SHA-256'], 'what the SIP service reads at each challenge');
    const onDisk = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as EdgesipConfig;
    assert.deepEqual(onDisk.sip.digestAlgorithms, ['MD5', 'SHA-256']);
    assert.equal(onDisk.sip.port, 5060, 'the other SIP fields are kept');
    const dup = await call('PATCH', '/v1/settings', { sip: { digestAlgorithms: ['SHA-256', 'SHA-256'] } });
    assert.equal(dup.status, 400);
    assert.equal((dup.body as { field: string }).field, 'sip.digestAlgorithms');
    assert.deepEqual(holder.current.sip.digestAlgorithms, ['MD5', 'SHA-256'], 'a refusal changes nothing');
    assert.equal((await call('PATCH', '/v1/settings', { sip: { digestAlgorithms: ['SHA-256', 'MD5'] } })).status, 200);
  });

  test('the certificate in use is described with its fingerprint and expiry', async () => {
    const view = (await call('GET', '/v1/tls')).body as TlsCertificateView;
    assert.equal(view.selfSigned, true);
    assert.match(view.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(view.expiryWarning, false);
    const bad = await call('PUT', '/v1/tls', { cert: 'nope', key: 'nope' });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { field: string }).field, 'cert');
  });
});
