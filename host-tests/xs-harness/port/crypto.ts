// The DTLS crypto port for the core running in XS on the host (xsnap has no
// crypto): SHA-256 and HMAC from @noble/hashes, AES from @noble/ciphers,
// both audited pure-JS libraries that run in any ES2022 engine. No native
// CCM: the core's own CCM (dtls/ccm.ts) runs over the block function here,
// as on the device. The block function uses noble's exported low-level
// `unsafe.expandKeyLE/encryptBlock` so the key is expanded once per epoch,
// not once per block; the version is pinned by package-lock.json and the
// known-answer tests run this port, so an API change there fails a test.
import { sha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { cbc, unsafe } from '@noble/ciphers/aes.js';
import type { AesBlockCipher, DtlsCrypto } from '../../../firmware/dtls/crypto';

function digest(...data: Uint8Array[]): Uint8Array {
  const h = sha256.create();
  for (const d of data) h.update(d);
  return h.digest();
}

export const xsHostCrypto: DtlsCrypto = {
  sha256: digest,
  hmacSha256(key, ...data) {
    const h = hmac.create(sha256, key);
    for (const d of data) h.update(d);
    return h.digest();
  },
  aes128(key): AesBlockCipher {
    if (key.length !== 16) throw new RangeError('AES-128 needs a 16-byte key');
    const xk = unsafe.expandKeyLE(key);
    // encryptBlock works in place on a 4-byte-aligned block: a scratch block of our own is.
    const block = new Uint8Array(16);
    return {
      encryptBlock(input, output) {
        block.set(input.subarray(0, 16));
        unsafe.encryptBlock(xk, block);
        output.set(block);
      },
    };
  },
  aes128CbcEncrypt: (key, iv, data) => cbc(key, iv, { disablePadding: true }).encrypt(data),
  aes128CbcDecrypt: (key, iv, data) => cbc(key, iv, { disablePadding: true }).decrypt(data),
};
