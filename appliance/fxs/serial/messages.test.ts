import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeToken,
  encodeToken,
  formatAck,
  formatAgentHello,
  formatBoardHello,
  formatCommand,
  formatEvent,
  formatNak,
  MAX_TEXT_BYTES,
  nextSeq,
  parseAgentHello,
  parseBoardHello,
  parseCommand,
  parseControlText,
  parseEvent,
  type BoardCommand,
  type BoardEvent,
} from './messages';

const COMMANDS: Array<[BoardCommand, string]> = [
  [{ kind: 'ring', line: 1, cadenceMs: [1000, 4000] }, 'RING 1 1000,4000'],
  [{ kind: 'ring', line: 2, cadenceMs: [400, 200, 400, 2000] }, 'RING 2 400,200,400,2000'],
  [{ kind: 'ring-stop', line: 3 }, 'RINGSTOP 3'],
  [{ kind: 'polarity', line: 1, reversed: true }, 'POLARITY 1 reversed'],
  [{ kind: 'polarity', line: 1, reversed: false }, 'POLARITY 1 normal'],
  [{ kind: 'caller-id', line: 4, mode: 'fsk', number: '13800138000', name: 'Zhang San' }, 'CID 4 fsk number=13800138000 name=Zhang%20San'],
  [{ kind: 'caller-id', line: 1, mode: 'dtmf', number: '*31#100', name: '' }, 'CID 1 dtmf number=*31#100 name='],
  [{ kind: 'caller-id', line: 1, mode: 'fsk', number: 'P', name: '张三 100%!' }, 'CID 1 fsk number=P name=%E5%BC%A0%E4%B8%89%20100%25%21'],
  [{ kind: 'tone', line: 2, tone: 'dial', country: 'cn' }, 'TONE 2 dial cn'],
  [{ kind: 'tone', line: 2, tone: 'off', country: 'us' }, 'TONE 2 off us'],
  [{ kind: 'audio', line: 1, on: true, codec: 'pcma' }, 'AUDIO 1 on pcma'],
  [{ kind: 'audio', line: 1, on: false, codec: 'pcmu' }, 'AUDIO 1 off pcmu'],
];

const EVENTS: Array<[BoardEvent, string]> = [
  [{ kind: 'off-hook', line: 1 }, 'OFFHOOK 1'],
  [{ kind: 'on-hook', line: 2 }, 'ONHOOK 2'],
  [{ kind: 'flash', line: 3 }, 'FLASH 3'],
  [{ kind: 'ring-trip', line: 4 }, 'RINGTRIP 4'],
  [{ kind: 'digit', line: 1, digit: '*' }, 'DIGIT 1 *'],
  [{ kind: 'digit', line: 1, digit: '#' }, 'DIGIT 1 #'],
  [{ kind: 'digit', line: 1, digit: 'D' }, 'DIGIT 1 D'],
];

test('commands: exact text and back', () => {
  for (const [cmd, text] of COMMANDS) {
    assert.deepEqual(formatCommand(cmd), { ok: true, value: text });
    assert.deepEqual(parseCommand(text), { ok: true, value: cmd }, text);
  }
  assert.deepEqual(parseCommand('PING'), { ok: true, value: { kind: 'ping' } });
});

test('events: exact text and back', () => {
  for (const [event, text] of EVENTS) {
    assert.equal(formatEvent(event), text);
    assert.deepEqual(parseEvent(text), { ok: true, value: event });
  }
});

test('commands that cannot go on the wire fail with the reason a board would give', () => {
  const reasons = (cmd: unknown) => {
    const r = formatCommand(cmd as BoardCommand);
    return r.ok ? 'ok' : r.reason;
  };
  assert.equal(reasons({ kind: 'ring-stop', line: 0 }), 'bad-line');
  assert.equal(reasons({ kind: 'ring-stop', line: 65 }), 'bad-line');
  assert.equal(reasons({ kind: 'ring-stop', line: 1.5 }), 'bad-line');
  assert.equal(reasons({ kind: 'ring', line: 1, cadenceMs: [1000] }), 'bad-args');
  assert.equal(reasons({ kind: 'ring', line: 1, cadenceMs: [1000, 0] }), 'bad-args');
  assert.equal(reasons({ kind: 'ring', line: 1, cadenceMs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }), 'bad-args');
  assert.equal(reasons({ kind: 'ring', line: 1, cadenceMs: [30001, 100] }), 'bad-args');
  assert.equal(reasons({ kind: 'tone', line: 1, tone: 'dial', country: 'CN' }), 'bad-args');
  assert.equal(reasons({ kind: 'tone', line: 1, tone: 'howler', country: 'cn' }), 'bad-args');
  assert.equal(reasons({ kind: 'audio', line: 1, on: true, codec: 'g722' }), 'bad-args');
  assert.equal(reasons({ kind: 'caller-id', line: 1, mode: 'fsk', number: '1'.repeat(33), name: '' }), 'bad-args');
});

test('a caller ID name is cut, at a character boundary, so that the frame fits in 200 bytes', () => {
  const cmd: BoardCommand = { kind: 'caller-id', line: 12, mode: 'fsk', number: '1'.repeat(32), name: '长'.repeat(100) };
  const r = formatCommand(cmd);
  assert.ok(r.ok);
  assert.ok(`65535 ${r.value}`.length <= MAX_TEXT_BYTES, `${r.value.length}`);
  const back = parseCommand(r.value);
  assert.ok(back.ok && back.value.kind === 'caller-id');
  assert.ok(back.value.name.length > 0 && /^长+$/.test(back.value.name), back.value.name);
});

test('malformed command and event text is refused with a reason', () => {
  const cases: Array<[string, string]> = [
    ['JUMP 1', 'unknown-verb'],
    ['RING 1', 'bad-args'],
    ['RING x 1000,4000', 'bad-line'],
    ['RING 01 1000,4000', 'bad-line'],
    ['RING 1 1000,4000,5', 'bad-args'],
    ['POLARITY 1 sideways', 'bad-args'],
    ['CID 1 fsk number=1', 'bad-args'],
    ['CID 1 fsk number=%4 name=', 'bad-args'],
    ['CID 1 smoke number=1 name=', 'bad-args'],
    ['TONE 1 dial cnn', 'bad-args'],
    ['AUDIO 1 maybe pcmu', 'bad-args'],
    ['PING 1', 'bad-args'],
  ];
  for (const [text, reason] of cases) {
    const r = parseCommand(text);
    assert.equal(r.ok ? 'ok' : r.reason, reason, text);
  }
  for (const [text, reason] of [['HANGUP 1', 'unknown-verb'], ['DIGIT 1 E', 'bad-args'], ['DIGIT 1', 'bad-args'], ['OFFHOOK', 'bad-line'], ['OFFHOOK 1 2', 'bad-args']] as const) {
    const r = parseEvent(text);
    assert.equal(r.ok ? 'ok' : r.reason, reason, text);
  }
});

test('link words: sequenced, ACK, NAK; anything else is not one', () => {
  assert.deepEqual(parseControlText('17 RING 1 1000,4000'), { kind: 'sequenced', seq: 17, body: 'RING 1 1000,4000' });
  assert.deepEqual(parseControlText(formatAck(65535)), { kind: 'ack', seq: 65535 });
  assert.deepEqual(parseControlText(formatNak(3, 'bad-line')), { kind: 'nak', seq: 3, reason: 'bad-line' });
  for (const text of ['17', '65536 PING', '-1 PING', '01 PING', 'A', 'A x', 'N 3', 'N 3 Bad', 'X 1', ' 1 PING']) {
    assert.equal(parseControlText(text), undefined, text);
  }
  assert.equal(nextSeq(1), 2);
  assert.equal(nextSeq(65535), 1);
});

test('HELLOs: the agent offers a version and a session; the board answers with itself', () => {
  assert.equal(formatAgentHello(1, '0A1B2C3D'), 'HELLO 1 session=0A1B2C3D');
  assert.deepEqual(parseAgentHello('HELLO 1 session=0A1B2C3D'), { ok: true, value: { version: 1, session: '0A1B2C3D' } });
  assert.equal(parseAgentHello('HELLO 1').ok, false);
  assert.equal(parseAgentHello('HELLO 1 session=00000000').ok, false);
  const hello = { version: 1, lines: 4, caps: ['cid-fsk', 'pcmu'], firmware: 'v1.2 beta', offHook: [false, true, false, false] };
  const text = formatBoardHello(hello, '0A1B2C3D');
  assert.equal(text, 'HELLO 1 lines=4 caps=cid-fsk,pcmu fw=v1.2%20beta hook=0100 session=0A1B2C3D');
  assert.deepEqual(parseBoardHello(text), { ok: true, value: { hello, session: '0A1B2C3D' } });
  // Fields in any order, unknown ones ignored (later versions may add some).
  assert.deepEqual(parseBoardHello('HELLO 1 session=0A1B2C3D hook=1 x=y lines=1 caps= fw=a'), {
    ok: true,
    value: { hello: { version: 1, lines: 1, caps: [], firmware: 'a', offHook: [true] }, session: '0A1B2C3D' },
  });
  for (const bad of ['HELLO 1 lines=2 hook=010 session=0A1B2C3D', 'HELLO 1 lines=0 hook= session=0A1B2C3D', 'HELLO x lines=1 hook=0 session=0A1B2C3D', 'HELLO 1 lines=1 hook=0 session=zz']) {
    assert.equal(parseBoardHello(bad).ok, false, bad);
  }
});

test('a HELLO of another version is read for its version alone', () => {
  const r = parseBoardHello('HELLO 2 ports=8 whatever');
  assert.ok(r.ok);
  assert.equal(r.value.hello.version, 2);
});

test('tokens: percent-encoding of UTF-8, and nothing else decodes', () => {
  for (const s of ['', 'plain', 'with space', '100%', 'bang!', '张三', 'tab\t', 'é*#']) {
    const t = encodeToken(s);
    assert.ok(/^[\x22-\x7e]*$/.test(t), t);
    assert.equal(decodeToken(t), s);
  }
  for (const bad of ['%', '%4', '%zz', '%4a', 'a b', 'a!b']) assert.equal(decodeToken(bad), undefined, bad);
});
