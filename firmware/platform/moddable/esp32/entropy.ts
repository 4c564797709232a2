// `entropy` on ESP32 boards (the lin runtime has its own, firmware/platform/lin):
// random bytes from the XS engine's Math.random(), which returns
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
// Each call is used for 16 bits only: with 31 random bits behind it,
// floor(Math.random() * 2^16) is uniform to within 2^-15. (Taking 32 bits from
// one call, as this port once did, repeats the word's top bit in its bottom
// bit, since the value is only 31 bits wide.)

/** Fills the whole buffer with random bytes. */
export function fill(buffer: ArrayBuffer): void {
  const out = new Uint8Array(buffer);
  for (let i = 0; i < out.length; i += 2) {
    const half = Math.floor(Math.random() * 65536);
    out[i] = half & 0xff;
    if (i + 1 < out.length) out[i + 1] = half >>> 8;
  }
}
