/**
 * The HTTPS web admin end to end: the real daemon (dist/edgesipd.js) serving its
 * embedded UI, driven in Debian's chromium. Login (wrong and right), the status page,
 * extensions with forwarding, trunks and the dial plan, the white list, a real guard
 * block lifted from the UI, a registration pinged from the UI, CSRF protection, the
 * language switch stored in the daemon, an expired session, and every page opened in
 * both languages with a screenshot in test-artifacts/screenshots/.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { defaultConfig } from '../../appliance/config/schema';
import type { AclView, BlockView, CallRecord, DialRule, ExtensionView, LanguageView, ServiceSettingsView, StatusView } from '../../appliance/control/backend';
import { digestResponse, parseChallenge } from '../../appliance/sip/auth/digest';
import { launchBrowser, openAdminPage, screenshot, screenshotDir, type AdminPage } from '../helpers/browser';
import { startDaemon, type RunningDaemon } from '../helpers/daemon';
import { startDnsServer, type RunningDnsServer } from '../helpers/dns-server';
import { okTo, register } from '../helpers/registering';
import { branch, headerOf, statusOf, udpPeer, type Peer } from '../helpers/sip-peer';

const ADMIN_PASSWORD = 'Browser-Test-Admin-9';
const EXT = '201';
const EXT_PASSWORD = 'Ext-201-secret-pass';
const DNS_NAME = 'pbx.test';

const PAGES = ['status', 'extensions', 'registrations', 'trunks', 'dialplan', 'services', 'calls', 'diagnostics', 'settings'] as const;
type PageId = (typeof PAGES)[number];

/** The page headings, written out here (not taken from the UI's table) so a wrong translation fails. */
const HEADINGS: Record<'en' | 'zh-CN', Record<PageId, string>> = {
  en: {
    status: 'Status',
    extensions: 'Extensions',
    registrations: 'Registrations',
    trunks: 'Trunks',
    dialplan: 'Dial plan',
    services: 'Services',
    calls: 'Calls and CDR',
    diagnostics: 'Diagnostics',
    settings: 'Settings',
  },
  'zh-CN': {
    status: '状态',
    extensions: '分机',
    registrations: '注册',
    trunks: '中继',
    dialplan: '拨号规则',
    services: '服务',
    calls: '通话与话单',
    diagnostics: '诊断',
    settings: '设置',
  },
};

/** A request on the daemon's control socket (what the CLI uses), e.g. to set the admin password. */
function control(dataDir: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = data === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) };
    const req = httpRequest({ socketPath: join(dataDir, 'control.sock'), method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * A call from `from` to `to`, which is not registered: INVITE, 407, INVITE with digest,
 * 480, each answer ACKed. Returns the final status; the daemon writes one call record.
 */
async function callUnregistered(peer: Peer, from: string, password: string, to: string): Promise<number | undefined> {
  const callId = `${randomBytes(6).toString('hex')}@web-test`;
  const fromTag = randomBytes(4).toString('hex');
  const uri = `sip:${to}@127.0.0.1`;
  const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
  const common = (method: string, cseq: number, via: string, to: string) =>
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.localPort};branch=${via};rport\r\nMax-Forwards: 70\r\n` +
    `From: <sip:${from}@127.0.0.1>;tag=${fromTag}\r\nTo: ${to}\r\nCall-ID: ${callId}\r\nCSeq: ${cseq} ${method}\r\n`;
  const invite = (cseq: number, via: string, auth?: string) =>
    `INVITE ${uri} SIP/2.0\r\n${common('INVITE', cseq, via, `<${uri}>`)}Contact: <sip:${from}@127.0.0.1:${peer.localPort}>\r\n` +
    (auth === undefined ? '' : `Proxy-Authorization: ${auth}\r\n`) +
    `Content-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`;
  const ack = (cseq: number, via: string, final: Buffer) => `ACK ${uri} SIP/2.0\r\n${common('ACK', cseq, via, headerOf(final, 'To') ?? '')}Content-Length: 0\r\n\r\n`;
  const finalAnswer = async (): Promise<Buffer | undefined> => {
    for (;;) {
      const m = await peer.next(10_000);
      if (m === undefined) return undefined;
      if (headerOf(m, 'Call-ID') === callId && (statusOf(m) ?? 0) >= 200) return m;
    }
  };
  const first = branch();
  peer.send(invite(1, first));
  const challenge = await finalAnswer();
  assert.equal(statusOf(challenge), 407);
  peer.send(ack(1, first, challenge!));
  const c = parseChallenge(headerOf(challenge!, 'Proxy-Authenticate') ?? '');
  const algorithm = c.algorithm ?? 'MD5';
  const cnonce = randomBytes(8).toString('hex');
  const response = digestResponse({ algorithm, username: from, realm: c.realm, password, method: 'INVITE', uri, nonce: c.nonce, qop: 'auth', nc: '00000001', cnonce });
  const auth = `Digest username="${from}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, qop=auth, nc=00000001, cnonce="${cnonce}"`;
  const second = branch();
  peer.send(invite(2, second, auth));
  const final = await finalAnswer();
  if (final !== undefined) peer.send(ack(2, second, final));
  return statusOf(final);
}

describe('web admin in chromium', () => {
  let d: RunningDaemon;
  let dataDir: string;
  let browser: Browser;
  let admin: AdminPage;
  let page: Page;
  let base: string;
  const dnsServers: RunningDnsServer[] = [];

  /** GET through the browser's context: the session cookie goes along, as for the UI's own calls. */
  async function apiGet<T>(path: string): Promise<T> {
    const r = await page.request.get(`${base}${path}`);
    assert.equal(r.status(), 200, `GET ${path}: ${r.status()} ${await r.text()}`);
    return (await r.json()) as T;
  }

  /** Opens a page from the menu and waits until its first data has arrived. */
  async function openPage(id: PageId): Promise<void> {
    await page.getByTestId(`nav-${id}`).click();
    await page.getByTestId(`page-${id}`).waitFor();
    await page.getByTestId('loading').first().waitFor({ state: 'detached' });
  }

  async function login(password: string): Promise<void> {
    await page.locator('#login-user').fill('admin');
    await page.locator('#login-password').fill(password);
    await page.getByTestId('login-submit').click();
  }

  /** Waits for the success notice saying `pattern` (an earlier notice may still be showing). */
  async function expectNotice(pattern: RegExp): Promise<void> {
    await page.getByTestId('notice-success').filter({ hasText: pattern }).waitFor();
  }

  before(async () => {
    // A "system" resolver and a public one that disagree about pbx.test, for the DNS page.
    const system = await startDnsServer({ records: [{ name: DNS_NAME, type: 'A', address: '10.10.10.10' }] });
    const other = await startDnsServer({ records: [{ name: DNS_NAME, type: 'A', address: '192.0.2.10' }] });
    dnsServers.push(system, other);
    dataDir = mkdtempSync(join(tmpdir(), 'edgesipd-web-'));
    const config = defaultConfig();
    config.diagnostics.publicResolvers = [other.server];
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify(config), { mode: 0o600 });
    d = await startDaemon({ dataDir, args: ['--dns-server', system.server] });
    assert.ok(d.webPort > 0, 'the daemon reports no HTTPS admin port');
    base = `https://127.0.0.1:${d.webPort}`;
    const set = await control(dataDir, 'PUT', '/v1/admins/admin/password', { password: ADMIN_PASSWORD });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    browser = await launchBrowser();
    admin = await openAdminPage(browser);
    page = admin.page;
    page.setDefaultTimeout(15_000);
  });

  after(async () => {
    await browser?.close();
    await d?.stop();
    await Promise.all(dnsServers.map((s) => s.close()));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    // Where to look at the pages (the artifacts are not committed).
    console.log(`web admin screenshots: ${screenshotDir()}`);
  });

  test('the login page is shown, in the browser language', async () => {
    const res = await page.goto(`${base}/`);
    assert.equal(res?.status(), 200);
    assert.match(res?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
    await page.getByTestId('login-form').waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.locator('label[for=login-user]').textContent(), 'User name');
    await screenshot(page, 'login-en');
  });

  test('a wrong password is refused: the error is shown and the login form stays', async () => {
    await login('not-the-admin-password');
    const error = page.getByTestId('login-error');
    await error.waitFor();
    assert.equal(await error.textContent(), 'Wrong user name or password.');
    assert.ok(await page.getByTestId('login-form').isVisible());
    assert.equal(await page.getByTestId('nav-status').count(), 0);
  });

  test('the right password opens the Status page with the system figures', async () => {
    await login(ADMIN_PASSWORD);
    await page.getByTestId('page-status').waitFor();
    await page.getByTestId('status-cpu').waitFor();
    assert.equal(await page.getByTestId('current-user').textContent(), 'admin');
    const status = await apiGet<StatusView>('/api/v1/status');
    const text = async (id: string) => (await page.getByTestId(id).locator('dd').textContent()) ?? '';
    assert.match(await text('status-cpu'), /%|not reported/);
    assert.match(await text('status-memory'), /\d.* of \d/);
    assert.match(await text('status-uptime'), /\d/);
    assert.match(await text('status-registrations'), new RegExp(`^${status.sip.registeredExtensions} of ${status.sip.extensions} `));
    assert.equal(await text('status-calls'), String(status.sip.activeCalls));
    assert.match(await text('status-daemon'), new RegExp(`version ${status.version.replace(/\./g, '\\.')}`));
    // The self-signed certificate is new: no expiry warning.
    assert.equal(await page.getByTestId('tls-warning').count(), status.tls.daysLeft < 30 ? 1 : 0);
    for (const iface of status.system.network) assert.ok(await page.getByTestId(`row-${iface.name}`).isVisible(), iface.name);
    await screenshot(page, 'status-en');
  });

  test('adding an extension: a weak password is shown at its field, then it is added and listed', async () => {
    await openPage('extensions');
    await page.locator('#ext-add-number').fill(EXT);
    await page.locator('#ext-add-name').fill('Front desk');
    await page.locator('#ext-add-password').fill('short');
    await page.getByTestId('ext-add-submit').click();
    const fieldError = page.getByTestId('error-password');
    await fieldError.waitFor();
    assert.match((await fieldError.textContent()) ?? '', /at least 8 characters/);
    assert.equal(await page.locator('#ext-add-number').inputValue(), EXT, 'the input is kept');
    await page.locator('#ext-add-password').fill(EXT_PASSWORD);
    await page.getByTestId('ext-add-submit').click();
    await expectNotice(new RegExp(`Extension ${EXT} added`));
    const row = page.getByTestId(`row-${EXT}`);
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /Front desk/);
    const list = await apiGet<ExtensionView[]>('/api/v1/extensions');
    assert.ok(list.some((e) => e.number === EXT && e.displayName === 'Front desk' && e.hasSecret));
  });

  test('editing it sets forwarding; a forward to itself is refused at its field', async () => {
    await page.getByTestId(`edit-${EXT}`).click();
    await page.getByTestId('ext-edit-form').waitFor();
    await page.locator('#ext-edit-forward-always').fill(EXT);
    await page.getByTestId('ext-edit-submit').click();
    await page.getByTestId('error-forward.always').waitFor();
    assert.equal(await page.locator('#ext-edit-forward-always').inputValue(), EXT);
    await page.locator('#ext-edit-forward-always').fill('202');
    await page.locator('#ext-edit-forward-busy').fill('203');
    await page.locator('#ext-edit-forward-no-answer-seconds').fill('15');
    await page.getByTestId('ext-edit-submit').click();
    await expectNotice(new RegExp(`Extension ${EXT} saved`));
    await page.getByTestId(`forward-${EXT}`).filter({ hasText: '202' }).waitFor();
    assert.match((await page.getByTestId(`forward-${EXT}`).textContent()) ?? '', /always → 202 · busy → 203/);
    const ext = (await apiGet<ExtensionView[]>('/api/v1/extensions')).find((e) => e.number === EXT);
    assert.deepEqual(ext?.forward, { always: '202', busy: '203', noAnswer: '', unavailable: '', noAnswerSeconds: 15 });
    // Reopened, the form shows the stored values.
    await page.getByTestId('ext-edit-close').click();
    await page.getByTestId(`edit-${EXT}`).click();
    assert.equal(await page.locator('#ext-edit-forward-always').inputValue(), '202');
    assert.equal(await page.locator('#ext-edit-forward-no-answer-seconds').inputValue(), '15');
  });

  test('a POST without the CSRF header is refused with 403, with it accepted', async () => {
    const body = { number: '299', password: 'Ext-299-secret-pass' };
    const refused = await page.request.post(`${base}/api/v1/extensions`, { data: body });
    assert.equal(refused.status(), 403);
    assert.equal(((await refused.json()) as { code: string }).code, 'EDGESIP_ERR_CSRF');
    assert.ok(!(await apiGet<ExtensionView[]>('/api/v1/extensions')).some((e) => e.number === '299'));
    const { csrfToken } = await apiGet<{ csrfToken: string }>('/api/session');
    const accepted = await page.request.post(`${base}/api/v1/extensions`, { data: body, headers: { 'X-CSRF-Token': csrfToken } });
    assert.equal(accepted.status(), 201, await accepted.text());
    const removed = await page.request.delete(`${base}/api/v1/extensions/299`, { headers: { 'X-CSRF-Token': csrfToken } });
    assert.equal(removed.status(), 204);
  });

  test('trunks and the dial plan: add a trunk, two rules, move one up', async () => {
    await openPage('trunks');
    await page.locator('#trunk-add-name').fill('itsp');
    await page.locator('#trunk-add-domain').fill('127.0.0.1:9');
    await page.locator('#trunk-add-username').fill('0101234567');
    await page.locator('#trunk-add-password').fill('provider-secret');
    await page.getByTestId('trunk-add-submit').click();
    await expectNotice(/Trunk itsp added/);
    await page.getByTestId('row-itsp').waitFor();

    await openPage('dialplan');
    for (const [name, pattern] of [
      ['national', '0Z.'],
      ['international', '00X.'],
    ] as const) {
      await page.locator('#rule-name').fill(name);
      await page.locator('#rule-pattern').fill(pattern);
      await page.locator('#rule-trunks').fill('itsp');
      await page.locator('#rule-class').selectOption(name);
      await page.getByTestId('rule-add-submit').click();
      await expectNotice(new RegExp(`Rule ${name} added`));
      await page.getByTestId(`row-${name}`).waitFor();
    }
    await page.getByTestId('up-international').click();
    await expectNotice(/Rule international is now number 1/);
    const plan = await apiGet<DialRule[]>('/api/v1/dialplan');
    assert.deepEqual(
      plan.map((r) => r.name),
      ['international', 'national'],
    );
    assert.equal(await page.getByTestId('rule-table').locator('tbody tr').first().getAttribute('data-testid'), 'row-international');
  });

  test('a white-list entry is added and listed', async () => {
    await openPage('services');
    await page.locator('#acl-list').selectOption('white');
    await page.locator('#acl-cidr').fill('10.20.0.0/16');
    await page.getByTestId('acl-add-submit').click();
    await expectNotice(/10\.20\.0\.0\/16 added to the White list/);
    await page.getByTestId('row-white-10.20.0.0/16').waitFor();
    const acl = await apiGet<AclView>('/api/v1/acl');
    assert.deepEqual(acl.white, ['10.20.0.0/16']);
  });

  test('a real block (wrong SIP passwords) is listed and lifted with Unblock', async () => {
    const key = `127.0.0.1|${EXT}`;
    const peer = await udpPeer(d.udpPort);
    try {
      // The guard blocks the (address, account) pair after 5 failures within 60 s.
      for (let i = 0; i < 6; i++) assert.equal((await register(peer, EXT, 'wrong-password-123')).status, 403);
      const blocks = await apiGet<BlockView[]>('/api/v1/blocks');
      assert.ok(blocks.some((b) => b.key === key), JSON.stringify(blocks));
      await page.getByTestId('blocks').getByTestId('refresh').click();
      const row = page.getByTestId(`row-${key}`);
      await row.waitFor();
      assert.match((await row.textContent()) ?? '', /wrong password/);
      await screenshot(page, 'services-with-block-en');
      await page.getByTestId(`unblock-${key}`).click();
      await expectNotice(/Block 127\.0\.0\.1\|201 lifted/);
      await row.waitFor({ state: 'detached' });
      assert.ok(!(await apiGet<BlockView[]>('/api/v1/blocks')).some((b) => b.key === key));
      // Lifted for real: the right password registers again.
      assert.equal((await register(peer, EXT, EXT_PASSWORD)).status, 200);
    } finally {
      peer.close();
    }
  });

  test('a registration is listed and answers a ping sent from the UI', async () => {
    const peer = await udpPeer(d.udpPort);
    try {
      assert.equal((await register(peer, EXT, EXT_PASSWORD)).status, 200);
      await openPage('registrations');
      const row = page.getByTestId(`row-${EXT}-0`);
      await row.waitFor();
      assert.match((await row.textContent()) ?? '', new RegExp(`127\\.0\\.0\\.1:${peer.localPort}`));
      const options = peer.next(10_000);
      await page.getByTestId(`ping-${EXT}`).first().click();
      const request = await options;
      assert.match(request?.toString('latin1') ?? '', /^OPTIONS sip:201@127\.0\.0\.1/);
      peer.send(okTo(request!));
      await page.getByTestId(`ping-result-${EXT}`).first().waitFor();
      assert.match((await page.getByTestId(`ping-result-${EXT}`).first().textContent()) ?? '', /answered 200/);
    } finally {
      peer.close();
    }
  });

  test('a finished call is in the call records and downloads as CSV', async () => {
    const added = await control(dataDir, 'POST', '/v1/extensions', { number: '202', password: 'Ext-202-secret-pass' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const peer = await udpPeer(d.udpPort);
    try {
      assert.equal(await callUnregistered(peer, EXT, EXT_PASSWORD, '202'), 480);
    } finally {
      peer.close();
    }
    let records: CallRecord[] = [];
    for (let i = 0; i < 50 && records.length === 0; i++) {
      records = (await apiGet<CallRecord[]>('/api/v1/cdr')).filter((r) => r.caller === EXT && r.callee === '202');
      if (records.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(records.length, 1, 'no call record');
    const record = records[0]!;
    await openPage('calls');
    const row = page.getByTestId(`row-${record.id}`);
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /failed/);
    // The since/until filter: a period before the call finds nothing.
    await page.locator('#cdr-until').fill('2020-01-01T00:00');
    await page.getByTestId('cdr-search').click();
    await row.waitFor({ state: 'detached' });
    await page.locator('#cdr-until').fill('');
    await page.locator('#cdr-since').fill('2020-01-01T00:00');
    await page.getByTestId('cdr-search').click();
    await row.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('cdr-export').click()]);
    assert.match(download.suggestedFilename(), /^edgesip-cdr-.*\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.split('\r\n');
    assert.match(lines[0]!, /^id,call_id,caller,caller_name,callee,/);
    assert.ok(lines.some((l) => l.startsWith(`${record.id},`) && l.includes(',failed,480,')), csv);
    await expectNotice(/1 records saved as CSV/);
  });

  test('the DNS check shows both resolvers side by side, the disagreement and the dig lines', async () => {
    await openPage('diagnostics');
    await page.locator('#dns-names').fill(DNS_NAME);
    await page.getByTestId('dns-run').click();
    await page.getByTestId('dns-results').waitFor({ timeout: 30_000 });
    const a = page.getByTestId(`row-${DNS_NAME}-A`);
    const cells = await a.locator('td').allTextContents();
    assert.ok(cells.includes('10.10.10.10') && cells.includes('192.0.2.10'), cells.join(' | '));
    assert.match((await page.getByTestId('dns-findings').textContent()) ?? '', /answer differently for pbx\.test A/);
    assert.match((await page.getByTestId('dns-commands').textContent()) ?? '', /dig @127\.0\.0\.1 -p \d+ pbx\.test A/);
  });

  test('own password: a wrong current password is shown at its field', async () => {
    await openPage('settings');
    await page.locator('#pw-current').fill('not-the-current-one');
    await page.locator('#pw-new').fill('Another-Admin-Pass-1');
    await page.locator('#pw-repeat').fill('Another-Admin-Pass-1');
    await page.getByTestId('password-submit').click();
    await page.getByTestId('error-current').waitFor();
    assert.equal(await page.getByTestId('error-current').textContent(), 'The current password is wrong.');
    assert.equal(await page.locator('#pw-new').inputValue(), 'Another-Admin-Pass-1');
  });

  test('settings: the digest algorithm order is saved through the API and offered at the next challenge', async () => {
    await openPage('settings');
    const select = page.locator('#set-digest');
    assert.equal(await select.inputValue(), 'SHA-256,MD5');
    assert.deepEqual(await select.locator('option').allTextContents(), ['SHA-256, then MD5', 'MD5, then SHA-256', 'SHA-256 only', 'MD5 only']);
    await select.selectOption('MD5,SHA-256');
    await page.getByTestId('settings-submit').click();
    await expectNotice(/Settings saved/);
    assert.equal(await page.getByTestId('restart-required').count(), 0, 'no restart for the digest algorithms');
    const peer = await udpPeer(d.udpPort);
    try {
      assert.deepEqual(((await control(dataDir, 'GET', '/v1/settings')).body as ServiceSettingsView).sip.digestAlgorithms, ['MD5', 'SHA-256']);
      const callId = `${randomBytes(6).toString('hex')}@web-test`;
      peer.send(
        `REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${peer.localPort};branch=${branch()};rport\r\nMax-Forwards: 70\r\n` +
          `From: <sip:${EXT}@127.0.0.1>;tag=d1\r\nTo: <sip:${EXT}@127.0.0.1>\r\nCall-ID: ${callId}\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n`,
      );
      const challenge = await peer.next(5000);
      assert.equal(statusOf(challenge), 401);
      assert.equal(parseChallenge(headerOf(challenge!, 'WWW-Authenticate') ?? '').algorithm, 'MD5', 'MD5 is offered first now');
      // The page shows the saved choice after a reload.
      await page.reload();
      await page.getByTestId('settings-form').waitFor();
      assert.equal(await page.locator('#set-digest').inputValue(), 'MD5,SHA-256');
    } finally {
      peer.close();
      assert.equal((await control(dataDir, 'PATCH', '/v1/settings', { sip: { digestAlgorithms: ['SHA-256', 'MD5'] } })).status, 200);
    }
  });

  test('every page opens in English, without errors', async () => {
    for (const id of PAGES) {
      await openPage(id);
      assert.equal(await page.locator('main h1').textContent(), HEADINGS.en[id]);
      assert.equal(await page.getByTestId('load-error').count(), 0, `${id}: ${await page.getByTestId('load-error').allTextContents()}`);
      await screenshot(page, `${id}-en`);
    }
  });

  test('switching to Chinese: Chinese labels, <html lang>, and the language stored in the daemon', async () => {
    await page.getByTestId('lang-zh-CN').click();
    await page.getByTestId('nav-extensions').filter({ hasText: '分机' }).waitFor();
    assert.equal(await page.getByTestId('nav-status').textContent(), '状态');
    assert.equal(await page.getByTestId('logout').textContent(), '退出登录');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.deepEqual(await apiGet<LanguageView>('/api/v1/settings/language'), { language: 'zh-CN' });
    // The daemon's own setting: the CLI sees it on the control socket.
    assert.deepEqual((await control(dataDir, 'GET', '/v1/settings/language')).body, { language: 'zh-CN' });
    // A reload keeps it: it comes from the session now.
    await page.reload();
    await page.getByTestId('nav-status').filter({ hasText: '状态' }).waitFor();
  });

  test('every page opens in Chinese, without errors', async () => {
    for (const id of PAGES) {
      await openPage(id);
      assert.equal(await page.locator('main h1').textContent(), HEADINGS['zh-CN'][id]);
      assert.equal(await page.getByTestId('load-error').count(), 0, id);
      await screenshot(page, `${id}-zh-CN`);
    }
  });

  test('switching back to English', async () => {
    await page.getByTestId('lang-en').click();
    await page.getByTestId('nav-extensions').filter({ hasText: 'Extensions' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.deepEqual(await apiGet<LanguageView>('/api/v1/settings/language'), { language: 'en' });
  });

  test('an ended session brings the login page back with "session expired"', async () => {
    const { csrfToken } = await apiGet<{ csrfToken: string }>('/api/session');
    // End the session behind the page's back (as the idle timeout does).
    const out = await page.request.post(`${base}/api/logout`, { headers: { 'X-CSRF-Token': csrfToken } });
    assert.equal(out.status(), 204);
    await page.getByTestId('nav-extensions').click();
    await page.getByTestId('session-expired').waitFor();
    assert.match((await page.getByTestId('session-expired').textContent()) ?? '', /session has expired/);
    await login(ADMIN_PASSWORD);
    await page.getByTestId('nav-status').waitFor();
  });

  test('Log out ends the session', async () => {
    await page.getByTestId('logout').click();
    await page.getByTestId('logged-out').waitFor();
    const r = await page.request.get(`${base}/api/session`);
    assert.equal(r.status(), 401);
  });

  test('no page error and no Content-Security-Policy refusal happened', () => {
    assert.deepEqual(admin.problems, []);
  });
});
