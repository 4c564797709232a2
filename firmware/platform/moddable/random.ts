// Random port over the XS engine's Math.random(), which returns
// c_rand() / C_RAND_MAX (xs/sources/xsMath.c, never equal to 1).
//
// ESP32 (xs/platforms/esp/xsHost.h, SDK 8.2.3): c_rand() is
// `0x7fffffff & esp_random()` and C_RAND_MAX is INT32_MAX, so each call
// carries 31 bits of the hardware RNG. ESP-IDF documents esp_random()'s
// output as true random numbers while the RF subsystem (Wi-Fi or Bluetooth)
// is enabled (before that, only with its bootloader entropy source); the
// client and DTLS draw from it only once Wi-Fi is up. So on the device this is
// fit for DTLS client randoms and CBC record IVs, which come from here.
//
// The SDK's Linux runtime: c_rand() is the C library's rand() (xsPlatform.h
// defaults) and nothing in the SDK seeds it (xsMath.c leaves c_srand
// commented out), so every run draws the same sequence. NOT a CSPRNG: fine for
// a test rig on loopback, never for a real deployment.
//
// Each call is used for 16 bits only: with 31 random bits behind it,
// floor(Math.random() * 2^16) is uniform to within 2^-15. (Taking 32 bits from
// one call, as this port once did, repeats the word's top bit in its bottom
// bit, since the value is only 31 bits wide.)
import type { Random } from '../ports';

export const hardwareRandom: Random = Object.freeze({
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 2) {
      const half = Math.floor(Math.random() * 65536);
      out[i] = half & 0xff;
      if (i + 1 < n) out[i + 1] = half >>> 8;
    }
    return out;
  },
  float(): number {
    return Math.random();
  },
});
