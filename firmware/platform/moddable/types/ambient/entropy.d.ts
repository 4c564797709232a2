// The `entropy` module random.ts imports by bare name, for `npm run typecheck:device`: in an SDK build the board's
// manifest maps it (esp32/entropy.ts on ESP32 boards, platform/lin/entropy with its .d.ts on the lin runtime).
declare module 'entropy' {
  /** Fills the whole buffer with random bytes. */
  export function fill(buffer: ArrayBuffer): void;
}
