/**
 * Test doubles for the transaction layer's boundary (../transaction/channel.ts): a
 * Channel that records what it was given, and the clock/channel/timer values a
 * transaction test starts from.
 */
import type { Clock } from '../clock';
import type { SipMessage, SipRequest } from '../message/message';
import type { Channel, TransportName } from '../transaction/channel';
import { timerValues, type TimerValues } from '../transaction/timers';
import { VirtualClock } from './virtual-clock';

export interface SentMessage {
  readonly at: number;
  readonly msg: SipMessage;
}

/** A Channel that records every message with the clock time it was sent at. */
export class FakeChannel implements Channel {
  readonly reliable: boolean;
  readonly sent: SentMessage[] = [];
  /** When set, `send` throws it (a transport failure known at once, §17.1.4). */
  failWith: Error | undefined;

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    readonly transport: TransportName = 'UDP',
  ) {
    this.reliable = transport !== 'UDP';
  }

  send(msg: SipMessage): void {
    if (this.failWith) throw this.failWith;
    this.sent.push({ at: this.clock.now(), msg });
  }

  /** When each message was sent. */
  times(): number[] {
    return this.sent.map((s) => s.at);
  }

  /** The requests of one method that were sent. */
  requests(method: string): Array<{ at: number; msg: SipRequest }> {
    return this.sent.filter((s): s is { at: number; msg: SipRequest } => s.msg.kind === 'request' && s.msg.method === method);
  }

  /** Each message as `<status or method>@<time>`. */
  statuses(): string[] {
    return this.sent.map((s) => `${s.msg.kind === 'response' ? s.msg.status : s.msg.method}@${s.at}`);
  }
}

/** A virtual clock, a FakeChannel on it, and the RFC 3261 timer values for that channel. */
export function fakeFlow(transport: TransportName = 'UDP', t1?: number): { clock: VirtualClock; channel: FakeChannel; timers: TimerValues } {
  const clock = new VirtualClock();
  const channel = new FakeChannel(clock, transport);
  const timers = timerValues({ reliable: channel.reliable, ...(t1 ? { t1 } : {}) });
  return { clock, channel, timers };
}
