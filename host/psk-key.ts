// A pre-shared key as the host tools take it: hex text from a file or an
// environment variable, never from the command line (which every user of the
// machine can read in the process list), and at least 128 bits. Errors name
// where the key came from and what is wrong with it, never the key.
import { parseHex } from '../firmware/util/hex';

/** 128 bits: what RFC 7925 §4.2 and LwM2M deployments use; shorter keys fall to a search. */
export const MIN_PSK_KEY_BYTES = 16;
/** Where the client takes its key from when there is no --psk-key-file. */
export const PSK_KEY_ENV = 'XS_LWM2M_PSK_KEY_HEX';

/** The key in `text` (hex, whitespace ignored); throws naming `source`. */
export function parsePskHex(text: string, source: string): Uint8Array {
  const hex = text.replace(/\s+/g, '');
  const key = parseHex(hex);
  if (key === undefined) throw new Error(`${source}: the key must be an even number of hex digits`);
  return checkPskLength(key, source);
}

/** The key itself, if it is long enough; throws naming `source`. */
export function checkPskLength(key: Uint8Array, source: string): Uint8Array {
  if (key.length < MIN_PSK_KEY_BYTES)
    throw new Error(`${source}: the key is ${key.length} bytes; a PSK needs at least ${MIN_PSK_KEY_BYTES} (128 bits)`);
  return key;
}
