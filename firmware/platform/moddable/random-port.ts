// The Random port over a platform's source of random bytes (the `entropy`
// module: the hardware RNG on ESP32, getrandom(2) on the lin runtime). Kept
// apart from random.ts, which imports that module, so the host tests can run
// it over a source of their own.
import type { Random } from '../ports';

/** 2^-53: a 53-bit integer times this is a double in [0, 1). */
const TWO_TO_MINUS_53 = 1 / 2 ** 53;

export function randomFrom(fill: (buffer: ArrayBuffer) => void): Random {
  return Object.freeze({
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(n);
      if (n > 0) fill(out.buffer);
      return out;
    },
    float(): number {
      const b = new Uint8Array(7);
      fill(b.buffer);
      // 53 random bits: 21 from the first three bytes (the top three bits dropped), 32 from the last four.
      const hi = ((b[0]! & 0x1f) << 16) | (b[1]! << 8) | b[2]!;
      const lo = ((b[3]! << 24) >>> 0) + ((b[4]! << 16) | (b[5]! << 8) | b[6]!);
      return (hi * 2 ** 32 + lo) * TWO_TO_MINUS_53;
    },
  });
}
