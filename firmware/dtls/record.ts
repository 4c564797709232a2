// DTLS record layer framing (RFC 6347 §4.1): DTLSPlaintext / DTLSCiphertext
// headers, several records per datagram (§4.1.1). Parsing is strict and
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
}

/** Why a record was rejected before any cryptography. */
export type RecordReject = 'truncated' | 'bad_content_type' | 'bad_version' | 'record_overflow';

function knownType(t: number): boolean {
  return t === ContentType.change_cipher_spec || t === ContentType.alert
    || t === ContentType.handshake || t === ContentType.application_data;
}

/**
 * Splits a datagram into records. Returns the records that framed and, when
 * the walk stopped early, the reason; records before a bad one are kept
 * (each record is protected on its own, §4.1.1).
 */
export function parseRecords(datagram: Uint8Array): { records: DtlsRecord[]; reject: RecordReject | null } {
  const records: DtlsRecord[] = [];
  const r = new Reader(datagram);
  while (r.remaining > 0) {
    if (r.remaining < RECORD_HEADER_LENGTH) return { records, reject: 'truncated' };
    const type = r.u8();
    const version = r.u16();
    const epoch = r.u16();
    const sequenceNumber = r.u48();
    const length = r.u16();
    if (!knownType(type)) return { records, reject: 'bad_content_type' };
    // DTLS 1.0 appears only on epoch-0 records (a ClientHello, a HelloVerifyRequest, §4.1).
    if (version !== DTLS_1_2 && !(version === DTLS_1_0 && epoch === 0)) return { records, reject: 'bad_version' };
    if (length > MAX_CIPHERTEXT_LENGTH) return { records, reject: 'record_overflow' };
    if (length > r.remaining) return { records, reject: 'truncated' };
    records.push({ type, version, epoch, sequenceNumber, fragment: r.bytes(length) });
  }
  return { records, reject: null };
}

/** Writes one record header + fragment at `out[offset]`; returns the new offset. */
export function writeRecord(out: Uint8Array, offset: number, type: number, epoch: number, sequenceNumber: number, fragment: Uint8Array, version = DTLS_1_2): number {
  out[offset] = type;
  out[offset + 1] = version >>> 8;
  out[offset + 2] = version & 0xff;
  out[offset + 3] = epoch >>> 8;
  out[offset + 4] = epoch & 0xff;
  writeSequenceNumber(out, offset + 5, sequenceNumber);
  out[offset + 11] = fragment.length >>> 8;
  out[offset + 12] = fragment.length & 0xff;
  out.set(fragment, offset + RECORD_HEADER_LENGTH);
  return offset + RECORD_HEADER_LENGTH + fragment.length;
}

export function encodeRecord(type: number, epoch: number, sequenceNumber: number, fragment: Uint8Array, version = DTLS_1_2): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_LENGTH + fragment.length);
  writeRecord(out, 0, type, epoch, sequenceNumber, fragment, version);
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
 */
export function additionalData(epoch: number, sequenceNumber: number, type: number, version: number, length: number): Uint8Array {
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
