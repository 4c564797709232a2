// The Random port of the firmware: bytes for DTLS randoms and IVs, CoAP tokens
// and message IDs, jitter. They come from the `entropy` module the board's
// manifest maps: on ESP32 boards the hardware RNG (esp32/entropy.ts), on the
// SDK's Linux runtime the kernel's CSPRNG through getrandom(2)
// (platform/lin/entropy), since the SDK's Math.random there is the C
// library's rand(), never seeded: the same bytes on every run.
import { fill } from 'entropy';
import { randomFrom } from './random-port';

export const hardwareRandom = randomFrom(fill);
