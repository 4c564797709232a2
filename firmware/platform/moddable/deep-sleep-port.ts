// Queue Mode's deep sleep on the device: when the client turns the
// radio off with its session in retained memory (lwm2m/queue-mode/sleep-state.ts), the
// device deep-sleeps until the client next needs the radio — the timer, and
// the wake GPIO if the build names one — and boots again from there: RTC
// memory on an ESP32 (esp32/deep-sleep.c), the process ended and started
// again on the Linux runtime (lin/deep-sleep.ts). A radio-off without a kept
// session, or with a wake too close, keeps the device up (the client only
// stops listening).
//
// The retained record is the client's state behind a 2-byte header of ours:
// the local UDP port, so the woken device talks from the port its servers know
// (a server finds its observations by address and port). It is read once at
// boot and cleared at once: a state must never serve two boots.
import * as DeepSleep from 'deep-sleep';
import type { Logger, Random, RetainedMemory } from '../ports';

/** Why this boot, by deep-sleep wakeCause(). */
export const WAKE_CAUSES: readonly string[] = Object.freeze([
  'power-on or reset',
  'the sleep timer',
  'the wake GPIO',
  'a wake GPIO (ext1, or the GPIO wake of an ESP32-C3)',
  'another wake source',
]);
/** A shorter sleep is not worth a boot: the device stays up with its radio off. */
export const MIN_DEEP_SLEEP_MS = 3000;
/** Where a port is drawn from when the build gives none (localPort=0): the dynamic range (RFC 6335). */
const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = 16384;
const PORT_BYTES = 2;

export interface SleepSettings {
  /** localPort= of the build; 0: the one kept across the sleep, else a random one. */
  localPort: number;
  /** wakePin= (GPIO, -1: none) and wakeLevel= (0 or 1): a button that wakes the device (ext0). */
  wakePin: number;
  wakeLevel: number;
}

export interface DeviceSleep {
  /** The client's retained memory (our header taken off). */
  readonly retained: RetainedMemory;
  /** The local UDP port to open. */
  readonly localPort: number;
  /** Why this boot (WAKE_CAUSES). */
  readonly wakeCause: string;
  /** ClientOptions.queueMode.power. */
  readonly power: { off(nextWakeMs: number | undefined, retained: boolean): void; on(): void };
}

export function openDeviceSleep(s: SleepSettings, random: Random, log: Logger): DeviceSleep {
  const raw = DeepSleep.read();
  const age = DeepSleep.age();
  DeepSleep.clear();
  const cause = WAKE_CAUSES[DeepSleep.wakeCause()] ?? WAKE_CAUSES[4]!;
  let kept: Uint8Array | undefined;
  let keptPort = 0;
  if (raw !== undefined && raw.byteLength > PORT_BYTES) {
    const b = new Uint8Array(raw);
    keptPort = (b[0]! << 8) | b[1]!;
    kept = b.slice(PORT_BYTES);
    b.fill(0);
  }
  const r = random.bytes(2);
  const port = s.localPort > 0 ? s.localPort : keptPort > 0 ? keptPort : EPHEMERAL_FIRST + (((r[0]! << 8) | r[1]!) % EPHEMERAL_COUNT);
  log.info(`sleep: boot by ${cause}${kept !== undefined ? `, a session kept ${Math.round(age / 1000)} s ago` : ''}; UDP port ${port}`);
  const capacity = DeepSleep.capacity() - PORT_BYTES;
  const retained: RetainedMemory = {
    capacity,
    take() {
      const k = kept;
      kept = undefined;
      return k === undefined ? undefined : { bytes: k, elapsedMs: age };
    },
    write(bytes) {
      if (bytes.length > capacity) return false;
      const out = new Uint8Array(PORT_BYTES + bytes.length);
      out[0] = port >> 8;
      out[1] = port & 0xff;
      out.set(bytes, PORT_BYTES);
      const ok = DeepSleep.write(out.buffer);
      out.fill(0);
      return ok;
    },
    clear() {
      DeepSleep.clear();
    },
  };
  const power = {
    off(nextWakeMs: number | undefined, sessionKept: boolean): void {
      if (!sessionKept || nextWakeMs === undefined || nextWakeMs < MIN_DEEP_SLEEP_MS) {
        log.info(
          `sleep: radio off, staying up (${!sessionKept ? 'no session kept' : nextWakeMs === undefined ? 'no wake planned' : 'the next wake is too close'})`,
        );
        return;
      }
      log.info(
        `sleep: deep sleep for ${Math.round(nextWakeMs / 1000)} s${s.wakePin >= 0 ? ` or until GPIO ${s.wakePin} is ${s.wakeLevel}` : ''}`,
      );
      DeepSleep.sleep(nextWakeMs, s.wakePin, s.wakeLevel, 0, 0);
    },
    on(): void {},
  };
  return { retained, localPort: port, wakeCause: cause, power };
}
