// On-flash layout of the record store, format version 1. Little-endian.
//
// Sector (one erase block):
//   +0  u32 magic 'LWMS'
//   +4  u16 format version
//   +6  u16 reserved, 0
//   +8  u32 sector sequence: order of the sectors in the log
//   +12 u32 CRC-32 of +0..+11
//   +16 records, each at a 4-byte-aligned offset; erased (0xFF) after the last
//
// Record = one whole transaction:
//   +0  u16 marker 0x5452
//   +2  u16 body length n
//   +4  u32 record sequence (strictly increasing over the log)
//   +8  u32 CRC-32 of +0..+7: lets a scan trust n and step over a torn body
//   +12 body: entries { u32 key, u16 length (0xFFFF = deleted), value bytes }
//   +12+n u32 CRC-32 of +0..+12+n-1: the commit mark. The record, and with it
//        every change of its transaction, exists only if this matches.
// A record never spans sectors, so a transaction is limited to one sector.

import { crc32 } from './crc';

export const FORMAT_VERSION = 1;
export const SECTOR_MAGIC = 0x534d574c; // 'LWMS' read as LE u32
export const SECTOR_HEADER_SIZE = 16;
export const RECORD_MARKER = 0x5452;
export const RECORD_HEADER_SIZE = 12;
export const RECORD_TRAILER_SIZE = 4;
export const RECORD_OVERHEAD = RECORD_HEADER_SIZE + RECORD_TRAILER_SIZE;
export const ENTRY_HEADER_SIZE = 6;
export const TOMBSTONE = 0xffff;
export const MAX_VALUE_LENGTH = 0xfffe;
export const ALIGN = 4;

export function align(n: number): number {
  return (n + ALIGN - 1) & ~(ALIGN - 1);
}

export interface Entry {
  key: number;
  value: Uint8Array | null; // null: deleted
}

export function entrySize(e: Entry): number {
  return ENTRY_HEADER_SIZE + (e.value ? e.value.length : 0);
}

export function recordSize(entries: readonly Entry[]): number {
  let n = RECORD_OVERHEAD;
  for (const e of entries) n += entrySize(e);
  return n;
}

export function encodeSectorHeader(seq: number, version = FORMAT_VERSION): Uint8Array {
  const b = new Uint8Array(SECTOR_HEADER_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, SECTOR_MAGIC, true);
  v.setUint16(4, version, true);
  v.setUint16(6, 0, true);
  v.setUint32(8, seq >>> 0, true);
  v.setUint32(12, crc32(b, 0, 12), true);
  return b;
}

export interface SectorHeader {
  version: number;
  seq: number;
}

/** undefined: not a store sector (blank, foreign, torn or invalidated). */
export function parseSectorHeader(b: Uint8Array): SectorHeader | undefined {
  if (b.length < SECTOR_HEADER_SIZE) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, SECTOR_HEADER_SIZE);
  if (v.getUint32(0, true) !== SECTOR_MAGIC) return undefined;
  if (v.getUint32(12, true) !== crc32(b, 0, 12)) return undefined;
  return { version: v.getUint16(4, true), seq: v.getUint32(8, true) };
}

/** The record image as written: header, body, commit CRC. */
export function encodeRecord(seq: number, entries: readonly Entry[]): Uint8Array {
  const size = recordSize(entries);
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  const n = size - RECORD_OVERHEAD;
  v.setUint16(0, RECORD_MARKER, true);
  v.setUint16(2, n, true);
  v.setUint32(4, seq >>> 0, true);
  v.setUint32(8, crc32(b, 0, 8), true);
  let o = RECORD_HEADER_SIZE;
  for (const e of entries) {
    v.setUint32(o, e.key >>> 0, true);
    v.setUint16(o + 4, e.value ? e.value.length : TOMBSTONE, true);
    o += ENTRY_HEADER_SIZE;
    if (e.value) {
      b.set(e.value, o);
      o += e.value.length;
    }
  }
  v.setUint32(o, crc32(b, 0, o), true);
  return b;
}

export interface RecordHeader {
  seq: number;
  bodyLength: number;
  /** Bytes from the record start to the end of its commit CRC. */
  size: number;
}

/** Header at buf[off]; undefined when it is not a sound record header or would overrun `limit`. */
export function parseRecordHeader(buf: Uint8Array, off: number, limit: number): RecordHeader | undefined {
  if (off + RECORD_HEADER_SIZE > limit) return undefined;
  const v = new DataView(buf.buffer, buf.byteOffset + off, RECORD_HEADER_SIZE);
  if (v.getUint16(0, true) !== RECORD_MARKER) return undefined;
  if (v.getUint32(8, true) !== crc32(buf, off, off + 8)) return undefined;
  const bodyLength = v.getUint16(2, true);
  const size = RECORD_OVERHEAD + bodyLength;
  if (off + size > limit) return undefined;
  return { seq: v.getUint32(4, true), bodyLength, size };
}

/** True when the commit CRC of the record at buf[off] matches. */
export function recordCommitted(buf: Uint8Array, off: number, h: RecordHeader): boolean {
  const end = off + RECORD_HEADER_SIZE + h.bodyLength;
  const v = new DataView(buf.buffer, buf.byteOffset + end, 4);
  return v.getUint32(0, true) === crc32(buf, off, end);
}

/**
 * Walk the entries of a committed record. `visit` gets the key, the offset of
 * the value inside buf and its length (-1 when deleted). False: the body does
 * not parse into whole entries (only possible through a bug, since the CRC matched).
 */
export function forEachEntry(
  buf: Uint8Array,
  off: number,
  h: RecordHeader,
  visit: (key: number, valueOffset: number, length: number) => void,
): boolean {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.length);
  let o = off + RECORD_HEADER_SIZE;
  const end = o + h.bodyLength;
  // Check first, then visit: a malformed body must change nothing.
  let p = o;
  while (p < end) {
    if (p + ENTRY_HEADER_SIZE > end) return false;
    const len = v.getUint16(p + 4, true);
    p += ENTRY_HEADER_SIZE + (len === TOMBSTONE ? 0 : len);
    if (p > end) return false;
  }
  while (o < end) {
    const key = v.getUint32(o, true);
    const len = v.getUint16(o + 4, true);
    o += ENTRY_HEADER_SIZE;
    if (len === TOMBSTONE) visit(key, o, -1);
    else {
      visit(key, o, len);
      o += len;
    }
  }
  return true;
}
