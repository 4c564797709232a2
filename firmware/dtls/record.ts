// DTLS record layer framing (RFC 6347 §4.1): DTLSPlaintext / DTLSCiphertext
// headers, several records per datagram (§4.1.1), and the tls12_cid header
// of RFC 9146 §4 (the CID after the sequence_number). Parsing is strict and
// total: anything that does not frame stops the walk of that datagram and is
// reported as a reason, never thrown (§4.1.2.7: invalid records are dropped).
import { ContentType, DTLS_1_0, DTLS_1_2, MAX_CIPHERTEXT_LENGTH, RECORD_HEADER_LENGTH } from './constants';
import { Reader } from './bytes';

export interface DtlsRecord {
  type: number;
  version: number;
  epoch: number;
  /** 48-bit sequence_number. */
  sequenceNumber: number;
  /** The record's fragment (a view into the datagram). */
  fragment: Uint8Array;
  /** tls12_cid records: the CID (a view); null for the RFC 6347 format. */
  cid: Uint8Array | null;
}

/** Why a record was rejected before any cryptography. */
export type RecordReject = 'truncated' | 'bad_content_type' | 'bad_version' | 'record_overflow';

function knownType(t: number): boolean {
  return (
    t === ContentType.change_cipher_spec || t === ContentType.alert || t === ContentType.handshake || t === ContentType.application_data
  );
}

/**
 * Splits a datagram into records. Returns the records that framed and, when
 * the walk stopped early, the reason; records before a bad one are kept
 * (each record is protected on its own, §4.1.1). The header does not say how
 * long a CID is: `cidLength` is the length of the CIDs we issued (RFC 9146 §4);
 * with 0 (we issued none) a tls12_cid record does not frame.
 */
export function parseRecords(datagram: Uint8Array, cidLength = 0): { records: DtlsRecord[]; reject: RecordReject | null } {
  const records: DtlsRecord[] = [];
  const r = new Reader(datagram);
  while (r.remaining > 0) {
    if (r.remaining < RECORD_HEADER_LENGTH) return { records, reject: 'truncated' };
    const type = r.u8();
    const version = r.u16();
    const epoch = r.u16();
    const sequenceNumber = r.u48();
    let cid: Uint8Array | null = null;
    if (type === ContentType.tls12_cid) {
      // Plaintext (epoch 0) records never carry a CID (RFC 9146 §3).
      if (cidLength === 0 || epoch === 0) return { records, reject: 'bad_content_type' };
      if (r.remaining < cidLength + 2) return { records, reject: 'truncated' };
      cid = r.bytes(cidLength);
    } else if (!knownType(type)) return { records, reject: 'bad_content_type' };
    const length = r.u16();
    // Protected records are DTLS 1.2. At epoch 0 any {254, x} frames: a client's initial ClientHello may carry
    // any such record version (RFC 6347 §4.1 with RFC 5246 Appendix E.1; mbedTLS, and so Anjay, write {254, 0});
    // the transport lets only a ClientHello through with a version other than 1.0 or 1.2 (isDtlsRecordVersion).
    if (epoch === 0 ? version >>> 8 !== 0xfe : version !== DTLS_1_2) return { records, reject: 'bad_version' };
    if (length > MAX_CIPHERTEXT_LENGTH) return { records, reject: 'record_overflow' };
    if (length > r.remaining) return { records, reject: 'truncated' };
    records.push({ type, version, epoch, sequenceNumber, fragment: r.bytes(length), cid });
  }
  return { records, reject: null };
}

/** DTLS 1.2, or 1.0 (epoch 0 only: a ClientHello, a HelloVerifyRequest, RFC 6347 §4.1): what every record but an initial ClientHello carries. */
export function isDtlsRecordVersion(version: number): boolean {
  return version === DTLS_1_2 || version === DTLS_1_0;
}

/** Writes one record header (with `cid` after the sequence_number when given, RFC 9146 §4) + fragment at `out[offset]`; returns the new offset. */
export function writeRecord(
  out: Uint8Array,
  offset: number,
  type: number,
  epoch: number,
  sequenceNumber: number,
  fragment: Uint8Array,
  version = DTLS_1_2,
  cid: Uint8Array | null = null,
): number {
  out[offset] = type;
  out[offset + 1] = version >>> 8;
  out[offset + 2] = version & 0xff;
  out[offset + 3] = epoch >>> 8;
  out[offset + 4] = epoch & 0xff;
  writeSequenceNumber(out, offset + 5, sequenceNumber);
  let o = offset + 11;
  if (cid !== null) {
    out.set(cid, o);
    o += cid.length;
  }
  out[o] = fragment.length >>> 8;
  out[o + 1] = fragment.length & 0xff;
  out.set(fragment, o + 2);
  return o + 2 + fragment.length;
}

export function encodeRecord(
  type: number,
  epoch: number,
  sequenceNumber: number,
  fragment: Uint8Array,
  version = DTLS_1_2,
  cid: Uint8Array | null = null,
): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_LENGTH + (cid?.length ?? 0) + fragment.length);
  writeRecord(out, 0, type, epoch, sequenceNumber, fragment, version, cid);
  return out;
}

/** 48-bit big-endian at out[offset]. */
export function writeSequenceNumber(out: Uint8Array, offset: number, seq: number): void {
  const hi = Math.floor(seq / 0x100000000);
  const lo = seq - hi * 0x100000000;
  out[offset] = hi >>> 8;
  out[offset + 1] = hi & 0xff;
  out[offset + 2] = lo >>> 24;
  out[offset + 3] = (lo >>> 16) & 0xff;
  out[offset + 4] = (lo >>> 8) & 0xff;
  out[offset + 5] = lo & 0xff;
}

/**
 * The 13-byte additional data of a record's MAC / AEAD (RFC 5246 §6.2.3.1,
 * §6.2.3.3; in DTLS seq_num is epoch || sequence_number, RFC 6347 §4.1.2.1):
 * epoch(2) sequence_number(6) type(1) version(2) length(2).
 * With a CID, the RFC 9146 §5.1/§5.3 form instead (then `type` is tls12_cid
 * and `length` that of the DTLSInnerPlaintext).
 */
export function additionalData(
  epoch: number,
  sequenceNumber: number,
  type: number,
  version: number,
  length: number,
  cid: Uint8Array | null = null,
): Uint8Array {
  if (cid !== null) return cidAdditionalData(epoch, sequenceNumber, version, length, cid);
  const ad = new Uint8Array(13);
  ad[0] = epoch >>> 8;
  ad[1] = epoch & 0xff;
  writeSequenceNumber(ad, 2, sequenceNumber);
  ad[8] = type;
  ad[9] = version >>> 8;
  ad[10] = version & 0xff;
  ad[11] = length >>> 8;
  ad[12] = length & 0xff;
  return ad;
}

/**
 * RFC 9146 §5: seq_num_placeholder (8 × 0xff) tls12_cid cid_length tls12_cid
 * version(2) epoch(2) sequence_number(6) cid length_of_DTLSInnerPlaintext(2).
 * The placeholder and the repeated type keep it from ever equalling the
 * 13-byte form of a record without a CID.
 */
function cidAdditionalData(epoch: number, sequenceNumber: number, version: number, length: number, cid: Uint8Array): Uint8Array {
  const ad = new Uint8Array(23 + cid.length);
  ad.fill(0xff, 0, 8);
  ad[8] = ContentType.tls12_cid;
  ad[9] = cid.length;
  ad[10] = ContentType.tls12_cid;
  ad[11] = version >>> 8;
  ad[12] = version & 0xff;
  ad[13] = epoch >>> 8;
  ad[14] = epoch & 0xff;
  writeSequenceNumber(ad, 15, sequenceNumber);
  ad.set(cid, 21);
  ad[21 + cid.length] = length >>> 8;
  ad[22 + cid.length] = length & 0xff;
  return ad;
}
