/**
 * The machinery the four transaction state machines share, none of their behaviour:
 * the current state and its guarded transitions, the named timers, the start() guard,
 * sending with the §17.1.4 / §17.2.4 transport-error path, and termination (timers,
 * layer hook, TU notices). Each machine keeps its own `switch (this.state)` per input;
 * this class only does what every branch of every machine does the same way.
 */
import type { SipMessage } from '../message/message';
import { toTransportError } from './channel';
import {
  callUser,
  checkTransition,
  silentTxLogger,
  type TransactionEnv,
  type Transaction,
  type TransitionTable,
  type TxLogger,
} from './state';
import { TimerSlots } from './timers';

/** What the machinery needs from the transaction's options: its environment and its TU. */
export interface MachineryEnv<T extends Transaction> extends TransactionEnv {
  readonly user: { onTerminated?(tx: T): void };
}

/**
 * One per transaction, owned by it: `T` is the transaction class, `S` its state type
 * (with "Terminated", the end state of every machine) and `N` its timer names.
 * `owner.kind`, `owner.id` and `owner.channel` must be set before the machinery is built;
 * `owner.transportError` is the machine's own input for a send that failed, and
 * `onTimer` its input for a timer that fired (never after it was stopped or replaced).
 */
export class TransactionMachinery<T extends Transaction, S extends string, N extends string> {
  readonly logger: TxLogger;
  readonly timers: TimerSlots<N>;
  private current: S | 'Terminated';
  private started = false;
  private readonly layerHook: TransactionEnv['onTerminated'];
  private readonly user: MachineryEnv<T>['user'];

  constructor(
    private readonly owner: T,
    env: MachineryEnv<NoInfer<T>>,
    private readonly table: TransitionTable<S | 'Terminated'>,
    initial: S | 'Terminated',
    onTimer: (name: N) => void,
  ) {
    this.current = initial;
    this.logger = env.logger ?? silentTxLogger;
    this.layerHook = env.onTerminated;
    this.user = env.user;
    this.timers = new TimerSlots<N>(env.clock, onTimer);
  }

  get state(): S | 'Terminated' {
    return this.current;
  }

  /** The guard of every `start()`: a transaction starts once. */
  begin(): void {
    if (this.started) throw new Error(`${this.owner.id}: start() called twice`);
    this.started = true;
  }

  /** Names of the running timers (tests, debugging). */
  runningTimers(): N[] {
    return this.timers.names();
  }

  /** Pass a message to the transport; false (and the transport-error path taken) on failure. */
  send(msg: SipMessage): boolean {
    try {
      this.owner.channel.send(msg);
      return true;
    } catch (err) {
      const terr = toTransportError(err);
      this.logger.debug({ tx: this.owner.id, err: terr.message, code: terr.code }, 'send failed');
      this.owner.transportError(terr);
      return false;
    }
  }

  /** Move to `to` if the machine's figure has that edge; IllegalTransitionError otherwise. */
  transition(to: S | 'Terminated'): void {
    checkTransition(this.owner.kind, this.table, this.current, to);
    this.logger.debug({ tx: this.owner.id, from: this.current, to }, 'transaction state');
    this.current = to;
  }

  /**
   * Enter "Terminated" (a no-op when already there). Timers go first, then the layer
   * forgets the transaction, then the TU hears the reason (if any) and the termination.
   */
  terminate(notice?: () => void, what = 'notice'): void {
    if (this.current === 'Terminated') return;
    this.transition('Terminated');
    this.timers.stopAll();
    this.layerHook?.(this.owner);
    if (notice) this.notify(what, notice);
    this.notify('onTerminated', () => this.user.onTerminated?.(this.owner));
  }

  /** End at once without any notice (layer shutdown). Clears every timer. */
  dispose(): void {
    if (this.current === 'Terminated') return;
    this.transition('Terminated');
    this.timers.stopAll();
  }

  /** Start a Completed/Confirmed wait timer; a zero value (reliable transport) ends at once. */
  waitThenTerminate(name: N, ms: number): void {
    if (ms <= 0) this.terminate();
    else this.timers.start(name, ms);
  }

  /** Run a TU callback; a throwing TU is logged, never lets the machine stop half-way. */
  notify(what: string, fn: () => void): void {
    callUser(this.logger, this.owner, what, fn);
  }

  /** A response from the network with a status outside 100-699 is dropped (logged): false. */
  acceptsStatus(status: number): boolean {
    if (isStatusCode(status)) return true;
    this.logger.debug({ tx: this.owner.id, status }, 'response with a bad status dropped');
    return false;
  }

  /** A response from the TU with a status outside 100-699 is a TU bug: RangeError. */
  checkTuStatus(status: number): void {
    if (!isStatusCode(status)) throw new RangeError(`${this.owner.id}: cannot send a response with status ${status}`);
  }

  /** A timer fired in a state that has no use for it (a bug, logged). */
  stray(name: N): void {
    this.logger.warn({ tx: this.owner.id, timer: name, state: this.current }, 'timer fired in a state that does not use it');
  }
}

/** RFC 3261 §7.2 / §21: a status code is three digits, 100-699. */
function isStatusCode(status: number): boolean {
  return Number.isInteger(status) && status >= 100 && status <= 699;
}
