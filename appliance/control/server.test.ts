import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ActiveCallView, AdminAccountView, BlockView, CallRecord, DialRule, ExtensionView, InboundView, ServiceSettingsView, TrunkView } from './backend';
import { controlRequest, ControlClientError } from './client';
import { startControlServer, ControlSocketError, type ControlServer } from './server';
import { FakeBackend, memoryLogger, type LogEntry } from './testing/fake-backend';
import { queryOf } from './routes';
import { parseIsoInstant } from './validate';

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A request with an arbitrary raw body (the client only sends JSON). */
function rawRequest(socketPath: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function errorOf(body: unknown): { code: string; message: string; field?: string } {
  assert.equal(typeof body, 'object');
  return body as { code: string; message: string; field?: string };
}

describe('control server', () => {
  let dir: string;
  let socketPath: string;
  let backend: FakeBackend;
  let server: ControlServer;
  const logs: LogEntry[] = [];
  const call = (method: string, path: string, body?: unknown) => controlRequest(socketPath, method, path, body);

  async function refused(method: string, path: string, body: unknown, status: number, field: string | undefined, message?: RegExp): Promise<void> {
    const res = await call(method, path, body);
    assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
    const err = errorOf(res.body);
    assert.equal(err.field, field, `field of ${JSON.stringify(res.body)}`);
    if (message) assert.match(err.message, message);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgesip-ctl-'));
    socketPath = join(dir, 'control.sock');
    backend = new FakeBackend();
    server = await startControlServer({ socketPath, backend, logger: memoryLogger(logs) });
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the socket is created with mode 0660: owner and group, nothing for others', () => {
    const st = statSync(socketPath);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.mode & 0o007, 0, 'others have no access');
  });

  test('POST /v1/diag/dns: 0-20 DNS names, the report', async () => {
    const res = await call('POST', '/v1/diag/dns', { names: ['sip.example.net', 'pbx.'] });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, backend.dnsReport);
    assert.deepEqual(backend.dnsCheckNames.at(-1), ['sip.example.net', 'pbx.']);
    for (const body of [{}, { names: [] }]) {
      assert.equal((await call('POST', '/v1/diag/dns', body)).status, 200);
      assert.equal(backend.dnsCheckNames.at(-1), undefined, 'no names: the defaults');
    }
    await refused('POST', '/v1/diag/dns', { names: 'sip.example.net' }, 400, 'names', /list of DNS names/);
    await refused('POST', '/v1/diag/dns', { names: Array.from({ length: 21 }, (_, i) => `n${i}.example`) }, 400, 'names', /at most 20/);
    await refused('POST', '/v1/diag/dns', { names: ['ok.example', '192.0.2.1'] }, 400, 'names[1]', /DNS name/);
    await refused('POST', '/v1/diag/dns', { names: ['ok.example', 7] }, 400, 'names[1]', /string/);
    await refused('POST', '/v1/diag/dns', { names: ['-bad.example'] }, 400, 'names[0]');
    await refused('POST', '/v1/diag/dns', { name: 'x.example' }, 400, 'name', /unknown field/);
    await refused('GET', '/v1/diag/dns', undefined, 405, undefined);
  });

  test('extensions: add, list, change, remove', async () => {
    const added = await call('POST', '/v1/extensions', {
      number: '1001',
      password: 'correct horse 9',
      displayName: 'Front desk',
      maxContacts: 3,
      allowedNetworks: ['192.0.2.0/24', '2001:db8::/32'],
    });
    assert.equal(added.status, 201);
    assert.deepEqual(added.body, {
      number: '1001',
      displayName: 'Front desk',
      maxContacts: 3,
      enabled: true,
      allowedNetworks: ['192.0.2.0/24', '2001:db8::/32'],
      forward: { always: '', busy: '', noAnswer: '', unavailable: '', noAnswerSeconds: 20 },
      permission: 'national',
      hasSecret: true,
    });
    assert.equal(backend.inputs.at(-1)?.password, 'correct horse 9');

    const list = await call('GET', '/v1/extensions');
    assert.equal(list.status, 200);
    assert.deepEqual((list.body as ExtensionView[]).map((e) => e.number), ['1001']);

    const changed = await call('PATCH', '/v1/extensions/1001', { enabled: false, maxContacts: 1 });
    assert.equal(changed.status, 200);
    assert.equal((changed.body as ExtensionView).enabled, false);
    assert.equal((changed.body as ExtensionView).maxContacts, 1);

    const exists = await call('POST', '/v1/extensions', { number: '1001', password: 'another-pass' });
    assert.equal(exists.status, 409);
    assert.deepEqual(exists.body, { code: 'EDGESIP_ERR_EXISTS', message: 'extension 1001 already exists', field: 'number' });

    const removed = await call('DELETE', '/v1/extensions/1001');
    assert.equal(removed.status, 204);
    assert.equal(removed.body, null);
    const again = await call('DELETE', '/v1/extensions/1001');
    assert.equal(again.status, 404);
    assert.equal(errorOf(again.body).code, 'EDGESIP_ERR_NOT_FOUND');
  });

  test('extension validation names the field at fault', async () => {
    const base = { number: '2001', password: 'Tr0ub4dor&3' };
    const seen = backend.inputs.length;
    await refused('POST', '/v1/extensions', { password: 'Tr0ub4dor&3' }, 400, 'number', /required/);
    await refused('POST', '/v1/extensions', { number: '2001' }, 400, 'password', /required/);
    await refused('POST', '/v1/extensions', { ...base, colour: 'red' }, 400, 'colour', /unknown field/);
    await refused('POST', '/v1/extensions', { ...base, number: 2001 }, 400, 'number', /string/);
    await refused('POST', '/v1/extensions', { ...base, number: '-bad' }, 400, 'number', /letters, digits/);
    await refused('POST', '/v1/extensions', { ...base, number: 'a'.repeat(33) }, 400, 'number');
    await refused('POST', '/v1/extensions', { ...base, password: 'short1' }, 400, 'password', /at least 8 characters/);
    await refused('POST', '/v1/extensions', { ...base, number: 'frontdesk', password: 'FrontDesk' }, 400, 'password', /extension number/);
    await refused('POST', '/v1/extensions', { ...base, number: '20011234', password: '20011234' }, 400, 'password', /extension number/);
    await refused('POST', '/v1/extensions', { ...base, password: '12345678901' }, 400, 'password', /digits only must have at least 12/);
    await refused('POST', '/v1/extensions', { ...base, password: 'aaaaaaaaaa' }, 400, 'password', /single character/);
    await refused('POST', '/v1/extensions', { ...base, password: 12345678 }, 400, 'password', /string/);
    await refused('POST', '/v1/extensions', { ...base, maxContacts: 0 }, 400, 'maxContacts', /1 to 20/);
    await refused('POST', '/v1/extensions', { ...base, maxContacts: 21 }, 400, 'maxContacts', /1 to 20/);
    await refused('POST', '/v1/extensions', { ...base, maxContacts: 2.5 }, 400, 'maxContacts');
    await refused('POST', '/v1/extensions', { ...base, maxContacts: '3' }, 400, 'maxContacts');
    await refused('POST', '/v1/extensions', { ...base, enabled: 'yes' }, 400, 'enabled', /true or false/);
    await refused('POST', '/v1/extensions', { ...base, displayName: 'say "hi"' }, 400, 'displayName', /quotes/);
    await refused('POST', '/v1/extensions', { ...base, allowedNetworks: '192.0.2.0/24' }, 400, 'allowedNetworks', /list/);
    await refused('POST', '/v1/extensions', { ...base, allowedNetworks: ['192.0.2.0/24', '10.0.0.0/33'] }, 400, 'allowedNetworks[1]', /10\.0\.0\.0\/33/);
    await refused('POST', '/v1/extensions', { ...base, allowedNetworks: ['192.0.2.0/24', '192.0.2.0/24'] }, 400, 'allowedNetworks[1]', /duplicate/);
    await refused('POST', '/v1/extensions', [base], 400, '(body)', /JSON object/);
    // Accepted at the edge: 12 digits, a strong password.
    assert.equal((await call('POST', '/v1/extensions', { number: '2002', password: '839201746512' })).status, 201);
    // Nothing invalid reached the backend.
    assert.deepEqual(
      backend.inputs.slice(seen).map((i) => i.number),
      ['2002'],
    );
  });

  test('PATCH validation: number in the path, weak passwords, nothing to change', async () => {
    await call('POST', '/v1/extensions', { number: '3001', password: 'good-pass-3001' });
    await refused('PATCH', '/v1/extensions/3001', {}, 400, '(body)', /nothing to change/);
    await refused('PATCH', '/v1/extensions/3001', { password: '3001' }, 400, 'password', /at least 8/);
    await refused('PATCH', '/v1/extensions/30013001', { password: '30013001' }, 400, 'password', /extension number/);
    await refused('PATCH', '/v1/extensions/3001', { number: '3002' }, 400, 'number', /cannot be changed/);
    await refused('PATCH', '/v1/extensions/3001', { maxContacts: 50 }, 400, 'maxContacts');
    await refused('PATCH', '/v1/extensions/3001', { secret: 'x' }, 400, 'secret', /unknown field/);
    await refused('PATCH', '/v1/extensions/bad%20number', { enabled: true }, 400, 'number');
    await refused('PATCH', '/v1/extensions/%E0%A4%A', { enabled: true }, 400, 'number', /URL encoding/);
    await refused('PATCH', '/v1/extensions/3999', { enabled: true }, 404, 'number', /no extension 3999/);
    const ok = await call('PATCH', '/v1/extensions/3001', { number: '3001', displayName: 'Lab', allowedNetworks: [] });
    assert.equal(ok.status, 200);
    assert.deepEqual((ok.body as ExtensionView).allowedNetworks, []);
  });

  test('forwarding: set on add, merged on change, each field checked by name', async () => {
    const added = await call('POST', '/v1/extensions', { number: '5001', password: 'fwd-pass-5001', forward: { busy: '5002', noAnswerSeconds: 15 } });
    assert.equal(added.status, 201);
    assert.deepEqual((added.body as ExtensionView).forward, { always: '', busy: '5002', noAnswer: '', unavailable: '', noAnswerSeconds: 15 });
    assert.deepEqual(backend.inputs.at(-1)?.forward, { busy: '5002', noAnswerSeconds: 15 });

    const changed = await call('PATCH', '/v1/extensions/5001', { forward: { always: '+8613800138000', noAnswer: '*97#' } });
    assert.equal(changed.status, 200);
    assert.deepEqual((changed.body as ExtensionView).forward, { always: '+8613800138000', busy: '5002', noAnswer: '*97#', unavailable: '', noAnswerSeconds: 15 });
    assert.deepEqual(backend.inputs.at(-1), { forward: { always: '+8613800138000', noAnswer: '*97#' } }, 'only the fields given reach the backend');
    const cleared = await call('PATCH', '/v1/extensions/5001', { forward: { always: '', busy: 'front-desk' } });
    assert.deepEqual((cleared.body as ExtensionView).forward, { always: '', busy: 'front-desk', noAnswer: '*97#', unavailable: '', noAnswerSeconds: 15 });

    const seen = backend.inputs.length;
    const base = { number: '5003', password: 'fwd-pass-5003' };
    await refused('POST', '/v1/extensions', { ...base, forward: '5002' }, 400, 'forward', /must be an object/);
    await refused('POST', '/v1/extensions', { ...base, forward: ['5002'] }, 400, 'forward', /must be an object/);
    await refused('POST', '/v1/extensions', { ...base, forward: { sometimes: '5002' } }, 400, 'forward.sometimes', /unknown field "sometimes"/);
    await refused('POST', '/v1/extensions', { ...base, forward: { busy: 5002 } }, 400, 'forward.busy', /must be a string/);
    await refused('POST', '/v1/extensions', { ...base, forward: { always: 'a b' } }, 400, 'forward.always', /extension number or a dialled number/);
    await refused('POST', '/v1/extensions', { ...base, forward: { noAnswer: '+' } }, 400, 'forward.noAnswer');
    await refused('POST', '/v1/extensions', { ...base, forward: { unavailable: '1'.repeat(33) } }, 400, 'forward.unavailable');
    await refused('POST', '/v1/extensions', { ...base, forward: { busy: '5003' } }, 400, 'forward.busy', /must not forward to itself/);
    await refused('POST', '/v1/extensions', { ...base, forward: { noAnswerSeconds: 4 } }, 400, 'forward.noAnswerSeconds', /5 to 300/);
    await refused('POST', '/v1/extensions', { ...base, forward: { noAnswerSeconds: 301 } }, 400, 'forward.noAnswerSeconds', /5 to 300/);
    await refused('POST', '/v1/extensions', { ...base, forward: { noAnswerSeconds: '20' } }, 400, 'forward.noAnswerSeconds');
    await refused('PATCH', '/v1/extensions/5001', { forward: { noAnswer: '5001' } }, 400, 'forward.noAnswer', /must not forward to itself/);
    await refused('PATCH', '/v1/extensions/5001', { forward: { noAnswerSeconds: 2.5 } }, 400, 'forward.noAnswerSeconds');
    await refused('PATCH', '/v1/extensions/5001', { forward: {} }, 400, '(body)', /nothing to change/);
    assert.equal(backend.inputs.length, seen, 'nothing invalid reached the backend');
  });

  test('registrations are listed', async () => {
    const res = await call('GET', '/v1/registrations');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, backend.registrations);
  });

  test('ACL: list, add, remove with URL-encoded CIDR, validation', async () => {
    assert.deepEqual((await call('GET', '/v1/acl')).body, { white: ['192.0.2.0/24'], black: [] });
    const added = await call('POST', '/v1/acl', { list: 'black', cidr: '198.51.100.0/24' });
    assert.equal(added.status, 200);
    assert.deepEqual(added.body, { white: ['192.0.2.0/24'], black: ['198.51.100.0/24'] });
    await call('POST', '/v1/acl', { list: 'white', cidr: '2001:db8::/48' });
    const removed = await call('DELETE', `/v1/acl/black/${encodeURIComponent('198.51.100.0/24')}`);
    assert.equal(removed.status, 200);
    assert.deepEqual(removed.body, { white: ['192.0.2.0/24', '2001:db8::/48'], black: [] });
    assert.equal((await call('DELETE', `/v1/acl/white/${encodeURIComponent('2001:db8::/48')}`)).status, 200);

    await refused('POST', '/v1/acl', { list: 'white', cidr: '192.0.2.0/24' }, 409, 'cidr', /already/);
    await refused('POST', '/v1/acl', { list: 'grey', cidr: '10.0.0.0/8' }, 400, 'list', /white.*black/);
    await refused('POST', '/v1/acl', { list: 'white', cidr: '10.0.0.0/40' }, 400, 'cidr', /not an IPv4 or IPv6 network/);
    await refused('POST', '/v1/acl', { list: 'white', cidr: 'example.com' }, 400, 'cidr');
    await refused('POST', '/v1/acl', { list: 'white' }, 400, 'cidr', /required/);
    await refused('POST', '/v1/acl', { cidr: '10.0.0.0/8' }, 400, 'list', /required/);
    await refused('POST', '/v1/acl', { list: 'white', cidr: '10.0.0.0/8', note: 'x' }, 400, 'note', /unknown field/);
    await refused('DELETE', '/v1/acl/grey/10.0.0.0%2F8', undefined, 400, 'list');
    await refused('DELETE', '/v1/acl/white/10.0.0.0%2F99', undefined, 400, 'cidr');
    await refused('DELETE', '/v1/acl/white/10.0.0.0%2F8', undefined, 404, 'cidr', /not on the white list/);
  });

  test('blocks: list and remove by URL-encoded key', async () => {
    const list = await call('GET', '/v1/blocks');
    assert.equal(list.status, 200);
    assert.equal((list.body as BlockView[]).length, 2);
    const res = await call('DELETE', `/v1/blocks/${encodeURIComponent('198.51.100.7|1001')}`);
    assert.equal(res.status, 204);
    assert.deepEqual((backend.listBlocks()).map((b) => b.key), ['203.0.113.9']);
    await refused('DELETE', `/v1/blocks/${encodeURIComponent('198.51.100.7|1001')}`, undefined, 404, 'key');
    await refused('DELETE', '/v1/blocks/a%0Ab', undefined, 400, 'key');
  });

  test('active calls are listed', async () => {
    const res = await call('GET', '/v1/calls');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body as ActiveCallView[], backend.calls);
  });

  test('call records: since (inclusive), until (exclusive), limit (the most recent)', async () => {
    const ids = async (query: string): Promise<string[]> => {
      const res = await call('GET', `/v1/cdr${query}`);
      assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body)}`);
      return (res.body as CallRecord[]).map((r) => r.id);
    };
    assert.deepEqual(await ids(''), ['r-1', 'r-2', 'r-3']);
    assert.deepEqual(backend.cdrQueries.at(-1), {});
    assert.deepEqual((await call('GET', '/v1/cdr')).body, backend.cdrs);
    assert.deepEqual(await ids('?since=2024-05-01'), ['r-2', 'r-3']);
    assert.deepEqual(backend.cdrQueries.at(-1), { since: Date.parse('2024-05-01T00:00:00Z') });
    assert.deepEqual(await ids('?since=2024-05-01T08:00:00Z'), ['r-2', 'r-3']);
    assert.deepEqual(await ids('?since=2024-05-01T17:00:00%2B08:00'), ['r-3']);
    assert.deepEqual(backend.cdrQueries.at(-1), { since: Date.parse('2024-05-01T09:00:00Z') });
    // An unencoded '+' (a space once decoded) in the offset is understood.
    assert.deepEqual(await ids('?since=2024-05-01T17:00:00+08:00'), ['r-3']);
    assert.deepEqual(await ids('?since=2024-04-30T22:00-10:00&until=2024-05-01T09:30:00.000Z'), ['r-2']);
    assert.deepEqual(await ids('?until=2024-05-01T09:30:00Z'), ['r-1', 'r-2']);
    assert.deepEqual(await ids('?limit=1'), ['r-3']);
    assert.deepEqual(backend.cdrQueries.at(-1), { limit: 1 });
    assert.deepEqual(await ids('?until=2024-05-01T09:00:00Z&limit=1'), ['r-2']);
    assert.deepEqual(await ids('?limit=100000&since=2030-01-01'), []);
  });

  test('call record queries are validated, naming the parameter', async () => {
    const seen = backend.cdrQueries.length;
    await refused('GET', '/v1/cdr?since=yesterday', undefined, 400, 'since', /ISO 8601 date/);
    await refused('GET', '/v1/cdr?since=', undefined, 400, 'since', /ISO 8601/);
    await refused('GET', '/v1/cdr?since=2024-02-30', undefined, 400, 'since', /no such date/);
    await refused('GET', '/v1/cdr?since=2024-13-01', undefined, 400, 'since', /no such date/);
    await refused('GET', '/v1/cdr?until=2024-05-01T10:00', undefined, 400, 'until', /time zone/);
    await refused('GET', '/v1/cdr?until=2024-05-01T24:00:00Z', undefined, 400, 'until', /time of day/);
    await refused('GET', '/v1/cdr?until=2024-05-01T10:00:00%2B25:00', undefined, 400, 'until', /offset/);
    await refused('GET', '/v1/cdr?since=2024-05-01&until=2024-05-01', undefined, 400, 'until', /after since/);
    await refused('GET', '/v1/cdr?since=1714521600000', undefined, 400, 'since');
    for (const limit of ['0', '100001', 'abc', '1.5', '-1', '', '0000001x']) {
      await refused('GET', `/v1/cdr?limit=${limit}`, undefined, 400, 'limit', /1 to 100000/);
    }
    await refused('GET', '/v1/cdr?from=2024-05-01', undefined, 400, 'from', /unknown query parameter/);
    await refused('GET', '/v1/cdr?since=2024-05-01&since=2024-05-02', undefined, 400, 'since', /more than once/);
    assert.equal(backend.cdrQueries.length, seen, 'nothing invalid reached the backend');
    assert.equal((await rawRequest(socketPath, 'POST', '/v1/cdr', '{}')).status, 405);
    assert.equal((await rawRequest(socketPath, 'DELETE', '/v1/calls')).status, 405);
  });

  test('extension permission: set on add and change, checked by name', async () => {
    const added = await call('POST', '/v1/extensions', { number: '6001', password: 'perm-pass-6001', permission: 'international' });
    assert.equal((added.body as ExtensionView).permission, 'international');
    const changed = await call('PATCH', '/v1/extensions/6001', { permission: 'internal' });
    assert.equal((changed.body as ExtensionView).permission, 'internal');
    assert.deepEqual(backend.inputs.at(-1), { permission: 'internal' });
    await refused('PATCH', '/v1/extensions/6001', { permission: 'emergency' }, 400, 'permission', /one of internal, local, national, international/);
    await refused('POST', '/v1/extensions', { number: '6002', password: 'perm-pass-6002', permission: 3 }, 400, 'permission');
  });

  test('trunks: add, list, change, remove; the password is write-only', async () => {
    const added = await call('POST', '/v1/trunks', {
      name: 'itsp',
      type: 'register',
      domain: 'sip.example.net:5060',
      username: '0101234567',
      password: 'trunk-secret-1',
      transport: 'TCP',
      callerId: { fromDisplay: 'Reception' },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const view = added.body as TrunkView;
    assert.equal(view.hasPassword, true);
    assert.equal('password' in view, false);
    assert.deepEqual(view.callerId, { fromUser: '', fromDisplay: 'Reception', pai: '' });
    assert.equal(view.requestUriParams, '', 'the language (en) default');
    assert.equal(backend.trunkInputs.at(-1)?.password, 'trunk-secret-1');
    assert.equal(backend.trunkInputs.at(-1)?.requestUriParams, undefined, 'absent stays absent: the backend applies the language default');
    assert.deepEqual(((await call('GET', '/v1/trunks')).body as TrunkView[]).map((t) => t.name), ['itsp']);
    const changed = await call('PATCH', '/v1/trunks/itsp', { requestUriParams: 'user=phone', templates: { to: 'sip:{number}@{domain}' } });
    assert.equal(changed.status, 200);
    assert.deepEqual(backend.trunkInputs.at(-1), { requestUriParams: 'user=phone', templates: { to: 'sip:{number}@{domain}' } });
    assert.equal((await call('PATCH', '/v1/trunks/itsp', { password: '' })).status, 200, "'' removes the password");
    assert.equal(backend.trunks.get('itsp')?.hasPassword, false);
    assert.equal((await call('POST', '/v1/trunks', { name: 'gone', type: 'ip', domain: '192.0.2.9', peers: ['192.0.2.9'] })).status, 201);
    assert.equal((await call('DELETE', '/v1/trunks/gone')).status, 204);
    await refused('DELETE', '/v1/trunks/gone', undefined, 404, 'name');
  });

  test('trunk validation names the field at fault', async () => {
    const seen = backend.trunkInputs.length;
    const base = { name: 't1', type: 'register', domain: 'sip.example.net', username: 'u1' };
    await refused('POST', '/v1/trunks', { type: 'register', domain: 'x.example' }, 400, 'name', /required/);
    await refused('POST', '/v1/trunks', { name: 't1', domain: 'x.example' }, 400, 'type', /required: register or ip/);
    await refused('POST', '/v1/trunks', { name: 't1', type: 'register' }, 400, 'domain', /required/);
    await refused('POST', '/v1/trunks', { ...base, name: 'T1' }, 400, 'name', /lower-case/);
    await refused('POST', '/v1/trunks', { ...base, name: 'status' }, 400, 'name', /reserved/);
    await refused('POST', '/v1/trunks', { ...base, type: 'sip' }, 400, 'type', /register, ip/);
    await refused('POST', '/v1/trunks', { ...base, domain: 'a b' }, 400, 'domain', /host name/);
    await refused('POST', '/v1/trunks', { ...base, proxy: '2001:db8::1' }, 400, 'proxy', /brackets/);
    await refused('POST', '/v1/trunks', { ...base, transport: 'udp' }, 400, 'transport', /UDP, TCP, TLS/);
    await refused('POST', '/v1/trunks', { ...base, username: 'a b' }, 400, 'username', /user part/);
    await refused('POST', '/v1/trunks', { ...base, authUsername: 'a"b' }, 400, 'authUsername', /quotes/);
    await refused('POST', '/v1/trunks', { ...base, realm: 5 }, 400, 'realm', /string/);
    await refused('POST', '/v1/trunks', { ...base, registerExpires: 30 }, 400, 'registerExpires', /60 to 86400/);
    await refused('POST', '/v1/trunks', { ...base, password: 'a\tb' }, 400, 'password', /control characters/);
    await refused('POST', '/v1/trunks', { ...base, peers: '192.0.2.0/24' }, 400, 'peers', /list/);
    await refused('POST', '/v1/trunks', { ...base, peers: ['192.0.2.0/24', 'x'] }, 400, 'peers[1]', /not an IPv4 or IPv6 network/);
    await refused('POST', '/v1/trunks', { ...base, requestUriParams: 'user=phone;user=ip' }, 400, 'requestUriParams', /twice/);
    await refused('POST', '/v1/trunks', { ...base, requestUriParams: ';user=phone' }, 400, 'requestUriParams', /must not start with ';'/);
    await refused('POST', '/v1/trunks', { ...base, callerId: 'x' }, 400, 'callerId', /object/);
    await refused('POST', '/v1/trunks', { ...base, callerId: { number: '1' } }, 400, 'callerId.number', /unknown field/);
    await refused('POST', '/v1/trunks', { ...base, callerId: { fromDisplay: 'a"b' } }, 400, 'callerId.fromDisplay', /quotes/);
    await refused('POST', '/v1/trunks', { ...base, callerId: { pai: 'tel:+861012345678' } }, 400, 'callerId.pai', /a number .*PAI template/);
    await refused('POST', '/v1/trunks', { ...base, templates: { from: 'sip:{caller}@{domain}' } }, 400, 'templates.from', /unknown placeholder \{caller\}/);
    await refused('POST', '/v1/trunks', { ...base, colour: 'red' }, 400, 'colour', /unknown field/);
    await refused('PATCH', '/v1/trunks/itsp', {}, 400, '(body)', /nothing to change/);
    await refused('PATCH', '/v1/trunks/itsp', { callerId: {} }, 400, '(body)', /nothing to change/);
    await refused('PATCH', '/v1/trunks/itsp', { name: 'other' }, 400, 'name', /cannot be changed/);
    await refused('PATCH', '/v1/trunks/Bad', { enabled: true }, 400, 'name');
    assert.equal(backend.trunkInputs.length, seen, 'nothing invalid reached the backend');
    await refused('PATCH', '/v1/trunks/nope', { enabled: true }, 404, 'name');
    assert.equal((await call('POST', '/v1/trunks', { ...base, requestUriParams: 'user=phone;npdi' })).status, 201);
  });

  test('trunk status: GET only, listed from the backend', async () => {
    const res = await call('GET', '/v1/trunks/status');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, backend.trunkStatus);
    const patch = await rawRequest(socketPath, 'PATCH', '/v1/trunks/status', '{}', { 'Content-Type': 'application/json' });
    assert.equal(patch.status, 405);
    assert.equal(patch.headers.allow, 'GET');
  });

  test('status: GET only, the view of the backend', async () => {
    const res = await call('GET', '/v1/status');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, backend.status);
    const post = await rawRequest(socketPath, 'POST', '/v1/status', '{}', { 'Content-Type': 'application/json' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET');
  });

  test('dial plan: add, list, move, remove, validation by field', async () => {
    const add = (body: object) => call('POST', '/v1/dialplan', body);
    const r = await add({ name: 'out', pattern: '9X.', strip: 1, trunks: ['itsp'], class: 'national' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body, { name: 'out', pattern: '9X.', strip: 1, prefix: '', trunks: ['itsp'], class: 'national' });
    assert.equal((await add({ name: 'sos', pattern: '11[09]', trunks: ['itsp'], class: 'emergency', position: 1 })).status, 201);
    assert.deepEqual(((await call('GET', '/v1/dialplan')).body as DialRule[]).map((x) => x.name), ['sos', 'out']);
    const moved = await call('POST', '/v1/dialplan/sos/move', { position: 2 });
    assert.deepEqual((moved.body as DialRule[]).map((x) => x.name), ['out', 'sos']);
    assert.equal((await call('DELETE', '/v1/dialplan/sos')).status, 204);

    const base = { name: 'x', pattern: '8X.', trunks: ['itsp'], class: 'local' };
    for (const field of ['name', 'pattern', 'trunks', 'class'] as const) {
      const { [field]: _omitted, ...rest } = base;
      await refused('POST', '/v1/dialplan', rest, 400, field, /required/);
    }
    await refused('POST', '/v1/dialplan', { ...base, pattern: '8.X' }, 400, 'pattern', /'\.' may only come last/);
    await refused('POST', '/v1/dialplan', { ...base, pattern: '8[5-1]' }, 400, 'pattern', /backwards/);
    await refused('POST', '/v1/dialplan', { ...base, strip: -1 }, 400, 'strip', /0 to 32/);
    await refused('POST', '/v1/dialplan', { ...base, prefix: '0a' }, 400, 'prefix', /digits/);
    await refused('POST', '/v1/dialplan', { ...base, trunks: [] }, 400, 'trunks', /non-empty/);
    await refused('POST', '/v1/dialplan', { ...base, trunks: ['itsp', 'itsp'] }, 400, 'trunks[1]', /duplicate/);
    await refused('POST', '/v1/dialplan', { ...base, trunks: ['nope'] }, 400, 'trunks[0]', /no trunk nope/);
    await refused('POST', '/v1/dialplan', { ...base, class: 'premium' }, 400, 'class', /emergency/);
    await refused('POST', '/v1/dialplan', { ...base, position: 0 }, 400, 'position', /from 1/);
    await refused('POST', '/v1/dialplan', { ...base, name: 'out' }, 409, 'name', /exists/);
    await refused('POST', '/v1/dialplan/out/move', {}, 400, 'position', /required/);
    await refused('POST', '/v1/dialplan/out/move', { position: '1' }, 400, 'position');
    await refused('POST', '/v1/dialplan/out/move', { position: 1, after: 'x' }, 400, 'after', /unknown field/);
    await refused('POST', '/v1/dialplan/nope/move', { position: 1 }, 404, 'name');
    await refused('DELETE', '/v1/dialplan/Bad%20Name', undefined, 400, 'name');
    await refused('DELETE', '/v1/trunks/itsp', undefined, 400, 'name', /used by dial rule\(s\) out/);
    assert.equal((await call('DELETE', '/v1/dialplan/out')).status, 204);
  });

  test('inbound: DIDs (URL-encoded in the path) and the default destination', async () => {
    await call('POST', '/v1/extensions', { number: '7001', password: 'did-pass-7001' });
    const added = await call('POST', '/v1/inbound', { did: '+8610*12#', extension: '7001' });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual(added.body, { dids: [{ did: '+8610*12#', extension: '7001' }], defaultDestination: '' });
    assert.deepEqual((await call('GET', '/v1/inbound')).body, added.body);
    assert.deepEqual(((await call('PUT', '/v1/inbound/default', { extension: '7001' })).body as InboundView).defaultDestination, '7001');
    const removed = await call('DELETE', `/v1/inbound/${encodeURIComponent('+8610*12#')}`);
    assert.deepEqual(removed.body, { dids: [], defaultDestination: '7001' });
    assert.deepEqual(((await call('PUT', '/v1/inbound/default', { extension: '' })).body as InboundView).defaultDestination, '');

    await refused('POST', '/v1/inbound', { extension: '7001' }, 400, 'did', /required/);
    await refused('POST', '/v1/inbound', { did: '555 1234', extension: '7001' }, 400, 'did', /digits/);
    await refused('POST', '/v1/inbound', { did: '5551234' }, 400, 'extension', /required/);
    await refused('POST', '/v1/inbound', { did: '5551234', extension: 'a b' }, 400, 'extension');
    await refused('POST', '/v1/inbound', { did: '5551234', extension: '7999' }, 400, 'extension', /no extension 7999/);
    await refused('PUT', '/v1/inbound/default', {}, 400, 'extension', /required/);
    await refused('PUT', '/v1/inbound/default', { extension: 7001 }, 400, 'extension', /string/);
    await refused('DELETE', '/v1/inbound/abc', undefined, 400, 'did');
    await refused('DELETE', '/v1/inbound/5551234', undefined, 404, 'did');
    assert.equal((await rawRequest(socketPath, 'DELETE', '/v1/inbound/default')).status, 405);
  });

  test('language: get and set', async () => {
    assert.deepEqual((await call('GET', '/v1/settings/language')).body, { language: 'en' });
    assert.deepEqual((await call('PUT', '/v1/settings/language', { language: 'zh-CN' })).body, { language: 'zh-CN' });
    const t = await call('POST', '/v1/trunks', { name: 'cn', type: 'register', domain: 'sip.example.cn', username: 'u' });
    assert.equal((t.body as TrunkView).requestUriParams, 'user=phone');
    assert.deepEqual((await call('PUT', '/v1/settings/language', { language: 'en' })).body, { language: 'en' });
    await refused('PUT', '/v1/settings/language', { language: 'zh' }, 400, 'language', /en, zh-CN/);
    await refused('PUT', '/v1/settings/language', {}, 400, 'language', /required/);
    await refused('PUT', '/v1/settings/language', { language: 'en', x: 1 }, 400, 'x', /unknown field/);
  });

  test('admins: list, add, change the password, unlock, remove; the last one stays', async () => {
    const list = await call('GET', '/v1/admins');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, backend.listAdmins());
    assert.deepEqual((list.body as AdminAccountView[]).map((a) => a.user), ['admin']);

    const added = await call('POST', '/v1/admins', { user: 'ops', password: 'ops-password-1' });
    assert.equal(added.status, 201);
    assert.deepEqual(added.body, { user: 'ops', createdAt: backend.adminNow, passwordChangedAt: backend.adminNow, lockedUntil: null });
    assert.deepEqual(backend.lastAdminPassword, { user: 'ops', password: 'ops-password-1' });
    const exists = await call('POST', '/v1/admins', { user: 'ops', password: 'ops-password-2' });
    assert.equal(exists.status, 409);
    assert.equal(errorOf(exists.body).code, 'EDGESIP_ERR_EXISTS');

    backend.admins.set('ops', { ...(backend.admins.get('ops') as AdminAccountView), lockedUntil: '2024-06-01T12:15:00.000Z' });
    const changed = await call('PUT', '/v1/admins/ops/password', { password: 'new-ops-pass-9' });
    assert.equal(changed.status, 200);
    assert.equal((changed.body as AdminAccountView).lockedUntil, null);
    assert.deepEqual(backend.lastAdminPassword, { user: 'ops', password: 'new-ops-pass-9' });
    backend.admins.set('ops', { ...(backend.admins.get('ops') as AdminAccountView), lockedUntil: '2024-06-01T12:15:00.000Z' });
    const unlocked = await call('POST', '/v1/admins/ops/unlock');
    assert.equal(unlocked.status, 200);
    assert.equal((unlocked.body as AdminAccountView).lockedUntil, null);

    for (const [method, path, body] of [
      ['PUT', '/v1/admins/bob/password', { password: 'bobs-password-1' }],
      ['POST', '/v1/admins/bob/unlock', undefined],
      ['DELETE', '/v1/admins/bob', undefined],
    ] as const) {
      const res = await call(method, path, body);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.deepEqual(res.body, { code: 'EDGESIP_ERR_NOT_FOUND', message: 'no admin bob', field: 'user' });
    }

    const removed = await call('DELETE', '/v1/admins/admin');
    assert.equal(removed.status, 204);
    assert.equal(removed.body, null);
    const last = await call('DELETE', '/v1/admins/ops');
    assert.equal(last.status, 409);
    assert.deepEqual(last.body, { code: 'EDGESIP_ERR_CONFLICT', message: 'ops is the last admin account; add another one first' });
    assert.deepEqual(backend.listAdmins().map((a) => a.user), ['ops']);
    assert.equal((await call('POST', '/v1/admins', { user: 'admin', password: 'admin-again-1' })).status, 201);
  });

  test('admin validation names the field at fault; passwords are checked before the backend', async () => {
    const before = backend.lastAdminPassword;
    await refused('POST', '/v1/admins', { password: 'long-enough-1' }, 400, 'user', /required/);
    await refused('POST', '/v1/admins', { user: 'eve' }, 400, 'password', /required/);
    await refused('POST', '/v1/admins', { user: 'Eve', password: 'long-enough-1' }, 400, 'user', /lower-case/);
    await refused('POST', '/v1/admins', { user: '1eve', password: 'long-enough-1' }, 400, 'user', /starting with a letter or underscore/);
    await refused('POST', '/v1/admins', { user: 'e'.repeat(33), password: 'long-enough-1' }, 400, 'user');
    await refused('POST', '/v1/admins', { user: 7, password: 'long-enough-1' }, 400, 'user', /string/);
    await refused('POST', '/v1/admins', { user: 'eve', password: 'nine-char' }, 400, 'password', /at least 10 characters/);
    await refused('POST', '/v1/admins', { user: 'eve', password: 12345678901234 }, 400, 'password', /string/);
    await refused('POST', '/v1/admins', { user: 'eve', password: '12345678901' }, 400, 'password', /digits only/);
    await refused('POST', '/v1/admins', { user: 'eve', password: 'zzzzzzzzzzzz' }, 400, 'password', /repeat a single character/);
    await refused('POST', '/v1/admins', { user: 'eve', password: 'tab\there-pass' }, 400, 'password', /control characters/);
    await refused('POST', '/v1/admins', { user: 'administrator', password: 'Administrator' }, 400, 'password', /^is too weak: it must not be the user name$/);
    await refused('POST', '/v1/admins', { user: 'eve', password: 'long-enough-1', role: 'root' }, 400, 'role', /unknown field/);
    await refused('POST', '/v1/admins', ['eve'], 400, '(body)', /JSON object/);
    await refused('PUT', '/v1/admins/ops/password', {}, 400, 'password', /required/);
    await refused('PUT', '/v1/admins/ops/password', { password: 'short' }, 400, 'password', /at least 10/);
    await refused('PUT', '/v1/admins/ops/password', { password: 'long-enough-1', user: 'ops' }, 400, 'user', /unknown field/);
    await refused('PUT', '/v1/admins/Ops/password', { password: 'long-enough-1' }, 400, 'user', /lower-case/);
    await refused('DELETE', '/v1/admins/a%20b', undefined, 400, 'user');
    await refused('POST', '/v1/admins/%ZZ/unlock', undefined, 400, 'user', /URL encoding/);
    assert.equal(backend.lastAdminPassword, before, 'nothing reached the backend');
    await refused('GET', '/v1/admins/ops', undefined, 405, undefined);
    await refused('GET', '/v1/admins/ops/password', undefined, 405, undefined);
    await refused('DELETE', '/v1/admins', undefined, 405, undefined);
    assert.ok(!JSON.stringify(logs).includes('new-ops-pass-9'), 'passwords never reach the log');
  });

  test('TLS: show, install; the pair is checked by field', async () => {
    const saved = backend.tls;
    try {
      const shown = await call('GET', '/v1/tls');
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body, saved);
      const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      const key = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
      await refused('PUT', '/v1/tls', { cert }, 400, 'key', /required/);
      await refused('PUT', '/v1/tls', { key }, 400, 'cert', /required/);
      await refused('PUT', '/v1/tls', { cert: 42, key }, 400, 'cert', /PEM text/);
      await refused('PUT', '/v1/tls', { cert: 'MIIB', key }, 400, 'cert', /BEGIN CERTIFICATE/);
      await refused('PUT', '/v1/tls', { cert, key: cert }, 400, 'key', /BEGIN PRIVATE KEY/);
      await refused('PUT', '/v1/tls', { cert, key: '-----BEGIN ENCRYPTED PRIVATE KEY-----\nx\n' }, 400, 'key', /BEGIN PRIVATE KEY/);
      await refused('PUT', '/v1/tls', { cert, key, chain: cert }, 400, 'chain', /unknown field/);
      await refused('PUT', '/v1/tls', 'pem', 400, '(body)');
      assert.equal(backend.tlsInputs.length, 0, 'refused before the backend');
      await refused('PUT', '/v1/tls', { cert, key: '-----BEGIN PRIVATE KEY-----\nMISMATCH\n' }, 400, 'key', /^does not match the certificate$/);
      assert.deepEqual((await call('GET', '/v1/tls')).body, saved, 'nothing changed');
      for (const k of [key, '-----BEGIN RSA PRIVATE KEY-----\nx\n', '-----BEGIN EC PRIVATE KEY-----\nx\n']) {
        const installed = await call('PUT', '/v1/tls', { cert, key: k });
        assert.equal(installed.status, 200);
        assert.deepEqual(installed.body, backend.installedTls);
      }
      assert.deepEqual(backend.tlsInputs.at(0), { cert, key: '-----BEGIN PRIVATE KEY-----\nMISMATCH\n' });
      assert.deepEqual((await call('GET', '/v1/tls')).body, backend.installedTls);
      await refused('POST', '/v1/tls', { cert, key }, 405, undefined);
      await refused('DELETE', '/v1/tls', undefined, 405, undefined);
    } finally {
      backend.tls = saved;
    }
  });

  test('settings: show; change is merged; ports need a restart; every field checked by name', async () => {
    const saved = backend.settings;
    try {
      const shown = await call('GET', '/v1/settings');
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body, {
        sip: { port: 5060, tlsPort: 5061, tlsMinVersion: 'TLSv1.2', digestAlgorithms: ['SHA-256', 'MD5'] },
        web: { port: 8443, httpRedirectPort: 0, tlsMinVersion: 'TLSv1.2', idleTimeoutMinutes: 15 },
        restartRequired: false,
      });
      const tls = await call('PATCH', '/v1/settings', { sip: { tlsMinVersion: 'TLSv1.3' }, web: { idleTimeoutMinutes: 60 } });
      assert.equal(tls.status, 200);
      const view = tls.body as ServiceSettingsView;
      assert.equal(view.sip.tlsMinVersion, 'TLSv1.3');
      assert.equal(view.sip.port, 5060, 'merged');
      assert.equal(view.web.idleTimeoutMinutes, 60);
      assert.equal(view.restartRequired, false, 'no port changed');
      const off = await call('PATCH', '/v1/settings', { web: { port: 0, httpRedirectPort: 80 } });
      assert.equal(off.status, 200, JSON.stringify(off.body));
      assert.equal((off.body as ServiceSettingsView).web.port, 0, 'port 0: the web admin is off');
      assert.equal((off.body as ServiceSettingsView).restartRequired, true);
      assert.equal((await call('PATCH', '/v1/settings', {})).status, 200, 'nothing to change is no error');
      for (const digestAlgorithms of [['MD5', 'SHA-256'], ['MD5'], ['SHA-256'], ['SHA-256', 'MD5']]) {
        const res = await call('PATCH', '/v1/settings', { sip: { digestAlgorithms } });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(backend.settingsInputs.at(-1), { sip: { digestAlgorithms } });
        assert.deepEqual((res.body as ServiceSettingsView).sip.digestAlgorithms, digestAlgorithms);
        assert.deepEqual(((await call('GET', '/v1/settings')).body as ServiceSettingsView).sip.digestAlgorithms, digestAlgorithms);
      }

      const before = backend.settingsInputs.length;
      await refused('PATCH', '/v1/settings', { sip: { port: 0 } }, 400, 'sip.port', /from 1 to 65535/);
      await refused('PATCH', '/v1/settings', { sip: { port: 65536 } }, 400, 'sip.port', /from 1 to 65535/);
      await refused('PATCH', '/v1/settings', { sip: { tlsPort: '5061' } }, 400, 'sip.tlsPort', /integer/);
      await refused('PATCH', '/v1/settings', { sip: { tlsPort: 5061.5 } }, 400, 'sip.tlsPort', /integer/);
      await refused('PATCH', '/v1/settings', { sip: { tlsMinVersion: 'TLSv1.1' } }, 400, 'sip.tlsMinVersion', /TLSv1\.2, TLSv1\.3/);
      await refused('PATCH', '/v1/settings', { sip: { listen: ['0.0.0.0'] } }, 400, 'sip.listen', /unknown field/);
      await refused('PATCH', '/v1/settings', { sip: { digestAlgorithms: [] } }, 400, 'sip.digestAlgorithms', /SHA-256 and\/or MD5.*at least one/);
      await refused('PATCH', '/v1/settings', { sip: { digestAlgorithms: ['SHA-256', 'SHA-1'] } }, 400, 'sip.digestAlgorithms', /unknown algorithm "SHA-1"/);
      await refused('PATCH', '/v1/settings', { sip: { digestAlgorithms: ['md5'] } }, 400, 'sip.digestAlgorithms', /unknown algorithm "md5"/);
      await refused('PATCH', '/v1/settings', { sip: { digestAlgorithms: [5] } }, 400, 'sip.digestAlgorithms', /unknown algorithm 5/);
      await refused('PATCH', '/v1/settings', { sip: { digestAlgorithms: ['MD5', 'SHA-256', 'MD5'] } }, 400, 'sip.digestAlgorithms', /MD5 is listed twice/);
      await refused('PATCH', '/v1/settings', { sip: { digestAlgorithms: 'MD5' } }, 400, 'sip.digestAlgorithms', /as an array/);
      await refused('PATCH', '/v1/settings', { sip: { digestAlgorithms: null } }, 400, 'sip.digestAlgorithms', /as an array/);
      await refused('PATCH', '/v1/settings', { web: { port: -1 } }, 400, 'web.port', /from 0 to 65535/);
      await refused('PATCH', '/v1/settings', { web: { httpRedirectPort: 70000 } }, 400, 'web.httpRedirectPort', /from 0 to 65535/);
      await refused('PATCH', '/v1/settings', { web: { tlsMinVersion: '1.3' } }, 400, 'web.tlsMinVersion');
      await refused('PATCH', '/v1/settings', { web: { idleTimeoutMinutes: 0 } }, 400, 'web.idleTimeoutMinutes', /from 1 to 1440/);
      await refused('PATCH', '/v1/settings', { web: { idleTimeoutMinutes: 1441 } }, 400, 'web.idleTimeoutMinutes', /from 1 to 1440/);
      await refused('PATCH', '/v1/settings', { web: { sessionMinutes: 5 } }, 400, 'web.sessionMinutes', /unknown field/);
      await refused('PATCH', '/v1/settings', { sip: 5060 }, 400, 'sip', /object/);
      await refused('PATCH', '/v1/settings', { web: null }, 400, 'web', /object/);
      await refused('PATCH', '/v1/settings', { log: { level: 'debug' } }, 400, 'log', /unknown field/);
      await refused('PATCH', '/v1/settings', [], 400, '(body)');
      assert.equal(backend.settingsInputs.length, before, 'refused before the backend');
      await refused('PATCH', '/v1/settings', { sip: { tlsPort: 5060 } }, 400, 'sip.tlsPort', /must differ from sip\.port/);
      await refused('PUT', '/v1/settings', {}, 405, undefined);
      // The language route below it is unaffected.
      assert.equal((await call('GET', '/v1/settings/language')).status, 200);
    } finally {
      backend.settings = saved;
    }
  });

  test('unknown routes are 404, wrong methods 405 with Allow', async () => {
    for (const path of ['/', '/v1', '/v2/extensions', '/v1/extensions/1001/extra', '/v1/nope', '/v1/acl/white/10.0.0.0/8']) {
      const res = await rawRequest(socketPath, 'GET', path);
      assert.equal(res.status, 404, path);
      assert.equal(errorOf(JSON.parse(res.text)).code, 'EDGESIP_ERR_NOT_FOUND');
    }
    const put = await rawRequest(socketPath, 'PUT', '/v1/extensions', '{}', { 'Content-Type': 'application/json' });
    assert.equal(put.status, 405);
    assert.equal(put.headers.allow, 'GET, POST');
    assert.equal(errorOf(JSON.parse(put.text)).code, 'EDGESIP_ERR_METHOD');
    const get = await rawRequest(socketPath, 'GET', '/v1/extensions/1001');
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'PATCH, DELETE');
    assert.equal((await rawRequest(socketPath, 'POST', '/v1/registrations', '{}')).status, 405);
    assert.equal((await rawRequest(socketPath, 'DELETE', '/v1/blocks')).status, 405);
    // A query string does not change the route.
    assert.equal((await rawRequest(socketPath, 'GET', '/v1/acl?pretty=1')).status, 200);
  });

  test('bodies that are not JSON, empty or over 64 KiB are 400 naming (body)', async () => {
    const bad = await rawRequest(socketPath, 'POST', '/v1/extensions', '{"number": "1", "password": "sekrit-oops', { 'Content-Type': 'application/json' });
    assert.equal(bad.status, 400);
    const badBody = errorOf(JSON.parse(bad.text));
    assert.deepEqual(badBody, { code: 'EDGESIP_ERR_INVALID', message: 'request body is not valid JSON', field: '(body)' });
    assert.doesNotMatch(bad.text, /sekrit/);

    const empty = await rawRequest(socketPath, 'POST', '/v1/acl', '');
    assert.equal(empty.status, 400);
    assert.equal(errorOf(JSON.parse(empty.text)).field, '(body)');

    const big = JSON.stringify({ number: '4001', password: 'long-enough-pass', displayName: 'x'.repeat(70 * 1024) });
    const declared = await rawRequest(socketPath, 'POST', '/v1/extensions', big, { 'Content-Type': 'application/json' });
    assert.equal(declared.status, 400);
    assert.deepEqual(JSON.parse(declared.text), { code: 'EDGESIP_ERR_INVALID', message: 'request body is larger than 65536 bytes', field: '(body)' });

    // Chunked (no Content-Length): counted while reading.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request({ socketPath, method: 'POST', path: '/v1/extensions', agent: false, headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
      for (let i = 0; i < 5; i++) req.write('x'.repeat(16 * 1024));
      req.end();
    });
    assert.equal(chunked, 400);
    // Exactly at the limit is read (and then refused for its content, not its size).
    const atLimit = `"${'y'.repeat(64 * 1024 - 2)}"`;
    const limitRes = await rawRequest(socketPath, 'POST', '/v1/acl', atLimit);
    assert.equal(limitRes.status, 400);
    assert.match(errorOf(JSON.parse(limitRes.text)).message, /JSON object/);
    assert.equal(backend.extensions.has('4001'), false);
  });

  test('other errors are 500 EDGESIP_ERR_INTERNAL with a generic message, logged', async () => {
    const res = await call('DELETE', '/v1/blocks/boom');
    assert.equal(res.status, 500);
    assert.deepEqual(res.body, { code: 'EDGESIP_ERR_INTERNAL', message: 'internal error; see the edgesipd log' });
    const logged = logs.find((l) => l.level === 'warn' && JSON.stringify(l.obj).includes('disk on fire'));
    assert.ok(logged, 'the cause is logged');
  });

  test('request bodies never reach the log', () => {
    const text = JSON.stringify(logs);
    for (const secret of ['correct horse 9', 'Tr0ub4dor', 'good-pass-3001', '839201746512', 'sekrit']) assert.ok(!text.includes(secret), secret);
    assert.ok(logs.some((l) => l.msg === 'control API request'), 'changes are audited');
  });

  test('a second server on a live socket is refused, the live one keeps working', async () => {
    await assert.rejects(
      startControlServer({ socketPath, backend, logger: memoryLogger([]) }),
      (err: unknown) => err instanceof ControlSocketError && err.code === 'EDGESIP_ERR_SOCKET_IN_USE',
    );
    assert.equal((await call('GET', '/v1/acl')).status, 200);
  });
});

describe('control socket lifecycle', () => {
  test('a stale socket file is replaced; close removes the socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesip-ctl-'));
    try {
      const socketPath = join(dir, 'control.sock');
      await makeDeadSocket(socketPath);
      assert.ok(statSync(socketPath).isSocket());
      await assert.rejects(controlRequest(socketPath, 'GET', '/v1/acl'), (err: unknown) => err instanceof ControlClientError && err.code === 'EDGESIP_ERR_NOT_RUNNING');

      const server = await startControlServer({ socketPath, backend: new FakeBackend(), logger: memoryLogger([]) });
      assert.equal(statSync(socketPath).mode & 0o777, 0o660);
      assert.equal((await controlRequest(socketPath, 'GET', '/v1/acl')).status, 200);
      await server.close();
      assert.equal(existsSync(socketPath), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a path that is not a socket is never deleted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesip-ctl-'));
    try {
      const socketPath = join(dir, 'control.sock');
      writeFileSync(socketPath, 'precious');
      await assert.rejects(
        startControlServer({ socketPath, backend: new FakeBackend(), logger: memoryLogger([]) }),
        (err: unknown) => err instanceof ControlSocketError && err.code === 'EDGESIP_ERR_SOCKET_PATH',
      );
      assert.ok(statSync(socketPath).isFile());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the client reports a missing daemon as EDGESIP_ERR_NOT_RUNNING', async () => {
    await assert.rejects(
      controlRequest(join(tmpdir(), 'edgesip-no-such-dir', 'control.sock'), 'GET', '/v1/extensions'),
      (err: unknown) => err instanceof ControlClientError && err.code === 'EDGESIP_ERR_NOT_RUNNING' && /not running/.test(err.message),
    );
  });
});

/**
 * Leaves a socket file with no listener: a child process binds it and is killed, so
 * nothing unlinks the path (as after a crash of the daemon).
 */
async function makeDeadSocket(socketPath: string): Promise<void> {
  const script = `const s=require('net').createServer();s.listen(${JSON.stringify(socketPath)},()=>process.kill(process.pid,'SIGKILL'));`;
  spawnSync(process.execPath, ['-e', script]);
}

test('parseIsoInstant: dates are 00:00 UTC, date-times need a zone', () => {
  const ms = (text: string): number | string => {
    const r = parseIsoInstant(text);
    return r.ok ? r.ms : r.reason;
  };
  assert.equal(ms('2026-11-26'), Date.parse('2026-11-26T00:00:00Z'));
  assert.equal(ms('2026-11-26T08:30Z'), Date.parse('2026-11-26T08:30:00Z'));
  assert.equal(ms('2026-11-26T08:30:15.25Z'), Date.parse('2026-11-26T08:30:15.250Z'));
  assert.equal(ms('2026-11-26t08:30:15.123456z'), Date.parse('2026-11-26T08:30:15.123Z'));
  assert.equal(ms('2026-11-26T16:30:00+08:00'), Date.parse('2026-11-26T08:30:00Z'));
  assert.equal(ms('2026-11-26T01:00:00-05:30'), Date.parse('2026-11-26T06:30:00Z'));
  assert.equal(ms('2024-02-29'), Date.parse('2024-02-29T00:00:00Z'));
  assert.match(String(ms('2026-11-26T08:30:00')), /time zone/);
  assert.match(String(ms('2025-02-29')), /no such date/);
  for (const bad of ['', '2026-11-2', '26-11-2026', '2026/11/26', '2026-11-26 08:30Z', '2026-11-26T8:30Z', 'now', '2026-11-26T08:30:00+0800']) {
    assert.equal(parseIsoInstant(bad).ok, false, bad);
  }
});

test('queryOf: the query string of a request target', () => {
  assert.equal(queryOf('/v1/cdr?since=2024-05-01&limit=5').get('limit'), '5');
  assert.equal(queryOf('/v1/cdr?since=2024-05-01T10:00%2B08:00#x').get('since'), '2024-05-01T10:00+08:00');
  assert.equal([...queryOf('/v1/cdr').keys()].length, 0);
  assert.equal([...queryOf('/v1/cdr#a?b=1').keys()].length, 0);
});
