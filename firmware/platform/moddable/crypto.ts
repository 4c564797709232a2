// The DTLS crypto port on the device: the DtlsCrypto primitives over the
// Moddable SDK's `crypt` module (modules/crypt/digest: crypt.js over
// modCrypt.c and the kcl C sources), so SHA-256 and AES run in the SDK's C:
//  - sha256: Digest("SHA256") (kcl fips180.c), one instance reused;
//  - hmacSha256: RFC 2104 here, over that C digest (the SDK's HMAC in C,
//    xs_crypt_HMAC, is bound to no JavaScript class in SDK 8.2.3, and its
//    `hmac` module is JavaScript over Digest too);
//  - aes128: BlockCipher("AES") (kcl fips197.c), keyed once per epoch;
//  - aes128Cbc*: Mode("CBC", BlockCipher("AES"), iv) without padding;
//  - no ccm8: the SDK has no CCM, so the core's dtls/ccm.ts runs over aes128.
// The C functions take ArrayBuffers (not views) for keys, IVs and AES blocks
// (types/crypt.d.ts), so those are copied into buffers of their own, and key
// copies are zeroed once the C side has taken them.
// sha256Stream: a Digest per firmware image, fed block by block.
// Random bytes for DTLS come from the Random port (random.ts: on ESP32 the
// hardware RNG; on the Linux runtime getrandom(2)).
import * as Crypt from 'crypt';
import type { AesBlockCipher, DtlsCrypto } from '../../dtls/crypto';
import type { CryptDigest, CryptModule } from './types/crypt';

// The SDK's typing of `crypt` declares Digest only; see types/crypt.d.ts.
const { Digest, BlockCipher, Mode } = Crypt as unknown as CryptModule;

const BLOCK = 16;
/** SHA-256 block size (the HMAC pad length, RFC 2104). */
const SHA256_BLOCK = 64;

// Made at the first use, at run time: a host object made while the module is
// preloaded would be frozen into flash with it.
let shared: CryptDigest | undefined;

function digest(): CryptDigest {
  if (shared === undefined) shared = new Digest('SHA256');
  return shared;
}

/** A copy of `bytes` in an ArrayBuffer of its own (what the C functions take). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const b = new Uint8Array(bytes.length);
  b.set(bytes);
  return b.buffer;
}

function sha256(...data: Uint8Array[]): Uint8Array {
  const d = digest();
  d.reset();
  for (let i = 0; i < data.length; i++) d.write(data[i]!);
  return new Uint8Array(d.close());
}

function hmacSha256(key: Uint8Array, ...data: Uint8Array[]): Uint8Array {
  const k = key.length > SHA256_BLOCK ? sha256(key) : key;
  const pad = new Uint8Array(SHA256_BLOCK);
  for (let i = 0; i < SHA256_BLOCK; i++) pad[i] = (i < k.length ? k[i]! : 0) ^ 0x36;
  const d = digest();
  d.reset();
  d.write(pad);
  for (let i = 0; i < data.length; i++) d.write(data[i]!);
  const inner = new Uint8Array(d.close());
  for (let i = 0; i < SHA256_BLOCK; i++) pad[i] ^= 0x36 ^ 0x5c;
  d.reset();
  d.write(pad);
  d.write(inner);
  const out = new Uint8Array(d.close());
  pad.fill(0);
  inner.fill(0);
  if (k !== key) k.fill(0);
  return out;
}

function aesKey(key: Uint8Array): ArrayBuffer {
  if (key.length !== BLOCK) throw new RangeError('AES-128 needs a 16-byte key');
  return ownBuffer(key);
}

function aes128(key: Uint8Array): AesBlockCipher {
  const k = aesKey(key);
  const cipher = new BlockCipher('AES', k);
  new Uint8Array(k).fill(0);
  // One block buffer per key, encrypted in place (fips197 aes_encrypt4 reads the whole block before writing).
  const block = new Uint8Array(BLOCK);
  const buffer = block.buffer;
  return {
    encryptBlock(input: Uint8Array, output: Uint8Array): void {
      block.set(input.length === BLOCK ? input : input.subarray(0, BLOCK));
      cipher.encrypt(buffer, buffer);
      output.set(block);
    },
  };
}

function cbc(decrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (iv.length !== BLOCK) throw new RangeError('AES-CBC needs a 16-byte IV');
  if (data.length % BLOCK !== 0) throw new RangeError('AES-CBC data is not a whole number of blocks');
  const k = aesKey(key);
  const mode = new Mode('CBC', new BlockCipher('AES', k), ownBuffer(iv));
  new Uint8Array(k).fill(0);
  const out = new ArrayBuffer(data.length);
  if (data.length > 0) {
    if (decrypt) mode.decrypt(data, out);
    else mode.encrypt(data, out);
  }
  return new Uint8Array(out);
}

export const moddableCrypto: DtlsCrypto = Object.freeze({
  sha256,
  hmacSha256,
  aes128,
  aes128CbcEncrypt: (key: Uint8Array, iv: Uint8Array, data: Uint8Array) => cbc(false, key, iv, data),
  aes128CbcDecrypt: (key: Uint8Array, iv: Uint8Array, data: Uint8Array) => cbc(true, key, iv, data),
});

/**
 * An incremental SHA-256 for Firmware Update (fw-image HashStream): a Digest
 * of its own per image (the core may run two at once: the trailer and the
 * Package URI's #sha256=), fed each block as it streams, never the image whole.
 */
export function sha256Stream(): { update(data: Uint8Array): void; digest(): Uint8Array } {
  const d = new Digest('SHA256');
  return {
    update: (data: Uint8Array) => {
      if (data.length > 0) d.write(data);
    },
    digest: () => new Uint8Array(d.close()),
  };
}
