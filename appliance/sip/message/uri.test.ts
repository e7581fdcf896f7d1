import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SipParseError } from './errors';
import { formatUri, parseUri, unescapeUri, uriEquals, uriParam, type SipUri, type Uri } from './uri';

function sip(text: string): SipUri {
  const u = parseUri(text);
  assert.equal(u.kind, 'sip', text);
  return u as SipUri;
}

function rejects(text: string): void {
  assert.throws(
    () => parseUri(text),
    (e: unknown) => e instanceof SipParseError && e.code === 'SIP_ERR_URI' && e.status === 400,
    JSON.stringify(text),
  );
}

function eq(a: string, b: string): boolean {
  return uriEquals(parseUri(a), parseUri(b));
}

test('SIP URI components: user, password, host, port, parameters, headers', () => {
  const u = sip('sip:alice:secretword@atlanta.com:5070;transport=tcp;lr?subject=project%20x&priority=urgent');
  assert.equal(u.scheme, 'sip');
  assert.equal(u.user, 'alice');
  assert.equal(u.password, 'secretword');
  assert.equal(u.host, 'atlanta.com');
  assert.equal(u.port, 5070);
  assert.deepEqual([...u.params], [['transport', 'tcp'], ['lr', null]]);
  assert.deepEqual(u.headers, [['subject', 'project%20x'], ['priority', 'urgent']]);
});

test('scheme is case-insensitive; sips is its own scheme', () => {
  assert.equal(sip('SIP:bob@biloxi.com').scheme, 'sip');
  assert.equal(sip('sips:bob@biloxi.com').scheme, 'sips');
});

test('a URI without userinfo, and an empty password', () => {
  const host = sip('sip:registrar.example.com');
  assert.equal(host.user, undefined);
  assert.equal(host.host, 'registrar.example.com');
  const emptyPw = sip('sip:bob:@example.com');
  assert.equal(emptyPw.user, 'bob');
  assert.equal(emptyPw.password, '');
});

test('IPv4 hosts and IPv6 references', () => {
  assert.equal(sip('sip:192.0.2.1:5060').host, '192.0.2.1');
  const v6 = sip('sip:alice@[2001:db8::10]:5061;transport=tls');
  assert.equal(v6.host, '[2001:db8::10]');
  assert.equal(v6.port, 5061);
  assert.equal(sip('sip:[::ffff:192.0.2.1]').host, '[::ffff:192.0.2.1]');
  for (const bad of ['sip:[2001:db8::10', 'sip:[2001:db8:::1]', 'sip:[1:2:3:4:5:6:7:8:9]', 'sip:[gggg::1]', 'sip:[]']) rejects(bad);
});

test('hostnames follow §25.1: labels of alphanum and inner hyphens, alphabetic top label', () => {
  assert.equal(sip('sip:a-b.example.com.').host, 'a-b.example.com.');
  for (const bad of ['sip:-a.example.com', 'sip:a-.example.com', 'sip:a..example.com', 'sip:host_1.example.com', 'sip:256.1.1.1', 'sip:1.2.3']) {
    rejects(bad);
  }
});

test('RFC 4475 Request-URIs: semiuri user part, intmeth characters, escaped headers', () => {
  const semi = sip('sip:user;par=u%40example.net@example.com');
  assert.equal(semi.user, 'user;par=u%40example.net');
  assert.equal(semi.host, 'example.com');
  assert.equal(semi.params.size, 0);

  const weird = sip("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
  assert.equal(weird.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  assert.equal(weird.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");

  const esc = sip('sip:user@example.com?Route=%3Csip:example.com%3E');
  assert.deepEqual(esc.headers, [['Route', '%3Csip:example.com%3E']]);
  assert.equal(unescapeUri(esc.headers[0]![1]), '<sip:example.com>');
});

test('escaped parameter names are decoded for lookup, values on request (esc01)', () => {
  const u = sip('sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31');
  assert.equal(u.params.get('lr'), null);
  assert.equal(uriParam(u, 'name'), 'value%41');
  assert.equal(u.params.get('name'), 'v%61lue%25%34%31');
  assert.equal(uriParam(u, 'LR'), null);
  assert.equal(uriParam(u, 'absent'), undefined);
});

test('unescapeUri keeps %00 as an octet (escnull) and leaves broken escapes alone', () => {
  assert.equal(unescapeUri('null-%00-null'), 'null-\u0000-null');
  assert.equal(unescapeUri('100%'), '100%');
  assert.equal(unescapeUri('%zz%41'), '%zzA');
});

test('other absolute URIs parse opaque with their scheme (RFC 4475 unkscm, novelsc, unksm2)', () => {
  const cases: Array<[string, string, string]> = [
    ['nobodyKnowsThisScheme:totallyopaquecontent', 'nobodyknowsthisscheme', 'totallyopaquecontent'],
    ['soap.beep://192.0.2.103:3002', 'soap.beep', '//192.0.2.103:3002'],
    ['isbn:2983792873', 'isbn', '2983792873'],
    ['http://www.example.com', 'http', '//www.example.com'],
    ['name:John_Smith', 'name', 'John_Smith'],
    ['mailto:watson@example.com', 'mailto', 'watson@example.com'],
  ];
  for (const [text, scheme, opaque] of cases) {
    const u = parseUri(text);
    assert.equal(u.kind, 'absolute', text);
    assert.equal(u.scheme, scheme);
    if (u.kind === 'absolute') assert.equal(u.opaque, opaque);
    assert.equal(formatUri(u), text.replace(/^[^:]+/, scheme));
  }
});

test('tel URIs: global and local numbers with parameters (RFC 3966)', () => {
  const g = parseUri('tel:+1-201-555-0123;ext=1234');
  assert.equal(g.kind, 'tel');
  if (g.kind !== 'tel') return;
  assert.equal(g.global, true);
  assert.equal(g.number, '+1-201-555-0123');
  assert.equal(g.params.get('ext'), '1234');
  const l = parseUri('tel:7042;phone-context=example.com');
  assert.ok(l.kind === 'tel' && !l.global && l.params.get('phone-context') === 'example.com');
  for (const bad of ['tel:', 'tel:+', 'tel:+1 201', 'tel:+12x', 'tel:1234;=x', 'tel:1234;a=<']) rejects(bad);
});

test('malformed URIs are SIP_ERR_URI/400', () => {
  for (const bad of [
    '',
    'sip',
    ':user@host',
    '1sip:host',
    '<sip:user@example.com>', // ltgtruri
    'sip:user@example.com; lr', // lwsruri
    ' sip:t.watson@example.org ', // badaspec
    'sip:user@example.com\t',
    'sip:',
    'sip:user@',
    'sip:@example.com',
    'sip:user@host:',
    'sip:user@host:0',
    'sip:user@host:65536',
    'sip:user@host:123456',
    'sip:user@host:5x',
    'sip:us%zzer@host',
    'sip:us"er@host',
    'sip:user@host;',
    'sip:user@host;a=',
    'sip:user@host;lr;lr',
    'sip:user@host?',
    'sip:user@host?a',
    'sip:user@host?a=b&',
    'sip:user@host>',
    'sip:a@b@c',
    'mailto:<x>',
    'http://exa mple.com',
  ]) {
    rejects(bad);
  }
});

test('formatUri writes a parsed URI back (parameter names lower-cased)', () => {
  for (const text of [
    'sip:alice@atlanta.com',
    'sips:alice:pw@[2001:db8::1]:5061;transport=tcp;lr?subject=a%20b&x=',
    'sip:user;par=u%40example.net@example.com',
    'sip:+19725552222@gw1.example.net;unknownparam',
  ]) {
    assert.equal(formatUri(parseUri(text)), text);
  }
  assert.equal(formatUri(parseUri('sip:a@b.com;Transport=TCP')), 'sip:a@b.com;transport=TCP');
  assert.equal(formatUri(parseUri('tel:+1-201;EXT=7')), 'tel:+1-201;ext=7');
  // A name decoded to a character paramchar does not allow is escaped again.
  assert.equal(formatUri(parseUri('sip:a@b.com;x%3Dy=1')), 'sip:a@b.com;x%3Dy=1');
});

test('formatUri of a URI built in code', () => {
  const u: Uri = { kind: 'sip', scheme: 'sip', user: 'bob', host: 'example.com', port: 5080, params: new Map([['lr', null]]), headers: [] };
  assert.equal(formatUri(u), 'sip:bob@example.com:5080;lr');
});

test('§19.1.4 equivalent URIs', () => {
  assert.ok(eq('sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'));
  assert.ok(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'));
  assert.ok(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'));
  assert.ok(eq('sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;security=on'));
  assert.ok(eq('sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com'));
  assert.ok(eq('sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x'));
  assert.ok(eq('sip:alice@[2001:db8::1]', 'sip:alice@[2001:DB8:0:0:0:0:0:1]'));
});

test('§19.1.4 URIs that are not equivalent', () => {
  assert.ok(!eq('SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP')); // user differs
  assert.ok(!eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060')); // absent port is not 5060
  assert.ok(!eq('sip:bob@biloxi.com', 'sips:bob@biloxi.com'));
  assert.ok(!eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com;user=phone'));
  assert.ok(!eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com;maddr=239.255.255.1'));
  assert.ok(!eq('sip:bob@biloxi.com;transport=udp', 'sip:bob@biloxi.com;transport=tcp'));
  assert.ok(!eq('sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'));
  assert.ok(!eq('sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'));
  assert.ok(!eq('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'));
  assert.ok(!eq('sip:a:x@b.com', 'sip:a@b.com'));
  // An escaped reserved character is not the character (%3B vs ;).
  assert.ok(!eq('sip:a%3Bb@c.com', 'sip:a;b@c.com'));
  // RFC 4475 escnull: %00 and %00%00 are distinct users.
  assert.ok(!eq('sip:%00@host5.example.com', 'sip:%00%00@host5.example.com'));
  assert.ok(!eq('sip:a@b.com', 'tel:+1234'));
});

test('tel and opaque URI comparison', () => {
  assert.ok(eq('tel:+1-201-555-0123', 'tel:+1.201.555.0123'));
  assert.ok(!eq('tel:+1-201-555-0123', 'tel:+1-201-555-0124'));
  assert.ok(eq('tel:7042;phone-context=Example.com', 'tel:7042;PHONE-CONTEXT=example.com'));
  assert.ok(eq('MAILTO:a@b', 'mailto:a@b'));
  assert.ok(!eq('mailto:a@b', 'mailto:A@b'));
});

test('a long URI parses in linear time', () => {
  const long = `sip:${'u'.repeat(20000)}@example.com;${Array.from({ length: 2000 }, (_, i) => `p${i}`).join(';')}`;
  const t0 = process.hrtime.bigint();
  const u = sip(long);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.equal(u.params.size, 2000);
  assert.ok(ms < 500, `took ${ms} ms`);
});
