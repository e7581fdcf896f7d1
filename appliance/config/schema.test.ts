import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig, defaultForward, defaultRequestUriParams, validateConfig } from './schema';

test('the defaults are valid', () => {
  assert.deepEqual(validateConfig(defaultConfig()), []);
});

test('every problem is reported with its path and reason, unknown fields included', () => {
  const c = defaultConfig() as unknown as Record<string, any>;
  c.language = 'fr';
  c.sip.port = 0;
  c.sip.listen = ['0.0.0.0', 'not-an-ip'];
  c.tls.minVersion = 'TLSv1.1';
  c.log.colour = true;
  delete c.sip.realm;
  const problems = validateConfig(c);
  assert.deepEqual(
    problems.map((p) => p.path).sort(),
    ['language', 'log.colour', 'sip.listen[1]', 'sip.port', 'sip.realm', 'tls.minVersion'],
  );
  assert.match(problems.find((p) => p.path === 'tls.minVersion')!.reason, /TLSv1\.2, TLSv1\.3/);
  assert.equal(problems.find((p) => p.path === 'log.colour')!.reason, 'unknown field');
  assert.equal(problems.find((p) => p.path === 'sip.realm')!.reason, 'missing');
});

test('cross-field rules: distinct ports, certificate and key together', () => {
  const c = defaultConfig();
  c.sip.tlsPort = c.sip.port;
  c.tls.certFile = '/etc/edgesip/cert.pem';
  assert.deepEqual(validateConfig(c).map((p) => p.path).sort(), ['sip.tlsPort', 'tls.keyFile']);
});

test('non-objects are refused at the root and in sections', () => {
  assert.deepEqual(validateConfig(null), [{ path: '(root)', reason: 'must be an object' }]);
  const c = defaultConfig() as unknown as Record<string, unknown>;
  c.tls = 'yes';
  assert.deepEqual(validateConfig(c), [{ path: 'tls', reason: 'must be an object' }]);
});

/** A default config with one extension `number` whose forwarding is `forward` over the defaults. */
function withExtension(number: string, forward: Record<string, unknown> = {}): Record<string, any> {
  const c = defaultConfig() as unknown as Record<string, any>;
  c.extensions.push({ number, displayName: '', maxContacts: 3, enabled: true, allowedNetworks: [], forward: { ...defaultForward(), ...forward }, permission: 'national' });
  return c;
}

test('version 6 with forwarding off and the calls defaults', () => {
  const c = defaultConfig();
  assert.equal(c.version, 6);
  assert.deepEqual(c.calls, { maxForwardHops: 5, maxRingSeconds: 120, cdrRetentionDays: 90 });
  assert.deepEqual(defaultForward(), { always: '', busy: '', noAnswer: '', unavailable: '', noAnswerSeconds: 20 });
  assert.deepEqual(validateConfig(withExtension('101')), []);
  const old = defaultConfig() as unknown as Record<string, any>;
  old.version = 5;
  assert.deepEqual(validateConfig(old), [{ path: 'version', reason: 'must be 6 (files of versions 1 to 5 are migrated when loaded)' }]);
});

test('forward targets: off, an extension number or a dialled number', () => {
  const ok = withExtension('101', { always: '102', busy: 'front-desk', noAnswer: '+8613800138000', unavailable: '*97#', noAnswerSeconds: 5 });
  assert.deepEqual(validateConfig(ok), []);
  assert.deepEqual(validateConfig(withExtension('101', { noAnswerSeconds: 300 })), []);

  const bad = withExtension('101', { always: 'a b', busy: 102, noAnswer: '+-1', unavailable: '1'.repeat(33), noAnswerSeconds: 4 });
  const problems = validateConfig(bad);
  assert.deepEqual(problems.map((p) => p.path).sort(), [
    'extensions[0].forward.always',
    'extensions[0].forward.busy',
    'extensions[0].forward.noAnswer',
    'extensions[0].forward.noAnswerSeconds',
    'extensions[0].forward.unavailable',
  ]);
  assert.match(problems.find((p) => p.path === 'extensions[0].forward.always')!.reason, /extension number or a dialled number/);
  assert.equal(problems.find((p) => p.path === 'extensions[0].forward.noAnswerSeconds')!.reason, 'must be an integer from 5 to 300');
  for (const seconds of [301, 20.5, '20']) {
    assert.deepEqual(validateConfig(withExtension('101', { noAnswerSeconds: seconds })).map((p) => p.path), ['extensions[0].forward.noAnswerSeconds'], String(seconds));
  }
});

test('an extension never forwards to itself, reported with the other problems', () => {
  const c = withExtension('101', { busy: '101', noAnswer: '101' });
  c.language = 'fr';
  assert.deepEqual(validateConfig(c), [
    { path: 'language', reason: 'must be one of en, zh-CN' },
    { path: 'extensions[0].forward.busy', reason: 'must not forward to itself' },
    { path: 'extensions[0].forward.noAnswer', reason: 'must not forward to itself' },
  ]);
});

test('forward: missing, unknown and non-object fields', () => {
  const c = withExtension('101');
  delete c.extensions[0].forward.unavailable;
  c.extensions[0].forward.sometimes = '102';
  assert.deepEqual(validateConfig(c).map((p) => `${p.path}: ${p.reason}`).sort(), [
    'extensions[0].forward.sometimes: unknown field',
    'extensions[0].forward.unavailable: missing',
  ]);
  const d = withExtension('101');
  d.extensions[0].forward = '102';
  assert.deepEqual(validateConfig(d), [{ path: 'extensions[0].forward', reason: 'must be an object' }]);
  const e = withExtension('101');
  delete e.extensions[0].forward;
  assert.deepEqual(validateConfig(e), [{ path: 'extensions[0].forward', reason: 'missing' }]);
});

test('calls: each limit with its range', () => {
  const c = defaultConfig() as unknown as Record<string, any>;
  c.calls = { maxForwardHops: 0, maxRingSeconds: 601, cdrRetentionDays: 3651 };
  assert.deepEqual(validateConfig(c), [
    { path: 'calls.maxForwardHops', reason: 'must be an integer from 1 to 20' },
    { path: 'calls.maxRingSeconds', reason: 'must be an integer from 10 to 600' },
    { path: 'calls.cdrRetentionDays', reason: 'must be an integer from 1 to 3650' },
  ]);
  c.calls = { maxForwardHops: 20, maxRingSeconds: 10, cdrRetentionDays: 1 };
  assert.deepEqual(validateConfig(c), []);
  c.calls = { maxForwardHops: 1.5, maxRingSeconds: 9, cdrRetentionDays: 0 };
  assert.deepEqual(validateConfig(c).map((p) => p.path), ['calls.maxForwardHops', 'calls.maxRingSeconds', 'calls.cdrRetentionDays']);
  delete c.calls;
  assert.deepEqual(validateConfig(c), [{ path: 'calls', reason: 'missing' }]);
});

/** A valid register trunk, with `fields` over it. */
function trunk(fields: Record<string, unknown> = {}): Record<string, any> {
  return {
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
    requestUriParams: 'user=phone',
    callerId: { fromUser: '', fromDisplay: '', pai: '' },
    templates: { from: '', to: '', pai: '' },
    ...fields,
  };
}

/** A config with extensions 101 and 102 and the given trunks, dial plan and inbound routing. */
function withRouting(sections: { trunks?: unknown[]; dialPlan?: unknown[]; inbound?: unknown } = {}): Record<string, any> {
  const c = withExtension('101');
  c.extensions.push({ ...c.extensions[0], number: '102', permission: 'international' });
  c.trunks = sections.trunks ?? [trunk()];
  c.dialPlan = sections.dialPlan ?? [];
  if (sections.inbound !== undefined) c.inbound = sections.inbound;
  return c;
}

const problemsOf = (c: unknown): string[] => validateConfig(c).map((p) => `${p.path}: ${p.reason}`);

test('trunks, dial plan and inbound: the defaults are empty; a full example is valid', () => {
  const c = defaultConfig();
  assert.deepEqual([c.trunks, c.dialPlan, c.inbound], [[], [], { dids: [], defaultDestination: '' }]);
  const full = withRouting({
    trunks: [
      trunk({
        proxy: '[2001:db8::5]:5070',
        transport: 'TLS',
        authUsername: 'auth-user@example',
        realm: 'example.net',
        registerExpires: 60,
        peers: ['203.0.113.0/24'],
        requestUriParams: 'user=phone;npdi;foo=bar',
        callerId: { fromUser: '+861012345678', fromDisplay: 'Reception', pai: '+861012345678' },
        templates: { from: 'sip:{number}@{domain}', to: 'sip:{number}@{domain};user=phone', pai: 'sips:{ext}@pbx.example' },
      }),
      trunk({ name: 'carrier_2', type: 'ip', domain: '198.51.100.7:5080', username: '', peers: ['198.51.100.7'], requestUriParams: '', registerExpires: 86400, enabled: false }),
    ],
    dialPlan: [
      { name: 'emergency', pattern: '11[09]', strip: 0, prefix: '', trunks: ['itsp'], class: 'emergency' },
      { name: 'intl', pattern: '900.', strip: 1, prefix: '', trunks: ['itsp', 'carrier_2'], class: 'international' },
      { name: 'mobile', pattern: '91[3-9]XXXXXXXXX', strip: 1, prefix: '+86', trunks: ['carrier_2'], class: 'national' },
      { name: 'star', pattern: '*9#', strip: 3, prefix: '0', trunks: ['itsp'], class: 'local' },
    ],
    inbound: { dids: [{ did: '+861012345678', extension: '101' }, { did: '5551234', extension: '102' }], defaultDestination: '101' },
  });
  assert.deepEqual(problemsOf(full), []);
});

test('trunk fields: each checked with its path and reason', () => {
  const bad = withRouting({
    trunks: [
      trunk({
        name: 'Bad Name',
        type: 'peer',
        domain: 'exa mple.com',
        proxy: 'proxy.example:70000',
        transport: 'udp',
        username: 'a b',
        authUsername: 'say "x"',
        realm: 'r\n',
        registerExpires: 59,
        peers: ['10.0.0.0/33'],
        requestUriParams: ';user=phone',
        callerId: { fromUser: 'a@b', fromDisplay: 'x"y', pai: 'http://x' },
        templates: { from: 'sip:{user}@{domain}', to: 'sip:{number} @x', pai: '{number}@{domain}' },
      }),
    ],
  });
  assert.deepEqual(problemsOf(bad), [
    'trunks[0].name: must be 1-32 lower-case letters, digits, dashes or underscores, starting with a letter or digit',
    'trunks[0].type: must be one of register, ip',
    'trunks[0].domain: must be a host name or IP address with an optional :port (IPv6 in brackets: [2001:db8::1]:5060)',
    'trunks[0].proxy: has a port that is not from 1 to 65535',
    'trunks[0].transport: must be one of UDP, TCP, TLS',
    "trunks[0].username: must be 1-64 characters allowed in the user part of a SIP URI (letters, digits, - _ . ! ~ * ' ( ) & = + $ , ; ? / and %XX escapes)",
    'trunks[0].authUsername: must be at most 128 characters without quotes, backslashes or control characters',
    'trunks[0].realm: must be at most 128 characters without quotes, backslashes or control characters',
    'trunks[0].registerExpires: must be an integer from 60 to 86400',
    'trunks[0].peers[0]: must be an IPv4 or IPv6 network such as 192.0.2.0/24',
    "trunks[0].requestUriParams: must not start with ';' (write user=phone, not ;user=phone)",
    "trunks[0].callerId.fromUser: must be 1-64 characters allowed in the user part of a SIP URI (letters, digits, - _ . ! ~ * ' ( ) & = + $ , ; ? / and %XX escapes)",
    'trunks[0].callerId.fromDisplay: must be at most 64 characters without quotes, backslashes or control characters',
    'trunks[0].callerId.pai: must be empty or a number (the user part of sip:NUMBER@domain; for another URI use the PAI template)',
    'trunks[0].templates.from: has an unknown placeholder {user}; use {number}, {ext} or {domain}',
    "trunks[0].templates.to: must be a sip:, sips: or tel: URI without spaces, quotes, '<', '>' or stray braces, e.g. sip:{number}@{domain}",
    "trunks[0].templates.pai: must be a sip:, sips: or tel: URI without spaces, quotes, '<', '>' or stray braces, e.g. sip:{number}@{domain}",
  ]);
});

test('trunk domains and proxies: names, IPv4, bracketed IPv6, ports', () => {
  for (const domain of ['sip.example.net', 'sip.example.net:5080', 'localhost', '192.0.2.1', '192.0.2.1:5060', '[2001:db8::1]', '[2001:db8::1]:5061', 'a-b.c1.example']) {
    assert.deepEqual(problemsOf(withRouting({ trunks: [trunk({ domain, proxy: domain })] })), [], domain);
  }
  for (const domain of ['', 'sip.example.net:', 'sip.example.net:0', ':5060', '-bad.example', 'bad-.example', 'a..b', '192.0.2.256', '1.2.3', '2001:db8::1', '[2001:db8::1', '[192.0.2.1]', '[2001:db8::1]5060', 'sip:x.example', 'x.example/path']) {
    const problems = validateConfig(withRouting({ trunks: [trunk({ domain })] }));
    assert.deepEqual(problems.map((p) => p.path), ['trunks[0].domain'], domain);
  }
  assert.match(problemsOf(withRouting({ trunks: [trunk({ domain: '2001:db8::1' })] }))[0]!, /IPv6 address needs brackets/);
  assert.deepEqual(problemsOf(withRouting({ trunks: [trunk({ proxy: '' })] })), [], "proxy '' = resolve the domain");
});

test('Request-URI parameters: token[=token] separated by semicolons, each name once, no transport', () => {
  for (const params of ['', 'user=phone', 'user=phone;foo=bar', 'npdi', 'a=1;b;c=x-y.z', "x=%41!*_+`'~"]) {
    assert.deepEqual(problemsOf(withRouting({ trunks: [trunk({ requestUriParams: params })] })), [], params);
  }
  const reasons: [string, RegExp][] = [
    [';user=phone', /must not start with ';'/],
    ['user=phone;', /"" is not/],
    ['user=phone;;a', /"" is not/],
    ['user=', /"user=" is not/],
    ['=phone', /"=phone" is not/],
    ['user=ph one', /"user=ph one" is not/],
    ['user="phone"', /is not/],
    ['a=b=c', /"a=b=c" is not/],
    ['user=phone;USER=ip', /names the parameter USER twice/],
    ['transport=tcp', /must not set transport/],
    ['x'.repeat(257), /at most 256/],
  ];
  for (const [params, reason] of reasons) {
    const problems = validateConfig(withRouting({ trunks: [trunk({ requestUriParams: params })] }));
    assert.equal(problems.length, 1, params);
    assert.equal(problems[0]!.path, 'trunks[0].requestUriParams');
    assert.match(problems[0]!.reason, reason, params);
  }
});

test('trunk types: ip trunks need peers, register trunks a username; names unique and not reserved', () => {
  assert.deepEqual(problemsOf(withRouting({ trunks: [trunk({ type: 'ip', username: '' })] })), [
    'trunks[0].peers: is required for ip trunks: the networks the provider sends calls from',
  ]);
  assert.deepEqual(problemsOf(withRouting({ trunks: [trunk({ username: '' })] })), ['trunks[0].username: is required for register trunks']);
  assert.deepEqual(problemsOf(withRouting({ trunks: [trunk({ peers: ['192.0.2.0/24'] })] })), [], 'register trunks may list extra peers');
  assert.deepEqual(problemsOf(withRouting({ trunks: [trunk(), trunk()] })), ['trunks[1].name: duplicate name itsp']);
  assert.deepEqual(problemsOf(withRouting({ trunks: [trunk({ name: 'status' })] })), ['trunks[0].name: "status" is reserved']);
  const missing = trunk();
  delete missing.templates;
  missing.colour = 'red';
  assert.deepEqual(problemsOf(withRouting({ trunks: [missing] })), ['trunks[0].colour: unknown field', 'trunks[0].templates: missing']);
});

test('dial rules: fields, known trunks, strip against the pattern', () => {
  const rule = (fields: Record<string, unknown>) => ({ name: 'out', pattern: '9X.', strip: 1, prefix: '', trunks: ['itsp'], class: 'national', ...fields });
  assert.deepEqual(problemsOf(withRouting({ dialPlan: [rule({})] })), []);
  assert.deepEqual(
    problemsOf(withRouting({ dialPlan: [rule({ name: 'A', pattern: '9X.X', strip: 33, prefix: '0-1', trunks: [], class: 'premium' })] })),
    [
      'dialPlan[0].name: must be 1-32 lower-case letters, digits, dashes or underscores, starting with a letter or digit',
      "dialPlan[0].pattern: '.' may only come last (position 3)",
      'dialPlan[0].strip: must be an integer from 0 to 32',
      'dialPlan[0].prefix: must be at most 32 digits, * # or +',
      'dialPlan[0].trunks: must be a non-empty list of trunk names',
      'dialPlan[0].class: must be one of internal, local, national, international, emergency',
    ],
  );
  assert.deepEqual(problemsOf(withRouting({ dialPlan: [rule({ trunks: ['itsp', 'nope', 'itsp'] })] })), [
    'dialPlan[0].trunks[2]: duplicate trunk itsp',
    'dialPlan[0].trunks[1]: no trunk nope',
  ]);
  assert.deepEqual(problemsOf(withRouting({ dialPlan: [rule({}), rule({ pattern: '8X.' })] })), ['dialPlan[1].name: duplicate name out']);
  // 9X. matches at least 3 characters ('.' is one or more digits): strip 2 leaves one,
  // strip 3 nothing (unless a prefix is added).
  assert.deepEqual(problemsOf(withRouting({ dialPlan: [rule({ strip: 2 })] })), []);
  assert.deepEqual(problemsOf(withRouting({ dialPlan: [rule({ strip: 3 })] })), [
    'dialPlan[0].strip: must be less than 3, the length of the shortest number the pattern matches (nothing would be left to dial)',
  ]);
  assert.deepEqual(problemsOf(withRouting({ dialPlan: [rule({ strip: 3, prefix: '0' })] })), []);
  assert.deepEqual(problemsOf(withRouting({ dialPlan: [rule({ strip: 4, prefix: '0' })] })), [
    'dialPlan[0].strip: must not exceed 3, the length of the shortest number the pattern matches',
  ]);
  assert.deepEqual(problemsOf(withRouting({ trunks: [], dialPlan: [rule({})] })), ['dialPlan[0].trunks[0]: no trunk itsp']);
});

test('inbound: DIDs unique, ringing existing extensions; the default destination exists or is empty', () => {
  const inbound = (dids: unknown[], defaultDestination = '') => withRouting({ inbound: { dids, defaultDestination } });
  assert.deepEqual(problemsOf(inbound([{ did: '5551234', extension: '101' }, { did: '+8610*1#', extension: '102' }], '102')), []);
  assert.deepEqual(problemsOf(inbound([{ did: '5551234', extension: '103' }], '104')), [
    'inbound.dids[0].extension: no extension 103',
    'inbound.defaultDestination: no extension 104',
  ]);
  assert.deepEqual(problemsOf(inbound([{ did: '5551234', extension: '101' }, { did: '5551234', extension: '102' }])), ['inbound.dids[1].did: duplicate did 5551234']);
  assert.deepEqual(problemsOf(inbound([{ did: 'default', extension: '101' }, { did: '1+2', extension: '101' }, { did: '', extension: '101' }])), [
    'inbound.dids[0].did: must be 1-32 digits, * or #, with an optional leading +',
    'inbound.dids[1].did: must be 1-32 digits, * or #, with an optional leading +',
    'inbound.dids[2].did: must be 1-32 digits, * or #, with an optional leading +',
  ]);
  assert.deepEqual(problemsOf(inbound([], 'bad number')), ['inbound.defaultDestination: must be 1-32 letters, digits, dots, dashes or underscores']);
  const c = withRouting();
  delete c.inbound.defaultDestination;
  assert.deepEqual(problemsOf(c), ['inbound.defaultDestination: missing']);
});

test('extension permission: one of the call classes', () => {
  for (const permission of ['internal', 'local', 'national', 'international']) {
    const c = withExtension('101');
    c.extensions[0].permission = permission;
    assert.deepEqual(problemsOf(c), [], permission);
  }
  for (const permission of ['emergency', 'all', undefined]) {
    const c = withExtension('101');
    if (permission === undefined) delete c.extensions[0].permission;
    else c.extensions[0].permission = permission;
    assert.equal(validateConfig(c)[0]?.path, 'extensions[0].permission', String(permission));
  }
});

test('the language default of trunk Request-URI parameters', () => {
  assert.equal(defaultRequestUriParams('zh-CN'), 'user=phone');
  assert.equal(defaultRequestUriParams('en'), '');
});

test('diagnostics.publicResolvers: 1-4 IP addresses, each with an optional port', () => {
  assert.deepEqual(defaultConfig().diagnostics, { publicResolvers: ['119.29.29.29', '223.5.5.5'] });
  const withResolvers = (list: unknown): Record<string, any> => ({ ...defaultConfig(), diagnostics: { publicResolvers: list } });
  assert.deepEqual(validateConfig(withResolvers(['8.8.8.8', '127.0.0.1:5353', '2001:db8::53', '[2001:db8::53]:5353'])), []);
  for (const bad of [[], ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4', '1.1.1.5'], 'x']) {
    assert.deepEqual(validateConfig(withResolvers(bad)), [{ path: 'diagnostics.publicResolvers', reason: 'must be a list of 1 to 4 DNS server addresses' }]);
  }
  assert.deepEqual(
    validateConfig(withResolvers(['dns.example.net', '1.2.3.4:0', '[1.2.3.4]:53', 7])).map((p) => p.path),
    ['diagnostics.publicResolvers[0]', 'diagnostics.publicResolvers[1]', 'diagnostics.publicResolvers[2]', 'diagnostics.publicResolvers[3]'],
  );
  const { diagnostics: _d, ...missing } = defaultConfig();
  assert.deepEqual(validateConfig(missing), [{ path: 'diagnostics', reason: 'missing' }]);
});

test('web: ports in range and apart from the SIP ports, TLS versions, idle timeout', () => {
  const c = defaultConfig() as unknown as Record<string, any>;
  assert.deepEqual(c.web, { port: 8443, httpRedirectPort: 0, tlsMinVersion: 'TLSv1.2', idleTimeoutMinutes: 15 });
  const bad = (web: Record<string, unknown>) => validateConfig({ ...c, web: { ...c.web, ...web } });
  assert.deepEqual(bad({ port: 0 }), [], '0 turns the web admin off');
  assert.deepEqual(bad({ port: 5061 }), [{ path: 'web.port', reason: 'must differ from sip.tlsPort (5061)' }]);
  assert.deepEqual(bad({ httpRedirectPort: 8443 }), [{ path: 'web.httpRedirectPort', reason: 'must differ from web.port (8443)' }]);
  assert.deepEqual(bad({ port: 0, httpRedirectPort: 80 }), []);
  assert.equal(bad({ port: 70000 })[0]?.path, 'web.port');
  assert.equal(bad({ tlsMinVersion: 'TLSv1.1' })[0]?.path, 'web.tlsMinVersion');
  assert.equal(bad({ idleTimeoutMinutes: 0 })[0]?.path, 'web.idleTimeoutMinutes');
  assert.equal(bad({ idleTimeoutMinutes: 1441 })[0]?.path, 'web.idleTimeoutMinutes');
});
