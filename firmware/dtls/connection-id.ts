// Connection ID for DTLS 1.2 (RFC 9146): the connection_id extension each
// side uses to name the CID it wants to receive (§3), the DTLSInnerPlaintext
// inside a tls12_cid record (§4), and the table of the CIDs we issued, which
// finds a session from a record whatever address it came from. The table
// holds one entry per association at most, so the session table bounds it.
import type { Random } from '../platform/ports';
import { ContentType, HANDSHAKE_HEADER_LENGTH, MAX_CID_LENGTH, RECORD_HEADER_LENGTH, VERIFY_DATA_LENGTH } from './constants';
import { MAX_PROTECTION_OVERHEAD } from './cipher-suite';
import { Reader, Writer } from './bytes';
import { toHex } from '../util/hex';

/** extension_data of connection_id: opaque cid<0..2^8-1> (§3). */
export function encodeConnectionIdExtension(cid: Uint8Array): Uint8Array {
  return new Writer(1 + cid.length).vector(1, cid).finish();
}

export function decodeConnectionIdExtension(data: Uint8Array): Uint8Array {
  const r = new Reader(data);
  const cid = r.vector(1, 0, MAX_CID_LENGTH);
  r.done();
  return cid;
}

/**
 * The longest CID we can put in our records with datagrams of `mtu` bytes: a Finished must still fit in one record
 * (header, CID, the inner type byte, the protection, the handshake header and verify_data), or fragmenting our
 * flight would leave no room. A peer that asks for a longer one is declined (server) or refused (client).
 */
export function maxCidLengthFor(mtu: number): number {
  return Math.min(
    MAX_CID_LENGTH,
    mtu - (RECORD_HEADER_LENGTH + 1 + MAX_PROTECTION_OVERHEAD + HANDSHAKE_HEADER_LENGTH + VERIFY_DATA_LENGTH),
  );
}

/** DTLSInnerPlaintext: content, then the real ContentType; we add no zero padding (§4 makes it optional). */
export function encodeInnerPlaintext(content: Uint8Array, type: number): Uint8Array {
  const out = new Uint8Array(content.length + 1);
  out.set(content, 0);
  out[content.length] = type;
  return out;
}

/**
 * The content and real type of a DTLSInnerPlaintext: the last non-zero byte
 * is the type, zeros after it are padding (§4). Null when there is none or it
 * is not a type that may travel inside (an all-zero plaintext is malformed).
 */
export function decodeInnerPlaintext(inner: Uint8Array): { type: number; content: Uint8Array } | null {
  let i = inner.length - 1;
  while (i >= 0 && inner[i] === 0) i--;
  if (i < 0) return null;
  const type = inner[i];
  if (type !== ContentType.alert && type !== ContentType.handshake && type !== ContentType.application_data) return null;
  return { type, content: inner.subarray(0, i) };
}

/** How many random CIDs we try before giving up on one unique among our sessions (a collision is already rare at 4 bytes). */
const CID_ATTEMPTS = 8;

/** The CIDs we issued, all `length` bytes long (the record header does not carry the length, §4), each naming one association. */
export class CidTable<T> {
  private readonly entries = new Map<string, T>();

  constructor(readonly length: number) {
    if (!Number.isInteger(length) || length < 0 || length > MAX_CID_LENGTH) throw new RangeError(`dtls: connection ID length ${length}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** A fresh random CID unique in the table, bound to `owner`; an empty CID when length is 0; null if none was found. */
  issue(random: Random, owner: T): Uint8Array | null {
    if (this.length === 0) return new Uint8Array(0);
    for (let i = 0; i < CID_ATTEMPTS; i++) {
      const cid = random.bytes(this.length);
      const key = toHex(cid);
      if (this.entries.has(key)) continue;
      this.entries.set(key, owner);
      return cid;
    }
    return null;
  }

  find(cid: Uint8Array): T | undefined {
    return this.entries.get(toHex(cid));
  }

  /** Binds a CID issued before (a session kept across a deep sleep); false when it has another length or is taken. */
  claim(cid: Uint8Array, owner: T): boolean {
    const key = toHex(cid);
    if (cid.length !== this.length || this.length === 0 || this.entries.has(key)) return false;
    this.entries.set(key, owner);
    return true;
  }

  /** Forgets a CID, only if it still names `owner`. */
  release(cid: Uint8Array, owner: T): void {
    const key = toHex(cid);
    if (this.entries.get(key) === owner) this.entries.delete(key);
  }
}
