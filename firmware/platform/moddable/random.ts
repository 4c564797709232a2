// Random port. On ESP32 the XS engine's Math.random() is the hardware RNG:
// xsPlatform.h maps c_rand to esp_random() and fx_Math_random returns
// c_rand() / C_RAND_MAX (C_RAND_MAX = 2^32 - 1, result never equal to it),
// so floor(Math.random() * 2^32) recovers the 32 random bits exactly.
// esp_random() is a true RNG while Wi-Fi/BT is running (ESP-IDF docs); the
// client only uses it after Wi-Fi is up. Enough for CoAP tokens and message
// IDs; not claimed to be a CSPRNG for key generation.
import type { Random } from '../ports';

export const hardwareRandom: Random = Object.freeze({
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let i = 0;
    while (i < n) {
      let word = Math.floor(Math.random() * 4294967296);
      for (let k = 0; k < 4 && i < n; k++) {
        out[i++] = word & 0xff;
        word = Math.floor(word / 256);
      }
    }
    return out;
  },
  float(): number {
    return Math.random();
  },
});
