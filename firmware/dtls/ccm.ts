// AES-CCM (RFC 3610) over a block cipher, for ports whose platform only
// offers the AES block function (the device). TLS uses M = 8 and a 12-byte
// nonce, so L = 3 (RFC 6655 §3); the RFC 3610 §8 vectors use 13-byte nonces
// and M = 8 or 10, which this also handles. The tag is compared without an
// early exit, and nothing is decrypted-and-returned before it verifies.
import type { AesBlockCipher } from './crypto';
import { constantTimeEqual } from './bytes';

const BLOCK = 16;

/** CBC-MAC over B_0, the encoded AAD and the message (RFC 3610 §2.2); returns the M-byte T. */
function cbcMac(aes: AesBlockCipher, nonce: Uint8Array, aad: Uint8Array, msg: Uint8Array, tagLength: number): Uint8Array {
  const L = 15 - nonce.length;
  const x = new Uint8Array(BLOCK);
  // B_0: Flags = 64*Adata + 8*M' + L', nonce, l(m) in L bytes.
  x[0] = (aad.length > 0 ? 64 : 0) | (((tagLength - 2) / 2) << 3) | (L - 1);
  x.set(nonce, 1);
  for (let i = 0, n = msg.length; i < L; i++, n = Math.floor(n / 256)) x[15 - i] = n & 0xff;
  aes.encryptBlock(x, x);
  if (aad.length > 0) {
    // l(a) < 2^16 - 2^8 is encoded in two bytes (§2.2); TLS AAD is 13 bytes.
    if (aad.length >= 0xff00) throw new RangeError('CCM: additional data too long');
    let pos = 0;
    x[0] ^= aad.length >>> 8;
    x[1] ^= aad.length & 0xff;
    let j = 2;
    while (pos < aad.length) {
      for (; j < BLOCK && pos < aad.length; j++) x[j] ^= aad[pos++];
      aes.encryptBlock(x, x);
      j = 0;
    }
  }
  for (let pos = 0; pos < msg.length; pos += BLOCK) {
    const end = Math.min(BLOCK, msg.length - pos);
    for (let j = 0; j < end; j++) x[j] ^= msg[pos + j];
    aes.encryptBlock(x, x);
  }
  return x.subarray(0, tagLength);
}

/** CTR mode with A_i = Flags(L') || nonce || i (RFC 3610 §2.3), starting at i = 1 for the message; S_0 goes to `s0`. */
function ctr(aes: AesBlockCipher, nonce: Uint8Array, input: Uint8Array, output: Uint8Array, s0: Uint8Array): void {
  const L = 15 - nonce.length;
  const a = new Uint8Array(BLOCK);
  const s = new Uint8Array(BLOCK);
  a[0] = L - 1;
  a.set(nonce, 1);
  aes.encryptBlock(a, s0);
  for (let pos = 0, i = 1; pos < input.length; pos += BLOCK, i++) {
    for (let k = 0, n = i; k < L; k++, n = Math.floor(n / 256)) a[15 - k] = n & 0xff;
    aes.encryptBlock(a, s);
    const end = Math.min(BLOCK, input.length - pos);
    for (let j = 0; j < end; j++) output[pos + j] = input[pos + j] ^ s[j];
  }
}

/** RFC 3610 encryption: ciphertext || U (M bytes). */
export function ccmSeal(aes: AesBlockCipher, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, tagLength: number): Uint8Array {
  const out = new Uint8Array(plaintext.length + tagLength);
  const t = cbcMac(aes, nonce, aad, plaintext, tagLength);
  const s0 = new Uint8Array(BLOCK);
  ctr(aes, nonce, plaintext, out, s0);
  for (let j = 0; j < tagLength; j++) out[plaintext.length + j] = t[j] ^ s0[j];
  return out;
}

/** RFC 3610 decryption: the plaintext, or null when the tag does not verify. */
export function ccmOpen(aes: AesBlockCipher, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, tagLength: number): Uint8Array | null {
  if (sealed.length < tagLength) return null;
  const n = sealed.length - tagLength;
  const plain = new Uint8Array(n);
  const s0 = new Uint8Array(BLOCK);
  ctr(aes, nonce, sealed.subarray(0, n), plain, s0);
  const t = cbcMac(aes, nonce, aad, plain, tagLength);
  const expected = new Uint8Array(tagLength);
  for (let j = 0; j < tagLength; j++) expected[j] = t[j] ^ s0[j];
  if (!constantTimeEqual(expected, sealed.subarray(n))) {
    plain.fill(0);
    return null;
  }
  return plain;
}
