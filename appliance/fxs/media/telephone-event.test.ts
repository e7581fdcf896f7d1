import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  TelephoneEventError,
  TelephoneEventReceiver,
  digitPackets,
  digitToEvent,
  encodeTelephoneEvent,
  eventToDigit,
  parseTelephoneEvent,
  type TelephoneEvent,
} from './telephone-event';

const ev = (event: number, end: boolean, duration: number): TelephoneEvent => ({ event, end, volume: 10, duration });

describe('telephone-event payload', () => {
  it('maps digits to events and back', () => {
    assert.deepEqual([...'0123456789*#ABCD'].map(digitToEvent), [...Array(16).keys()]);
    assert.equal(digitToEvent('a'), 12);
    assert.equal(digitToEvent('E'), undefined);
    assert.equal(digitToEvent('12'), undefined);
    assert.equal(eventToDigit(11), '#');
    assert.equal(eventToDigit(16), undefined); // flash
  });

  it('encodes the RFC 4733 layout', () => {
    // event 5, E=1, volume 10, duration 800
    assert.equal(encodeTelephoneEvent(ev(5, true, 800)).toString('hex'), '058a0320');
    assert.equal(encodeTelephoneEvent(ev(11, false, 400)).toString('hex'), '0b0a0190');
  });

  it('parses, ignoring the reserved bit and redundant events after the first', () => {
    const r = parseTelephoneEvent(Buffer.from('05ca0320' + '040a0190', 'hex'));
    assert.ok(r.ok);
    assert.deepEqual(r.ok && r.event, ev(5, true, 800));
    const short = parseTelephoneEvent(Buffer.from('0501', 'hex'));
    assert.equal(!short.ok && short.error.code, 'EDGESIP_ERR_TE_TOO_SHORT');
  });

  it('refuses out-of-range fields', () => {
    assert.throws(() => encodeTelephoneEvent(ev(5, false, 70000)), (e) => e instanceof TelephoneEventError && e.code === 'EDGESIP_ERR_TE_FIELD');
    assert.throws(() => encodeTelephoneEvent({ ...ev(5, false, 1), volume: 64 }), TelephoneEventError);
  });
});

describe('digitPackets', () => {
  it('sends updates every 50 ms, the marker first, then three end packets', () => {
    const train = digitPackets('7');
    assert.deepEqual(
      train.map((p) => ({ at: p.atMs, m: p.marker, e: parseTelephoneEvent(p.payload) })),
      [
        { at: 0, m: true, e: { ok: true, event: ev(7, false, 400) } },
        { at: 50, m: false, e: { ok: true, event: ev(7, false, 800) } },
        { at: 100, m: false, e: { ok: true, event: ev(7, true, 800) } },
        { at: 120, m: false, e: { ok: true, event: ev(7, true, 800) } },
        { at: 140, m: false, e: { ok: true, event: ev(7, true, 800) } },
      ],
    );
  });

  it('handles a duration that is not a multiple of the interval', () => {
    const train = digitPackets('#', { durationMs: 120 });
    const durations = train.map((p) => {
      const r = parseTelephoneEvent(p.payload);
      return r.ok ? [r.event.duration, r.event.end] : [];
    });
    assert.deepEqual(durations, [
      [400, false],
      [800, false],
      [960, false],
      [960, true],
      [960, true],
      [960, true],
    ]);
  });

  it('refuses what is not a digit', () => {
    assert.throws(() => digitPackets('x'), TelephoneEventError);
  });
});

describe('TelephoneEventReceiver', () => {
  function receiver() {
    const digits: string[] = [];
    return { rx: new TelephoneEventReceiver((d) => digits.push(d)), digits };
  }

  it('reports a digit once for its whole packet train', () => {
    const { rx, digits } = receiver();
    for (const p of digitPackets('5')) {
      const r = parseTelephoneEvent(p.payload);
      if (r.ok) rx.receive(1000, r.event);
    }
    assert.deepEqual(digits, ['5']);
  });

  it('reports a digit when only its end packets arrive', () => {
    const { rx, digits } = receiver();
    rx.receive(1000, ev(9, true, 800));
    rx.receive(1000, ev(9, true, 800));
    rx.receive(1000, ev(9, true, 800));
    assert.deepEqual(digits, ['9']);
  });

  it('reports the same digit twice when pressed twice (new timestamp)', () => {
    const { rx, digits } = receiver();
    rx.receive(1000, ev(1, false, 400));
    rx.receive(1000, ev(1, true, 800));
    rx.receive(3000, ev(1, false, 400));
    rx.receive(3000, ev(1, true, 800));
    assert.deepEqual(digits, ['1', '1']);
  });

  it('ignores a late copy of an earlier event', () => {
    const { rx, digits } = receiver();
    rx.receive(1000, ev(1, true, 800));
    rx.receive(3000, ev(2, true, 800));
    rx.receive(1000, ev(1, true, 800));
    assert.deepEqual(digits, ['1', '2']);
  });

  it('does not report the continuation segment of a long event again', () => {
    const { rx, digits } = receiver();
    rx.receive(0xffff0000, ev(3, false, 0xffff));
    rx.receive((0xffff0000 + 0xffff) >>> 0, ev(3, false, 400)); // wraps the 32-bit timestamp
    rx.receive((0xffff0000 + 0xffff) >>> 0, ev(3, true, 800));
    assert.deepEqual(digits, ['3']);
  });

  it('does not report non-DTMF events', () => {
    const { rx, digits } = receiver();
    rx.receive(1000, ev(16, false, 400)); // hook flash
    assert.deepEqual(digits, []);
    assert.equal(rx.ignored, 1);
  });
});
