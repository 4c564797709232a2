// The module the device's deep sleep (platform/moddable/deep-sleep-port.ts)
// imports by bare name: ours over ESP-IDF on an ESP32 (esp32/deep-sleep.c,
// deep-sleep.js), a shim over files on the Linux runtime (lin/deep-sleep.ts).
// Declared here for `npm run typecheck:device` and tsc in an SDK build.
declare module 'deep-sleep' {
  /** Bytes the retained buffer holds (RTC memory on an ESP32). */
  export function capacity(): number;
  /** The retained record when one is whole (its length and CRC check), else undefined. Reading does not clear it. */
  export function read(): ArrayBuffer | undefined;
  /** ms since the record read() gives was written (the time slept); 0 without one. */
  export function age(): number;
  /** Keeps `data` as the record (across deep sleep, not power loss); false when it is over capacity(). */
  export function write(data: ArrayBuffer): boolean;
  /** Invalidates the record. */
  export function clear(): void;
  /** Why this boot: 0 power-on or reset, 1 the sleep timer, 2 the GPIO of ext0, 3 a GPIO of ext1 (or the C3's GPIO wake), 4 other. */
  export function wakeCause(): number;
  /**
   * Deep sleep now: wake after `ms` (0: no timer), on GPIO `pin` at `level` (ext0; pin < 0: none), and on any GPIO of
   * `mask` (ext1; 0: none) going high (`anyHigh` 1) or all of them low (0). Does not return (on lin: exits 76).
   */
  export function sleep(ms: number, pin: number, level: number, mask: number, anyHigh: number): void;
}
