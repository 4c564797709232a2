// The TLS 1.2 PRF with SHA-256 (RFC 5246 §5) and what DTLS derives with it:
// the PSK premaster secret (RFC 4279 §2), the master secret (RFC 5246 §8.1,
// or RFC 7627 §4 with the extended master secret), the key block (§6.3) and
// Finished.verify_data (§7.4.9).
import type { DtlsCrypto } from './crypto';
import { MASTER_SECRET_LENGTH, VERIFY_DATA_LENGTH } from './constants';
import { utf8Encode } from '../util/utf8';

const LABEL_MASTER = utf8Encode('master secret');
const LABEL_EXTENDED_MASTER = utf8Encode('extended master secret');
const LABEL_KEY_EXPANSION = utf8Encode('key expansion');
const LABEL_CLIENT_FINISHED = utf8Encode('client finished');
const LABEL_SERVER_FINISHED = utf8Encode('server finished');

/** P_SHA256(secret, label + seed) truncated to `length` bytes (RFC 5246 §5). */
export function prf(
  crypto: DtlsCrypto,
  secret: Uint8Array,
  label: Uint8Array,
  seed: Uint8Array,
  length: number,
  seed2?: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(length);
  const tail = seed2 ?? new Uint8Array(0);
  // A(1) = HMAC(secret, label + seed); output block i = HMAC(secret, A(i) + label + seed).
  let a = crypto.hmacSha256(secret, label, seed, tail);
  for (let pos = 0; pos < length;) {
    const block = crypto.hmacSha256(secret, a, label, seed, tail);
    const n = Math.min(block.length, length - pos);
    out.set(block.subarray(0, n), pos);
    pos += n;
    if (pos < length) a = crypto.hmacSha256(secret, a);
  }
  return out;
}

/** premaster = uint16 N, N zero bytes, uint16 N, psk (RFC 4279 §2, "plain PSK"). */
export function pskPremasterSecret(psk: Uint8Array): Uint8Array {
  const n = psk.length;
  const out = new Uint8Array(4 + 2 * n);
  out[0] = n >>> 8;
  out[1] = n & 0xff;
  out[2 + n] = n >>> 8;
  out[3 + n] = n & 0xff;
  out.set(psk, 4 + n);
  return out;
}

/** master_secret = PRF(pre_master_secret, "master secret", ClientHello.random + ServerHello.random)[0..47]. */
export function masterSecret(crypto: DtlsCrypto, premaster: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array): Uint8Array {
  return prf(crypto, premaster, LABEL_MASTER, clientRandom, MASTER_SECRET_LENGTH, serverRandom);
}

/** RFC 7627 §4: PRF(pre_master_secret, "extended master secret", session_hash)[0..47]. */
export function extendedMasterSecret(crypto: DtlsCrypto, premaster: Uint8Array, sessionHash: Uint8Array): Uint8Array {
  return prf(crypto, premaster, LABEL_EXTENDED_MASTER, sessionHash, MASTER_SECRET_LENGTH);
}

/** key_block = PRF(master_secret, "key expansion", server_random + client_random) (RFC 5246 §6.3). */
export function keyBlock(
  crypto: DtlsCrypto,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  length: number,
): Uint8Array {
  return prf(crypto, master, LABEL_KEY_EXPANSION, serverRandom, length, clientRandom);
}

/** verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11] (RFC 5246 §7.4.9). */
export function verifyData(crypto: DtlsCrypto, master: Uint8Array, fromClient: boolean, handshakeHash: Uint8Array): Uint8Array {
  return prf(crypto, master, fromClient ? LABEL_CLIENT_FINISHED : LABEL_SERVER_FINISHED, handshakeHash, VERIFY_DATA_LENGTH);
}
