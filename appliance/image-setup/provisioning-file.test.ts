import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from '../../test/helpers/paths';
import {
  formatProblem,
  issueText,
  parseProvisioningFile,
  refusalText,
  scrubProvisioningFile,
  type ParsedProvisioningFile,
  type ProvisioningProblem,
  type ProvisioningRequest,
} from './provisioning-file';
import { HASHES, REAL_ECDSA, REAL_ED25519, sshKey } from './testing/fixtures';
import { SSH_KEY_TYPES } from './value-rules';

function parsed(text: string | Buffer): ParsedProvisioningFile {
  const r = parseProvisioningFile(text);
  if (!r.ok) assert.fail(`expected a clean parse, got:\n${r.problems.flatMap(formatProblem).join('\n')}`);
  return r.file;
}

function requestOf(text: string | Buffer): ProvisioningRequest {
  return parsed(text).request;
}

function problemsOf(text: string | Buffer): ProvisioningProblem[] {
  const r = parseProvisioningFile(text);
  assert.equal(r.ok, false, `expected problems in ${JSON.stringify(text)}`);
  return r.ok ? [] : r.problems;
}

/** The English line of the only problem of a one-line file. */
function refusal(line: string): string {
  const problems = problemsOf(`${line}\n`);
  assert.equal(problems.length, 1, JSON.stringify(problems));
  return formatProblem(problems[0] as ProvisioningProblem)[0];
}

describe('edgesip.conf parsing', () => {
  test('every key of a clean file', () => {
    const text = [
      '# EdgeSIP provisioning',
      '',
      'hostname = pbx-office',
      `ssh_authorized_key = ${REAL_ED25519}`,
      `ssh_authorized_key=${REAL_ECDSA}`,
      `admin_password_hash = ${HASHES.yescrypt}`,
      'address = 192.0.2.10/24',
      'gateway = 192.0.2.1',
      'dns = 192.0.2.53, 1.1.1.1 2001:db8::53',
      'edgesip_admin_password = correct horse battery',
      'extension = 301 Vq7-tgh2-Lm9x Front desk',
      'extension = 302 Kd4-pp8w-Ze3n',
      '',
    ].join('\n');
    assert.deepEqual(requestOf(text), {
      hostname: 'pbx-office',
      sshKeys: [
        { type: 'ssh-ed25519', base64: 'AAAAC3NzaC1lZDI1NTE5AAAAIAWZNud53LQ4QwFu23goHjq9yQxib8yXMTv4WapfzTJe', comment: 'alice@laptop' },
        {
          type: 'ecdsa-sha2-nistp256',
          base64: 'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIricQ/zzLnLBUWfjGUY1jB0JXWBJABBzvuaHBFts8qrQ28NsxGk8ZveqcyJ/BmVwNeRXLQLav4mxCpBbfRxEHE=',
          comment: 'bob',
        },
      ],
      adminPasswordHash: HASHES.yescrypt,
      network: { address: '192.0.2.10/24', gateway: '192.0.2.1', dns: ['192.0.2.53', '1.1.1.1', '2001:db8::53'] },
      edgesipAdminPassword: 'correct horse battery',
      extensions: [
        { number: '301', password: 'Vq7-tgh2-Lm9x', name: 'Front desk' },
        { number: '302', password: 'Kd4-pp8w-Ze3n' },
      ],
    });
  });

  test('an empty file and a file of comments ask for nothing', () => {
    assert.deepEqual(requestOf(''), { sshKeys: [], extensions: [] });
    assert.deepEqual(requestOf('# only\n   # comments\n\n\t\n'), { sshKeys: [], extensions: [] });
  });

  test('CRLF line ends and a UTF-8 BOM (Windows editors)', () => {
    const text = '\uFEFF# from Notepad\r\nhostname = pbx\r\n\r\nextension = 301 Vq7-tgh2-Lm9x Empfang\r\n';
    const file = parsed(Buffer.from(text, 'utf8'));
    assert.deepEqual(file.request, { hostname: 'pbx', sshKeys: [], extensions: [{ number: '301', password: 'Vq7-tgh2-Lm9x', name: 'Empfang' }] });
    assert.equal(file.bom, true);
    assert.equal(file.eol, '\r\n');
    assert.equal(file.lines[1]?.text, 'hostname = pbx');
  });

  test('spaces around "=" are optional; one pair of surrounding quotes is removed', () => {
    assert.equal(requestOf('hostname=pbx').hostname, 'pbx');
    assert.equal(requestOf('  hostname   =   pbx   ').hostname, 'pbx');
    assert.equal(requestOf('hostname = "pbx"').hostname, 'pbx');
    // The quotes keep spaces that trimming would drop, and '=' and '#' are plain text in values.
    assert.equal(requestOf('edgesip_admin_password = "  a=b #c long one "').edgesipAdminPassword, '  a=b #c long one ');
    assert.deepEqual(requestOf('extension = 301 Vq7-tgh2-Lm9x "Front desk"').extensions, [{ number: '301', password: 'Vq7-tgh2-Lm9x', name: 'Front desk' }]);
  });

  test('hostname: RFC 1123 labels, at most 64 characters (Linux)', () => {
    for (const ok of ['edgesip', 'pbx-office', 'PBX1', '1pbx', 'pbx.example.com', 'a', `${'a'.repeat(63)}`]) assert.equal(requestOf(`hostname = ${ok}`).hostname, ok);
    assert.equal(refusal('hostname = pbx_office'), 'edgesip.conf line 1 (hostname): "pbx_office" may contain only letters a-z, digits 0-9, hyphens and dots, e.g. pbx-office');
    assert.match(refusal('hostname = -pbx'), /must not start or end with a hyphen/);
    assert.match(refusal('hostname = pbx-'), /must not start or end with a hyphen/);
    assert.match(refusal('hostname = pbx..office'), /empty part/);
    assert.match(refusal('hostname = pbx.'), /empty part/);
    assert.match(refusal('hostname = pbx office'), /only letters/);
    assert.match(refusal(`hostname = ${'a'.repeat(64)}`), /is longer than 63 characters/);
    assert.match(refusal(`hostname = ${'a.'.repeat(32)}b`), /longer than 64 characters/);
    assert.match(refusal('hostname = 办公室'), /only letters/);
  });

  test('ssh_authorized_key: every supported type; the blob must name the same type', () => {
    for (const [i, type] of SSH_KEY_TYPES.entries()) {
      const keys = requestOf(`ssh_authorized_key = ${sshKey(type, i, 'me@host')}`).sshKeys;
      assert.equal(keys.length, 1);
      assert.equal(keys[0]?.type, type);
      assert.equal(keys[0]?.comment, 'me@host');
    }
    // A comment may have spaces; no comment at all is fine.
    assert.equal(requestOf(`ssh_authorized_key = ${sshKey('ssh-rsa', 1, 'Alice Example (laptop)')}`).sshKeys[0]?.comment, 'Alice Example (laptop)');
    assert.equal(requestOf(`ssh_authorized_key = ${sshKey('ssh-rsa', 1)}`).sshKeys[0]?.comment, '');
    // The same key twice in the file is one key.
    assert.equal(requestOf(`ssh_authorized_key = ${REAL_ED25519}\nssh_authorized_key = ${REAL_ED25519.replace('alice@laptop', 'other')}`).sshKeys.length, 1);
  });

  test('ssh_authorized_key refusals say what is wrong', () => {
    const data = REAL_ED25519.split(' ')[1] as string;
    assert.equal(
      refusal(`ssh_authorized_key = ssh-foo ${data}`),
      `edgesip.conf line 1 (ssh_authorized_key): "ssh-foo" is not a supported key type; use one of ${SSH_KEY_TYPES.join(', ')}`,
    );
    assert.match(refusal(`ssh_authorized_key = ${sshKey('ssh-dss', 1)}`), /ssh-dss \(DSA\) keys are not accepted/);
    assert.match(refusal(`ssh_authorized_key = from="192.0.2.0/24" ${REAL_ED25519}`), /options before the key type/);
    assert.match(refusal('ssh_authorized_key = ssh-ed25519'), /has no key data/);
    assert.match(refusal('ssh_authorized_key = ssh-ed25519 AAAA!!!!'), /not valid base64/);
    assert.equal(
      refusal(`ssh_authorized_key = ssh-rsa ${data} alice`),
      'edgesip.conf line 1 (ssh_authorized_key): the key data is an ssh-ed25519 key, but the line says ssh-rsa (was the line cut or edited?)',
    );
    // Only the type name, nothing else: the blob must carry key material.
    assert.match(refusal(`ssh_authorized_key = ${sshKey('ssh-ed25519', 0).split(' ')[0]} ${Buffer.from('\x00\x00\x00\x0bssh-ed25519', 'latin1').toString('base64')}`), /line says ssh-ed25519/);
    assert.match(refusal('ssh_authorized_key = -----BEGIN OPENSSH PRIVATE KEY-----'), /PRIVATE key: give the public key/);
  });

  test('admin_password_hash: the strong crypt(3) formats', () => {
    for (const hash of Object.values(HASHES)) assert.equal(requestOf(`admin_password_hash = ${hash}`).adminPasswordHash, hash);
    const rounds = '$6$rounds=10000$abcdefgh$' + 'x'.repeat(86);
    assert.equal(requestOf(`admin_password_hash = ${rounds}`).adminPasswordHash, rounds);
  });

  test('admin_password_hash: a password, a weak or damaged hash is refused with how to make one', () => {
    assert.equal(
      refusal('admin_password_hash = hunter2hunter2'),
      'edgesip.conf line 1 (admin_password_hash): (value hidden) is not a password hash: never put the password itself here; make one with: mkpasswd -m yescrypt   or   openssl passwd -6',
    );
    assert.match(refusal('admin_password_hash = $1$abcdefgh$G//4keteveJp0qb8z2DxG/'), /\(value hidden\) is not an accepted hash .*mkpasswd -m yescrypt/);
    assert.match(refusal(`admin_password_hash = ${HASHES.sha512.slice(0, -5)}`), /starts like a SHA-512 hash but is incomplete/);
    assert.match(refusal(`admin_password_hash = ${HASHES.yescrypt}:`), /starts like a yescrypt hash/);
    assert.match(refusal('admin_password_hash = $2b$03$abcdefghijklmnopqrstuu5Lo0g67CiD3M4RpN1BmBb4Crp5w7dbK'), /starts like a bcrypt hash/);
    assert.match(refusal('admin_password_hash = !'), /not a password hash/);
  });

  test('address, gateway, dns: a static IPv4 or IPv6 address; without address, DHCP', () => {
    assert.deepEqual(requestOf('address = 192.0.2.10/24').network, { address: '192.0.2.10/24', dns: [] });
    assert.deepEqual(requestOf('address = 2001:db8::10/64\ngateway = fe80::1\ndns = 2001:db8::53').network, { address: '2001:db8::10/64', gateway: 'fe80::1', dns: ['2001:db8::53'] });
    assert.deepEqual(requestOf('address = 10.1.2.3/8\ndns = 10.0.0.53,10.0.0.53 , 9.9.9.9').network, { address: '10.1.2.3/8', dns: ['10.0.0.53', '9.9.9.9'] });
    assert.equal(requestOf('address = DHCP').network, 'dhcp');
    assert.equal(requestOf('hostname = x').network, undefined);
  });

  test('address refusals', () => {
    assert.equal(refusal('address = 10.0.0.5'), 'edgesip.conf line 1 (address): "10.0.0.5" needs a prefix length, e.g. 10.0.0.5/24');
    assert.match(refusal('address = 2001:db8::5'), /needs a prefix length, e\.g\. 2001:db8::5\/64/);
    assert.match(refusal('address = 192.0.2.10/33'), /prefix length must be a number from 1 to 32/);
    assert.match(refusal('address = 192.0.2.10/0'), /from 1 to 32/);
    assert.match(refusal('address = 2001:db8::5/129'), /from 1 to 128/);
    assert.match(refusal('address = 192.0.2.0/24'), /network address of its subnet/);
    assert.match(refusal('address = 192.0.2.255/24'), /broadcast address/);
    assert.match(refusal('address = 192.0.2.300/24'), /"192\.0\.2\.300" is not an IPv4 or IPv6 address/);
    assert.match(refusal('address = fe80::1%eth0/64'), /is not an IPv4 or IPv6 address/);
    assert.match(refusal('address = office'), /is not an IPv4 or IPv6 address with a prefix length/);
  });

  test('gateway and dns refusals: only with a static address, the right family, on the link', () => {
    assert.equal(
      refusal('gateway = 192.0.2.1'),
      'edgesip.conf line 1 (gateway): needs a static address: add address = 192.0.2.10/24 (without address, the board uses DHCP)',
    );
    assert.match(refusal('dns = 1.1.1.1'), /needs a static address/);
    const twoLine = (a: string, b: string) => formatProblem(problemsOf(`${a}\n${b}\n`)[0] as ProvisioningProblem)[0];
    assert.match(twoLine('address = 192.0.2.10/24', 'gateway = 2001:db8::1'), /line 2 \(gateway\): "2001:db8::1" is IPv6 but address 192\.0\.2\.10\/24 is IPv4/);
    assert.match(twoLine('address = 192.0.2.10/24', 'gateway = 198.51.100.1'), /not in the subnet of 192\.0\.2\.10\/24/);
    assert.match(twoLine('address = 192.0.2.10/24', 'gateway = 192.0.2.10'), /the board's own address/);
    assert.match(twoLine('address = 192.0.2.10/24', 'gateway = router'), /"router" is not an IP address/);
    assert.match(twoLine('address = dhcp', 'gateway = 192.0.2.1'), /cannot be used with address = dhcp/);
    assert.match(twoLine('address = 192.0.2.10/24', 'dns = 1.1.1.1; 8.8.8.8'), /"1\.1\.1\.1;" is not an IP address/);
    assert.match(twoLine('address = 192.0.2.10/24', 'dns = ,'), /names no server/);
  });

  test('edgesip_admin_password: at least 12 characters and the daemon\'s own rule', () => {
    assert.equal(requestOf('edgesip_admin_password = twelve-chars').edgesipAdminPassword, 'twelve-chars');
    assert.equal(refusal('edgesip_admin_password = elevenchars'), 'edgesip.conf line 1 (edgesip_admin_password): (value hidden) is too short: at least 12 characters');
    assert.match(refusal('edgesip_admin_password = aaaaaaaaaaaaaaaa'), /\(value hidden\) is too weak: it must not repeat a single character/);
  });

  test('extension: number, password, optional name', () => {
    assert.deepEqual(requestOf('extension = 301 Vq7-tgh2-Lm9x').extensions, [{ number: '301', password: 'Vq7-tgh2-Lm9x' }]);
    assert.deepEqual(requestOf('extension = 0123456789012345   Vq7-tgh2-Lm9x   Sales  team  1  ').extensions, [
      { number: '0123456789012345', password: 'Vq7-tgh2-Lm9x', name: 'Sales  team  1' },
    ]);
    assert.deepEqual(requestOf(`extension = 42 Vq7-tgh2-Lm9x ${'n'.repeat(64)}`).extensions[0]?.name, 'n'.repeat(64));
    assert.deepEqual(requestOf('extension = 42 Vq7-tgh2-Lm9x 前台').extensions[0]?.name, '前台');
  });

  test('extension refusals; the password is never shown', () => {
    assert.equal(
      refusal('extension = 3 Vq7-tgh2-Lm9x'),
      'edgesip.conf line 1 (extension): the first word (value hidden) must be the extension number, 2 to 16 digits: extension = 301 <password> [name]',
    );
    assert.match(refusal('extension = 12345678901234567 Vq7-tgh2-Lm9x'), /2 to 16 digits/);
    assert.match(refusal('extension = Vq7-tgh2-Lm9x 301'), /must be the extension number/);
    assert.equal(refusal('extension = 301'), 'edgesip.conf line 1 (extension 301): extension 301 has no password: extension = 301 <password> [name]');
    assert.equal(refusal('extension = 301 shrt7!x'), 'edgesip.conf line 1 (extension 301): the password (value hidden) is too short: at least 8 characters, no spaces');
    assert.match(refusal('extension = 301 12345678'), /\(extension 301\): the password \(value hidden\) is too weak: a password of digits only/);
    assert.match(refusal(`extension = 301 Vq7-tgh2-Lm9x ${'n'.repeat(65)}`), /longer than 64 characters/);
    assert.match(refusal('extension = 301 Vq7-tgh2-Lm9x Front "desk"'), /must not contain quotes/);
    const dup = problemsOf('extension = 301 Vq7-tgh2-Lm9x\nextension = 301 Kd4-pp8w-Ze3n\n');
    assert.deepEqual(formatProblem(dup[0] as ProvisioningProblem), [
      'edgesip.conf line 2 (extension 301): extension 301 is given twice (first on line 1)',
      'edgesip.conf 第 2 行（extension 301）：分机 301 出现了两次（第一次在第 1 行）',
    ]);
  });

  test('unknown keys, repeated keys, lines without "=", empty values', () => {
    assert.equal(refusal('hostnme = pbx'), 'edgesip.conf line 1 (hostnme): unknown key "hostnme"; did you mean hostname?');
    assert.match(refusal('Hostname = pbx'), /unknown key "Hostname"; did you mean hostname\?/);
    assert.match(refusal('ssh-authorized-key = x'), /did you mean ssh_authorized_key\?/);
    assert.match(refusal('timezone = UTC'), /unknown key "timezone"; known keys: hostname, ssh_authorized_key/);
    assert.match(refusal('= pbx'), /has no key before "="/);
    assert.equal(refusal('hostname pbx'), 'edgesip.conf line 1: is not a "key = value" line (no "="); start comments with #');
    assert.match(refusal('hostname ='), /\(hostname\): has no value/);
    assert.match(refusal('hostname = ""'), /has no value/);
    const twice = problemsOf('hostname = a\nhostname = b\naddress = 192.0.2.1/24\naddress = dhcp\n');
    assert.deepEqual(
      twice.map((p) => formatProblem(p)[0]),
      ['edgesip.conf line 2 (hostname): is given twice (first on line 1); it may appear only once', 'edgesip.conf line 4 (address): is given twice (first on line 3); it may appear only once'],
    );
  });

  test('a file that is not UTF-8', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hostname = pbx\r\n', 'utf16le')]);
    assert.deepEqual(problemsOf(utf16).map(formatProblem), [
      ['edgesip.conf: is UTF-16 text ("Unicode" in Notepad); save it as UTF-8', 'edgesip.conf：是 UTF-16 编码（记事本中的 "Unicode"）；请另存为 UTF-8 编码'],
    ]);
    const latin1 = Buffer.from('# ok\nextension = 301 Vq7-tgh2-Lm9x Caf\xe9\n', 'latin1');
    assert.deepEqual(
      problemsOf(latin1).map((p) => formatProblem(p)[0]),
      ['edgesip.conf line 2: is not UTF-8 text; save the file as UTF-8'],
    );
  });

  test('every problem is collected, in line order, in English and Chinese', () => {
    const text = [
      '# a file with three mistakes', // 1
      'hostname = pbx-office', // 2
      'adress = 10.0.0.5/24', // 3
      '', // 4
      'extension = 301 Vq7-tgh2-Lm9x Front desk', // 5
      '', // 6
      'address = 10.0.0.5', // 7
      'gateway = 10.0.0.1', // 8
    ].join('\r\n');
    const problems = problemsOf(text);
    assert.deepEqual(
      problems.map((p) => [p.line, p.key]),
      [
        [3, 'adress'],
        [7, 'address'],
      ],
    );
    assert.deepEqual(refusalText(problems), [
      'EdgeSIP: edgesip.conf on the boot partition was refused (2 problems); nothing in it was applied.',
      'EdgeSIP：引导分区上的 edgesip.conf 被拒绝（2 个问题），其中的设置均未生效。',
      'edgesip.conf line 3 (adress): unknown key "adress"; did you mean address?',
      'edgesip.conf 第 3 行（adress）：未知的键 "adress"；是否应为 address？',
      'edgesip.conf line 7 (address): "10.0.0.5" needs a prefix length, e.g. 10.0.0.5/24',
      'edgesip.conf 第 7 行（address）："10.0.0.5" 缺少前缀长度，例如 10.0.0.5/24',
      'Fix these lines in edgesip.conf (on the boot partition) and reboot.',
      '请修改引导分区上 edgesip.conf 中的以上各行，然后重启。',
    ]);
  });

  test('no secret ever appears in a message, whatever is wrong with the file', () => {
    const secrets = [
      'hunter2hunter2',
      '$1$abcdefgh$G//4keteveJp0qb8z2DxG/',
      HASHES.sha512.slice(0, 40),
      'tooShort1',
      'ssssssssssssssss',
      'pw1',
      'Swapped-Secret-9',
      '12345678',
      'TypoSecret-123!',
      'MyLoneSecretLine',
      'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW=',
      'DupSecret-1234',
      'Quoted-Secret-x"',
    ];
    const text = [
      `admin_password_hash = ${secrets[0]}`,
      `admin_password_hash = ${secrets[1]}`,
      `admin_password_hash = ${secrets[2]}`,
      `edgesip_admin_password = ${secrets[3]}`,
      `edgesip_admin_password = ${secrets[4]}`,
      `extension = 301 ${secrets[5]} Desk`,
      `extension = ${secrets[6]} 302`,
      `extension = 303 ${secrets[7]}`,
      `edgesip_admin_pasword = ${secrets[8]}`,
      secrets[9],
      'ssh_authorized_key = -----BEGIN OPENSSH PRIVATE KEY-----',
      secrets[10],
      '-----END OPENSSH PRIVATE KEY-----',
      `extension = 304 ${secrets[11]}`,
      `extension = 304 ${secrets[11]}`,
      `extension = 305 ${secrets[12]} Name`,
      `${secrets[7]} = ${secrets[3]}`,
    ].join('\n');
    const problems = problemsOf(text);
    assert.ok(problems.length >= 15, `${problems.length} problems`);
    const everything = [...refusalText(problems), issueText(refusalText(problems)), JSON.stringify(problems)].join('\n');
    for (const secret of secrets) assert.ok(!everything.includes(secret), `secret ${secret} shown in:\n${everything}`);
    assert.match(everything, /\(value hidden\)/);
  });

  test('issue text: backslashes stay literal for agetty', () => {
    assert.equal(issueText(['a \\4 b', '中文']), 'a \\\\4 b\n中文\n\n');
  });
});

describe('scrubbing the applied file', () => {
  const at = Date.parse('2026-11-26T17:00:00.000Z');

  test('secret lines become comments; everything else stays as it was', () => {
    const text = [
      '# my board',
      'hostname = pbx-office',
      `  admin_password_hash = "${HASHES.sha512}"`,
      `ssh_authorized_key = ${REAL_ED25519}`,
      'edgesip_admin_password = correct horse battery',
      '',
      'extension = 301 Vq7-tgh2-Lm9x Front desk',
      'extension = 302 Kd4-pp8w-Ze3n',
      'extension = 303 Kd4-pp8w-Ze3m "Back office"',
      '# the end',
    ].join('\n');
    assert.equal(
      scrubProvisioningFile(parsed(text), at),
      [
        '# my board',
        'hostname = pbx-office',
        '# admin_password_hash: applied 2026-11-26T17:00:00Z, hash removed',
        `ssh_authorized_key = ${REAL_ED25519}`,
        '# edgesip_admin_password: applied 2026-11-26T17:00:00Z, password removed',
        '',
        '# extension 301 "Front desk": applied 2026-11-26T17:00:00Z, password removed',
        '# extension 302: applied 2026-11-26T17:00:00Z, password removed',
        '# extension 303 "Back office": applied 2026-11-26T17:00:00Z, password removed',
        '# the end',
      ].join('\n'),
    );
  });

  test('BOM, CRLF and the final line end are kept; a file without secrets is not rewritten', () => {
    const text = '\uFEFFhostname = pbx\r\nextension = 301 Vq7-tgh2-Lm9x\r\n';
    assert.equal(scrubProvisioningFile(parsed(Buffer.from(text)), at), '\uFEFFhostname = pbx\r\n# extension 301: applied 2026-11-26T17:00:00Z, password removed\r\n');
    assert.equal(scrubProvisioningFile(parsed('hostname = pbx\n'), at), undefined);
    // A scrubbed file parses cleanly and asks for no secret again.
    const again = parsed(scrubProvisioningFile(parsed(text), at) as string).request;
    assert.deepEqual(again, { hostname: 'pbx', sshKeys: [], extensions: [] });
  });
});

describe('the example file of the image (overlays/boot/edgesip.conf.example)', () => {
  const example = readFileSync(join(repoRoot(), 'overlays', 'boot', 'edgesip.conf.example'));

  test('parses cleanly and, every key commented out, asks for nothing', () => {
    assert.deepEqual(requestOf(example), { sshKeys: [], extensions: [] });
  });

  test('each commented-out example line is itself valid', () => {
    const text = example.toString('utf8');
    const uncommented = text.replace(/^#([a-z_]+ ?=)/gm, '$1');
    const keys = [...text.matchAll(/^#([a-z_]+) ?=/gm)].map((m) => m[1]);
    assert.deepEqual(new Set(keys), new Set(['ssh_authorized_key', 'admin_password_hash', 'hostname', 'address', 'gateway', 'dns', 'edgesip_admin_password', 'extension']));
    const request = requestOf(uncommented);
    assert.equal(request.hostname, 'pbx-office');
    assert.equal(request.extensions.length, 2);
    assert.deepEqual(request.network, { address: '192.0.2.10/24', gateway: '192.0.2.1', dns: ['192.0.2.53', '1.1.1.1'] });
  });
});
