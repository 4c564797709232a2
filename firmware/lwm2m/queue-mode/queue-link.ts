// Queue Mode, client side (Core 1.1 §6.5, Transport §6.5): a client that
// registered with `Q` listens only for a while after each message it sends
// — at least MAX_TRANSMIT_WAIT by default (ClientOptions.queueMode.awakeMs)
// — and then turns its radio off; the server queues its requests until the
// client is heard from again. Anything the client sends turns the radio on
// again: the Registration Update before the lifetime ends, a notification
// whose pmax is due, a Send, or the application's wake(). Notifications of
// values that change while the radio is off wait for the next wake (the
// newest value per observation, reporting/reporting.ts), so a changing sensor does not
// keep the device awake.
//
// This sits between the platform's socket and everything above it (DTLS, the
// CoAP stack): with the radio off, nothing received reaches the client, as
// on a device whose radio is down.
import type { DatagramTransport, Logger, RetainedMemory, TimerHandle, Timers } from '../../platform/ports';

/** What the platform does when the client no longer needs the radio, or needs it again. */
export interface RadioPower {
  /**
   * Radio off; `nextWakeMs` (from now) is when the client next needs it, when known (a deep sleep's timer).
   * `retained`: the client's registrations, observations and DTLS sessions are in the retained memory (QueueModeOptions.retained), so the platform may
   * deep-sleep: the next boot takes it up without a Register. Without it, a deep sleep would cost a Register.
   */
  off(nextWakeMs: number | undefined, retained: boolean): void;
  /** Radio on again (the platform reconnects if it must); sending goes on at once. */
  on(): void;
}

export interface QueueModeOptions {
  /** Listening window after the last message sent, ms; default MAX_TRANSMIT_WAIT (93 s). */
  awakeMs?: number;
  /** The platform's radio; without it the link only stops delivering what arrives (Node). */
  power?: RadioPower;
  /**
   * Where that state survives a deep sleep (RTC memory; queue-mode/sleep-state.ts): written at each radio-off, read once at
   * boot. Without it every boot registers again.
   */
  retained?: RetainedMemory;
}

export interface QueueLinkHost {
  timers: Timers;
  log: Logger;
  /** When the client next needs the radio, ms from now (the next Update or pmax), for RadioPower.off. */
  nextWake(): number | undefined;
  /** The radio turned on again: deferred notifications go now. */
  woke(): void;
  /** The radio goes off (before the platform is told): keep what a deep sleep needs; true when it was kept. */
  sleeping?(nextWakeMs: number | undefined): boolean;
  /** The radio state changed (ClientEvent 'radio'). */
  changed(on: boolean): void;
}

export class QueueLink implements DatagramTransport {
  onReceive: ((data: Uint8Array, address: string, port: number) => void) | null = null;
  private radioOn = true;
  private timer: TimerHandle | undefined;
  readonly stats = { sleeps: 0, wakes: 0, droppedWhileOff: 0 };

  constructor(
    private readonly inner: DatagramTransport,
    private readonly awakeMs: number,
    private readonly host: QueueLinkHost,
    private readonly power?: RadioPower,
  ) {
    inner.onReceive = (data, address, port) => {
      if (!this.radioOn) {
        this.stats.droppedWhileOff++;
        return;
      }
      this.onReceive?.(data, address, port);
    };
  }

  get awake(): boolean {
    return this.radioOn;
  }

  send(data: Uint8Array, address: string, port: number): void {
    if (!this.radioOn) this.wake('a message to send');
    this.inner.send(data, address, port);
    this.arm();
  }

  /** Radio on (the application has something to report, or a wake source fired); the listening window starts. */
  wake(why: string): void {
    if (this.radioOn) {
      this.arm();
      return;
    }
    this.radioOn = true;
    this.stats.wakes++;
    this.host.log.info(`queue mode: radio on (${why})`);
    this.power?.on();
    this.host.changed(true);
    this.arm();
    this.host.woke();
  }

  /** Stop listening now (the client stopped, or halted). */
  close(): void {
    this.disarm();
    this.inner.close();
  }

  /** The client stops: the radio stays as it is, no window runs. */
  stop(): void {
    this.disarm();
  }

  peerUnresponsive(address: string, port: number): void {
    this.inner.peerUnresponsive?.(address, port);
  }

  private arm(): void {
    this.disarm();
    this.timer = this.host.timers.setTimeout(() => {
      this.timer = undefined;
      this.sleep();
    }, this.awakeMs);
  }

  private disarm(): void {
    if (this.timer !== undefined) {
      this.host.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private sleep(): void {
    if (!this.radioOn) return;
    this.radioOn = false;
    this.stats.sleeps++;
    const next = this.host.nextWake();
    this.host.log.info(`queue mode: radio off${next === undefined ? '' : ` (next needed in ${Math.round(next / 1000)} s)`}`);
    const retained = this.host.sleeping?.(next) ?? false;
    this.host.changed(false);
    this.power?.off(next, retained);
  }
}
