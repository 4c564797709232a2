// The DTLS crypto port on Node: every primitive native in node:crypto
// (OpenSSL), including AES-128-CCM_8, so the core's own CCM (dtls/ccm.ts) is
// not used here. Buffers from node:crypto are copied into plain Uint8Arrays
// at the boundary, as the UDP port does.
import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import type { AesBlockCipher, Ccm8, DtlsCrypto } from '../../dtls/crypto';
import type { HashStream } from '../../lwm2m/firmware-update/image';

const CCM_TAG = 8;

function plain(b: Buffer): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

function cbc(decrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = decrypt ? createDecipheriv('aes-128-cbc', key, iv) : createCipheriv('aes-128-cbc', key, iv);
  c.setAutoPadding(false);
  const head = c.update(data);
  const tail = c.final();
  return plain(tail.length ? Buffer.concat([head, tail]) : head);
}

const ccm8: Ccm8 = {
  seal(key, nonce, aad, plaintext) {
    const c = createCipheriv('aes-128-ccm', key, nonce, { authTagLength: CCM_TAG });
    c.setAAD(aad, { plaintextLength: plaintext.length });
    const body = c.update(plaintext);
    c.final();
    return plain(Buffer.concat([body, c.getAuthTag()]));
  },
  open(key, nonce, aad, sealed) {
    if (sealed.length < CCM_TAG) return null;
    const n = sealed.length - CCM_TAG;
    const d = createDecipheriv('aes-128-ccm', key, nonce, { authTagLength: CCM_TAG });
    d.setAuthTag(sealed.subarray(n));
    d.setAAD(aad, { plaintextLength: n });
    try {
      // For CCM, OpenSSL checks the tag inside update(): a forgery throws there (or in final()).
      const body = d.update(sealed.subarray(0, n));
      d.final();
      return plain(body);
    } catch {
      return null;
    }
  },
};

export const nodeCrypto: DtlsCrypto = {
  sha256(...data) {
    const h = createHash('sha256');
    for (const d of data) h.update(d);
    return plain(h.digest());
  },
  hmacSha256(key, ...data) {
    const h = createHmac('sha256', key);
    for (const d of data) h.update(d);
    return plain(h.digest());
  },
  aes128(key): AesBlockCipher {
    // ECB over single blocks is the raw block function; the cipher object is keyed once and never finalised.
    const ecb = createCipheriv('aes-128-ecb', key, null);
    ecb.setAutoPadding(false);
    return {
      encryptBlock(input, output) {
        output.set(ecb.update(input.subarray(0, 16)));
      },
    };
  },
  aes128CbcEncrypt: (key, iv, data) => cbc(false, key, iv, data),
  aes128CbcDecrypt: (key, iv, data) => cbc(true, key, iv, data),
  ccm8,
};

/** The same port without the native CCM: the core's CCM over the native block cipher (tests compare the two). */
export const nodeCryptoBlockOnly: DtlsCrypto = { ...nodeCrypto, ccm8: undefined };

/** An incremental SHA-256 (a firmware image as it streams in). */
export function nodeSha256Stream(): HashStream {
  const h = createHash('sha256');
  return {
    update(data: Uint8Array) {
      h.update(data);
    },
    digest() {
      return plain(h.digest());
    },
  };
}
