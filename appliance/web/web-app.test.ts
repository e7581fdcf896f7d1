import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, request, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FakeBackend, memoryLogger, type LogEntry } from '../control/testing/fake-backend';
import { generateSelfSignedCert } from '../platform/self-signed-cert';
import { VirtualClock } from '../sip/testing/virtual-clock';
import { AdminAccess } from './admin-access';
import { AdminAccounts } from './admin-accounts';
import { LoginThrottle } from './login-throttle';
import { SessionStore } from './sessions';
import { createRedirectApp, createWebApp, SESSION_COOKIE } from './web-app';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): Record<string, unknown>;
}

const PASSWORD = 'correct horse battery';

describe('web admin (HTTPS): pages, login, sessions, CSRF', () => {
  let dir: string;
  let server: Server;
  let port: number;
  let clock: VirtualClock;
  let access: AdminAccess;
  let idleMinutes = 15;
  const logs: LogEntry[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgesip-web-'));
    clock = new VirtualClock(Date.UTC(2026, 10, 26, 12));
    const accounts = AdminAccounts.load(dir);
    await accounts.setPassword('admin', PASSWORD);
    // Account lockout after 3 misses, address lockout after 5: both reachable here.
    const throttle = new LoginThrottle(clock, { addressFailures: 5, accountFailures: 3, windowMs: 60_000, lockMs: 300_000 });
    access = new AdminAccess(accounts, throttle, new SessionStore(clock, () => idleMinutes * 60_000), clock);
    const backend = new FakeBackend();
    const app = createWebApp({ backend, access, assets: { 'app.js': 'console.log("ui")', 'app.css': 'body{}' }, logger: memoryLogger(logs), idleTimeoutMinutes: () => idleMinutes });
    const pair = generateSelfSignedCert({ commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], days: 30 });
    server = createServer({ cert: pair.certPem, key: pair.keyPem, minVersion: 'TLSv1.2' }, app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  function send(method: string, path: string, options: { body?: unknown; raw?: string; headers?: Record<string, string>; address?: string } = {}): Promise<Reply> {
    const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const headers: Record<string, string> = { ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}), ...options.headers };
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers, rejectUnauthorized: false, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  async function login(user = 'admin', password = PASSWORD): Promise<{ cookie: string; csrf: string; reply: Reply }> {
    const reply = await send('POST', '/api/login', { body: { user, password } });
    const setCookie = (reply.headers['set-cookie'] ?? [])[0] ?? '';
    return { cookie: setCookie.split(';')[0] ?? '', csrf: String(reply.status === 200 ? reply.json().csrfToken : ''), reply };
  }

  test('the page and its assets come with strict security headers and no inline script', async () => {
    const page = await send('GET', '/');
    assert.equal(page.status, 200);
    assert.match(page.text, /<script src="\/assets\/app.js"><\/script>/);
    assert.doesNotMatch(page.text, /<script>/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.match(String(page.headers['strict-transport-security']), /max-age=\d+/);
    // Hash routes of the UI reload to the same page.
    assert.equal((await send('GET', '/extensions')).text, page.text);
    const js = await send('GET', '/assets/app.js');
    assert.equal(js.text, 'console.log("ui")');
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    const again = await send('GET', '/assets/app.js', { headers: { 'If-None-Match': String(js.headers.etag) } });
    assert.equal(again.status, 304);
    assert.equal((await send('GET', '/assets/nope.js')).status, 404);
    assert.equal((await send('POST', '/')).status, 405);
  });

  test('the API needs a session; a wrong password is refused', async () => {
    const anonymous = await send('GET', '/api/v1/extensions');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json().code, 'EDGESIP_ERR_SESSION');
    assert.equal((await send('GET', '/api/session')).status, 401);
    const wrong = await login('admin', 'not the password');
    assert.equal(wrong.reply.status, 401);
    assert.equal(wrong.reply.json().code, 'EDGESIP_ERR_LOGIN');
    assert.equal(wrong.reply.headers['set-cookie'], undefined);
    const unknown = await login('nobody', PASSWORD);
    assert.equal(unknown.reply.status, 401, 'an unknown user gets the same answer');
    assert.equal(unknown.reply.json().message, wrong.reply.json().message);
    assert.ok(!JSON.stringify(logs).includes('not the password'), 'passwords are never logged');
    access.throttle.unlockAccount('admin');
    access.throttle.succeeded('127.0.0.1');
  });

  test('login sets an HttpOnly, Secure, SameSite=Strict cookie; the session reads the API', async () => {
    const { cookie, csrf, reply } = await login();
    assert.equal(reply.status, 200);
    const setCookie = String((reply.headers['set-cookie'] ?? [])[0]);
    assert.match(setCookie, new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; Secure; SameSite=Strict$`));
    assert.equal(reply.json().user, 'admin');
    assert.equal(reply.json().idleTimeoutSeconds, 15 * 60);
    assert.equal(reply.json().language, 'en');
    assert.ok(csrf.length >= 40);
    const session = await send('GET', '/api/session', { headers: { Cookie: cookie } });
    assert.equal(session.status, 200);
    assert.equal(session.json().csrfToken, csrf);
    const list = await send('GET', '/api/v1/extensions', { headers: { Cookie: cookie } });
    assert.equal(list.status, 200);
    assert.ok(Array.isArray(JSON.parse(list.text)));
    assert.equal((await send('GET', '/api/v2/nothing', { headers: { Cookie: cookie } })).status, 404);
  });

  test('a change without the CSRF token, from another origin, or not as JSON is refused', async () => {
    const { cookie, csrf } = await login();
    const ext = { number: '3101', password: 'a-good-secret-3101' };
    const noToken = await send('POST', '/api/v1/extensions', { body: ext, headers: { Cookie: cookie } });
    assert.equal(noToken.status, 403);
    assert.equal(noToken.json().code, 'EDGESIP_ERR_CSRF');
    const wrongToken = await send('POST', '/api/v1/extensions', { body: ext, headers: { Cookie: cookie, 'X-CSRF-Token': `${csrf.slice(0, -2)}xx` } });
    assert.equal(wrongToken.status, 403);
    const crossSite = await send('POST', '/api/v1/extensions', { body: ext, headers: { Cookie: cookie, 'X-CSRF-Token': csrf, Origin: 'https://evil.example' } });
    assert.equal(crossSite.status, 403);
    const form = await send('POST', '/api/v1/extensions', { raw: 'number=3101', headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 415);
    const ok = await send('POST', '/api/v1/extensions', { body: ext, headers: { Cookie: cookie, 'X-CSRF-Token': csrf, Origin: `https://127.0.0.1:${port}` } });
    assert.equal(ok.status, 201, ok.text);
    assert.ok(logs.some((l) => l.msg === 'control API request' && (l.obj as { actor?: string }).actor === 'web:admin'), 'changes are audited with the web user');
    // Field-level errors come through unchanged.
    const bad = await send('PATCH', '/api/v1/extensions/3101', { body: { maxContacts: 99 }, headers: { Cookie: cookie, 'X-CSRF-Token': csrf } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json().field, 'maxContacts');
  });

  test('an idle session ends; logout ends it at once', async () => {
    const a = await login();
    clock.advance(14 * 60_000);
    assert.equal((await send('GET', '/api/v1/extensions', { headers: { Cookie: a.cookie } })).status, 200, 'used within the idle time');
    clock.advance(14 * 60_000);
    assert.equal((await send('GET', '/api/v1/extensions', { headers: { Cookie: a.cookie } })).status, 200, 'each use restarts the idle time');
    clock.advance(15 * 60_000);
    assert.equal((await send('GET', '/api/v1/extensions', { headers: { Cookie: a.cookie } })).status, 401, 'idle for the timeout');
    const b = await login();
    const out = await send('POST', '/api/logout', { headers: { Cookie: b.cookie, 'X-CSRF-Token': b.csrf } });
    assert.equal(out.status, 204);
    assert.match(String((out.headers['set-cookie'] ?? [])[0]), /Max-Age=0/);
    assert.equal((await send('GET', '/api/session', { headers: { Cookie: b.cookie } })).status, 401);
  });

  test('failed logins lock the account (own lockout, lifted by unlock) and then the address', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await login('admin', `wrong-${i}`)).reply.status, 401);
    const locked = await login();
    assert.equal(locked.reply.status, 429, 'the right password is refused while locked');
    assert.equal(locked.reply.json().code, 'EDGESIP_ERR_LOCKED');
    assert.equal(locked.reply.headers['retry-after'], '300');
    assert.ok(access.list()[0]!.lockedUntil !== null, 'the account shows its lockout');
    access.unlock('admin');
    assert.equal((await login()).reply.status, 200, 'unlocked by the admin CLI');
    // Five misses from one address (across accounts) lock the address for everyone.
    for (const user of ['u1', 'u2', 'u3', 'u4', 'u5']) await login(user, 'x');
    const address = await login();
    assert.equal(address.reply.status, 429);
    clock.advance(300_000);
    assert.equal((await login()).reply.status, 200, 'the lock expires');
  });

  test('changing the own password needs the current one and ends the other sessions', async () => {
    const a = await login();
    const b = await login();
    const path = '/api/account/password';
    const headers = { Cookie: a.cookie, 'X-CSRF-Token': a.csrf };
    const wrong = await send('POST', path, { body: { current: 'nope', password: 'another long passphrase' }, headers });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.json().field, 'current');
    const weak = await send('POST', path, { body: { current: PASSWORD, password: 'short' }, headers });
    assert.equal(weak.status, 400);
    assert.equal(weak.json().field, 'password');
    const noCsrf = await send('POST', path, { body: { current: PASSWORD, password: 'another long passphrase' }, headers: { Cookie: a.cookie } });
    assert.equal(noCsrf.status, 403);
    const ok = await send('POST', path, { body: { current: PASSWORD, password: 'another long passphrase' }, headers });
    assert.equal(ok.status, 204);
    assert.equal((await send('GET', '/api/session', { headers: { Cookie: a.cookie } })).status, 200, 'the changing session stays');
    assert.equal((await send('GET', '/api/session', { headers: { Cookie: b.cookie } })).status, 401, 'other sessions end');
    assert.equal((await login('admin', PASSWORD)).reply.status, 401);
    assert.equal((await login('admin', 'another long passphrase')).reply.status, 200);
  });
});

describe('web admin: the plain-HTTP port only redirects', () => {
  let server: HttpServer;
  before(async () => {
    server = createHttpServer(createRedirectApp(() => 8443));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(() => new Promise((r) => server.close(r)));

  test('any request gets a 301 to the HTTPS port of the same host', async () => {
    const port = (server.address() as { port: number }).port;
    const get = (host: string) =>
      new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/api/v1/extensions?x=1', headers: { Host: host } }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, location: res.headers.location });
        });
        req.on('error', reject);
        req.end();
      });
    assert.deepEqual(await get('pbx.example:8080'), { status: 301, location: 'https://pbx.example:8443/' });
    assert.deepEqual(await get('[fd00::1]:80'), { status: 301, location: 'https://[fd00::1]:8443/' });
    assert.deepEqual(await get('evil"host'), { status: 301, location: 'https://localhost:8443/' });
  });
});
