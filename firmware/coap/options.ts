// Option values (RFC 7252 §3.2, §5.10; RFC 7959 §2.2; RFC 7641 §2) and the
// recognised-option table used to reject unknown critical options (§5.4.1).
import { OptionNumber, type CoapMessage, type CoapOption } from './message';
import { utf8Encode, utf8Decode } from '../util/utf8';
import { deepFreeze } from '../util/freeze';

const EMPTY: Uint8Array = new Uint8Array(0);

/** Minimal-length big-endian uint (0 encodes as zero bytes). Values up to 2^32-1. */
export function encodeUint(v: number): Uint8Array {
  if (v < 0 || v > 0xffffffff || !Number.isInteger(v)) throw new RangeError(`uint option value ${v}`);
  if (v === 0) return EMPTY;
  const n = v < 0x100 ? 1 : v < 0x10000 ? 2 : v < 0x1000000 ? 3 : 4;
  const out = new Uint8Array(n);
  for (let i = n - 1, x = v; i >= 0; i--, x = Math.floor(x / 256)) out[i] = x & 0xff;
  return out;
}

/** Big-endian uint of up to 4 bytes; undefined when longer (a malformed value). */
export function decodeUint(b: Uint8Array): number | undefined {
  if (b.length > 4) return undefined;
  let v = 0;
  for (let i = 0; i < b.length; i++) v = v * 256 + b[i];
  return v;
}

export function uintOption(number: number, v: number): CoapOption {
  return { number, value: encodeUint(v) };
}
export function stringOption(number: number, s: string): CoapOption {
  return { number, value: utf8Encode(s) };
}

export function findOption(m: { options: CoapOption[] }, number: number): CoapOption | undefined {
  for (const o of m.options) if (o.number === number) return o;
  return undefined;
}

export function getStrings(m: { options: CoapOption[] }, number: number): string[] {
  const out: string[] = [];
  for (const o of m.options) if (o.number === number) out.push(optionText(o.value));
  return out;
}

/** An option's text: the usual short ASCII one ("3", "0", "rd") without the general decoder's buffers. */
export function optionText(v: Uint8Array): string {
  if (v.length > 8) return utf8Decode(v);
  let s = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c >= 0x80) return utf8Decode(v);
    s += String.fromCharCode(c);
  }
  return s;
}

function getUintOpt(m: { options: CoapOption[] }, number: number): number | undefined {
  const o = findOption(m, number);
  return o ? decodeUint(o.value) : undefined;
}

export function getUriPath(m: CoapMessage): string[] {
  return getStrings(m, OptionNumber.URI_PATH);
}
export function getUriQuery(m: CoapMessage): string[] {
  return getStrings(m, OptionNumber.URI_QUERY);
}
export function getLocationPath(m: CoapMessage): string[] {
  return getStrings(m, OptionNumber.LOCATION_PATH);
}
export function getContentFormat(m: CoapMessage): number | undefined {
  return getUintOpt(m, OptionNumber.CONTENT_FORMAT);
}
export function getAccept(m: CoapMessage): number | undefined {
  return getUintOpt(m, OptionNumber.ACCEPT);
}
export function getSize1(m: CoapMessage): number | undefined {
  return getUintOpt(m, OptionNumber.SIZE1);
}

/** Observe value (RFC 7641: 0–3 bytes, 24-bit); undefined when absent or longer than 3 bytes. */
export function getObserve(m: CoapMessage): number | undefined {
  const o = findOption(m, OptionNumber.OBSERVE);
  return o && o.value.length <= 3 ? decodeUint(o.value) : undefined;
}

export interface BlockValue {
  /** Block number (NUM). */
  num: number;
  /** More flag (M). */
  more: boolean;
  /** Size exponent (SZX): size = 2^(szx+4); 7 is reserved. */
  szx: number;
  /** Block size in bytes. */
  size: number;
}

/** RFC 7959 §2.2: NUM(4..20 bits) | M(1) | SZX(3), 0–3 bytes. null when malformed. */
export function decodeBlock(b: Uint8Array): BlockValue | null {
  if (b.length > 3) return null;
  const v = decodeUint(b)!;
  const szx = v & 7;
  return { num: v >>> 4, more: (v & 8) !== 0, szx, size: 1 << (szx + 4) };
}

export function encodeBlock(num: number, more: boolean, szx: number): Uint8Array {
  if (num < 0 || num > 0xfffff || szx < 0 || szx > 6) throw new RangeError('block value out of range');
  return encodeUint(num * 16 + (more ? 8 : 0) + szx);
}

/**
 * Block1/Block2 option of a message: undefined when absent, null when
 * malformed (longer than 3 bytes or the reserved SZX 7) — a request with a
 * malformed Block option is answered 4.00 (RFC 7959 §2.2).
 */
export function getBlock(m: CoapMessage, number: 23 | 27): BlockValue | null | undefined {
  return blockOption(findOption(m, number));
}

/** A Block1/Block2 option's value as getBlock reads it: undefined when absent, null when malformed. */
export function blockOption(o: CoapOption | undefined): BlockValue | null | undefined {
  if (!o) return undefined;
  const b = decodeBlock(o.value);
  return b && b.szx < 7 ? b : null;
}

export function szxToSize(szx: number): number {
  return 1 << (szx + 4);
}

/** Options this stack recognises, with their value length ranges (RFC 7252 §5.10, 7959, 7641). */
const KNOWN: { [n: number]: [min: number, max: number, repeatable: boolean] } = deepFreeze({
  1: [0, 8, true], // If-Match
  3: [1, 255, false], // Uri-Host
  4: [1, 8, true], // ETag
  5: [0, 0, false], // If-None-Match
  6: [0, 3, false], // Observe
  7: [0, 2, false], // Uri-Port
  8: [0, 255, true], // Location-Path
  11: [0, 255, true], // Uri-Path
  12: [0, 2, false], // Content-Format
  14: [0, 4, false], // Max-Age
  15: [0, 255, true], // Uri-Query
  17: [0, 2, false], // Accept
  20: [0, 255, true], // Location-Query
  23: [0, 3, false], // Block2
  27: [0, 3, false], // Block1
  28: [0, 4, false], // Size2
  35: [1, 1034, false], // Proxy-Uri
  39: [1, 255, false], // Proxy-Scheme
  60: [0, 4, false], // Size1
});

export function isCritical(number: number): boolean {
  return (number & 1) === 1;
}

/**
 * First critical option that is unrecognised (RFC 7252 §5.4.1), has a value
 * length out of range (§5.4.3: treat as unrecognised) or repeats although it
 * is not repeatable (§5.4.5). Elective misfits are ignored by the receiver.
 * Returns the option number, or -1 when the message is acceptable.
 */
export function firstBadCriticalOption(m: CoapMessage): number {
  let prev = -1;
  for (const o of m.options) {
    const repeated = o.number === prev;
    prev = o.number;
    if (!isCritical(o.number)) continue;
    const k = KNOWN[o.number];
    if (!k) return o.number;
    if (o.value.length < k[0] || o.value.length > k[1]) return o.number;
    if (repeated && !k[2]) return o.number;
  }
  return -1;
}
