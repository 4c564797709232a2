// The seams between the platform-free core and the runtime it runs in: all
// the core asks of a runtime, so one core runs on each. Node, Moddable and the
// XS host harness each provide these; tests provide virtual-time doubles.

/** A datagram endpoint bound to one local port. Addresses are IP literals. */
export interface DatagramTransport {
  /** Fire-and-forget; a send error is logged by the port, never thrown into the core. */
  send(data: Uint8Array, address: string, port: number): void;
  /** Set by the core; the port calls it once per received datagram. */
  onReceive: ((data: Uint8Array, address: string, port: number) => void) | null;
  close(): void;
  /**
   * Optional: the layer above gave up on a peer (a confirmable message went
   * unanswered through every retransmission). A secure transport starts a
   * new session with it next time: the peer may have lost the old one.
   */
  peerUnresponsive?(address: string, port: number): void;
}

/** Opaque timer handle; each port chooses what it is. */
export type TimerHandle = object | number;

/** Clock and one-shot timers, injected so protocol timeouts run in virtual time. */
export interface Timers {
  /** Monotonic milliseconds. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Safe on a handle that already fired or was cleared. */
  clearTimeout(handle: TimerHandle): void;
}

/** Wall-clock seconds since the Unix epoch (Device /3/0/13 Current Time). */
export interface WallClock {
  epochSeconds(): number;
}

export interface Random {
  /** n random bytes (tokens, message IDs). */
  bytes(n: number): Uint8Array;
  /** Uniform in [0, 1) (jitter, ACK_RANDOM_FACTOR). */
  float(): number;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Levelled trace. Callers never pass secrets (PSKs, keys) into it. */
export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

/**
 * NOR flash, modelled on the Moddable `flash` module: erase sets a whole
 * sector to 0xFF, a write can only clear bits.
 */
export interface Flash {
  readonly blockSize: number; // sector size in bytes (4096 on ESP32)
  readonly byteLength: number; // partition size
  erase(sector: number): void;
  read(offset: number, length: number): Uint8Array;
  write(offset: number, data: Uint8Array): void;
}

/**
 * A few bytes that survive a deep sleep but not a power loss: RTC memory on an ESP32 (RTC_DATA_ATTR), a file on
 * the Linux runtime, memory on Node. A queue-mode client keeps its session there while it sleeps
 * (lwm2m/queue-mode/sleep-state.ts), so a wake touches no flash.
 */
export interface RetainedMemory {
  /** The most bytes write() takes. */
  readonly capacity: number;
  /**
   * What was written before this boot, and how many ms ago (the time slept): once, as reading clears it, so a
   * state is never used twice. Undefined when nothing is kept (a first boot, a power loss, or already taken).
   */
  take(): { bytes: Uint8Array; elapsedMs: number } | undefined;
  /** Keeps `bytes` (at most `capacity`) in place of anything kept; false when it cannot. */
  write(bytes: Uint8Array): boolean;
  /** Forgets what is kept. */
  clear(): void;
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = Object.freeze({
  error() {},
  warn() {},
  info() {},
  debug() {},
});

/**
 * Where a new firmware image goes (Firmware Update, object 5): the next OTA
 * app partition on an ESP32, a file beside the running image on a host. The
 * image streams in; nothing holds it whole in RAM. Methods return an error
 * text (for the log; never a secret) or undefined.
 */
export interface FirmwareSlot {
  /** The largest image the slot holds, bytes. */
  readonly capacity: number;
  /** Starts a new image; what the slot held is gone. */
  open(): string | undefined;
  /** Appends the next bytes. */
  write(data: Uint8Array): string | undefined;
  /** Drops what was written (cancel, a failure); the running firmware is untouched. */
  abort(): void;
  /** Every byte is in; the platform's own check of the image runs here (ESP-IDF verifies it). */
  close(): string | undefined;
  /**
   * Boot the written image next and restart into it. On a device it does not
   * return; on a host the restart may follow later (undefined). An error text
   * when it could not be done (the running image stays).
   */
  activate(): string | undefined;
  /**
   * How this boot came about: running an image booted for the first time and
   * not yet confirmed ('trial'), back on the previous image because a trial
   * failed ('rolled-back'), or 'normal'.
   */
  readonly boot: 'normal' | 'trial' | 'rolled-back';
  /** The running image works (it registered): keep it, no rollback at the next reset. */
  confirm(): void;
}
