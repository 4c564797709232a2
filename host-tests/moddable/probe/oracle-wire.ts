// The little request/answer format between the crypto oracle in the probe
// build on the Moddable Linux runtime (probe/crypto-oracle) and its Node
// driver (host-tests/moddable/crypto-port.test.ts), one UDP datagram each way.
// Engine-neutral: both sides import it.
//   request: id (2 bytes) | op (1) | fields, each a 2-byte length and its bytes
//   answer:  id (2 bytes) | status (1) | payload
export const Op = Object.freeze({
  /** fields: the parts to hash → the digest */
  SHA256: 1,
  /** fields: key, parts… → the MAC */
  HMAC_SHA256: 2,
  /** fields: key, block → the encrypted block */
  AES128_BLOCK: 3,
  /** fields: key, iv, data → ciphertext */
  AES128_CBC_ENCRYPT: 4,
  /** fields: key, iv, data → plaintext */
  AES128_CBC_DECRYPT: 5,
  /** fields: key, nonce, aad, plaintext → ciphertext || 8-byte tag (the core's CCM over the port's AES) */
  CCM8_SEAL: 6,
  /** fields: key, nonce, aad, sealed → plaintext, or status NULL when the tag fails */
  CCM8_OPEN: 7,
  /** fields: server port (2 bytes), identity, key, cipher suite (2 bytes), payload → JSON report (DTLS client run) */
  DTLS_CLIENT: 8,
  /** fields: count (2 bytes) → that many bytes of the Random port */
  RANDOM: 9,
});

export const Status = Object.freeze({ OK: 0, NULL: 1, ERROR: 2 });

export interface Request {
  id: number;
  op: number;
  fields: Uint8Array[];
}
export interface Answer {
  id: number;
  status: number;
  payload: Uint8Array;
}

export function encodeRequest(r: Request): Uint8Array {
  let n = 3;
  for (const f of r.fields) n += 2 + f.length;
  const out = new Uint8Array(n);
  out[0] = r.id >> 8;
  out[1] = r.id & 0xff;
  out[2] = r.op;
  let at = 3;
  for (const f of r.fields) {
    out[at] = f.length >> 8;
    out[at + 1] = f.length & 0xff;
    out.set(f, at + 2);
    at += 2 + f.length;
  }
  return out;
}

export function decodeRequest(data: Uint8Array): Request | undefined {
  if (data.length < 3) return undefined;
  const fields: Uint8Array[] = [];
  let at = 3;
  while (at < data.length) {
    if (at + 2 > data.length) return undefined;
    const n = (data[at]! << 8) | data[at + 1]!;
    if (at + 2 + n > data.length) return undefined;
    fields.push(data.subarray(at + 2, at + 2 + n));
    at += 2 + n;
  }
  return { id: (data[0]! << 8) | data[1]!, op: data[2]!, fields };
}

export function encodeAnswer(a: Answer): Uint8Array {
  const out = new Uint8Array(3 + a.payload.length);
  out[0] = a.id >> 8;
  out[1] = a.id & 0xff;
  out[2] = a.status;
  out.set(a.payload, 3);
  return out;
}

export function decodeAnswer(data: Uint8Array): Answer | undefined {
  if (data.length < 3) return undefined;
  return { id: (data[0]! << 8) | data[1]!, status: data[2]!, payload: data.subarray(3) };
}

export function u16(n: number): Uint8Array {
  return Uint8Array.of(n >> 8, n & 0xff);
}

export function readU16(b: Uint8Array): number {
  return ((b[0] ?? 0) << 8) | (b[1] ?? 0);
}
