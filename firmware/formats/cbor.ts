// A small strict CBOR (RFC 8949) codec for the core: the subset SenML CBOR (RFC 8428 §6) and LwM2M use.
// Pure ES2022 over Uint8Array/DataView, so it runs unchanged in XS on the device.
//
// Decode gives: unsigned/negative integers as number while safe (|n| <= 2^53 - 1), else bigint (64-bit max);
// byte strings as fresh Uint8Array copies (never views into the datagram); text strings (strict UTF-8);
// arrays; maps as Map with integer or text keys (duplicates rejected); false/true/null; float16/32/64.
// Definite and indefinite lengths are accepted. Rejected (an error value, never a throw): truncation,
// trailing bytes, reserved additional info 28-30, misplaced break, every tag (SenML uses none, so tags are
// refused rather than skipped), undefined and other simple values, nesting deeper than maxDepth,
// more than maxItems data items.
//
// Encode writes definite lengths only and preferred ("shortest") heads: safe integers and 64-bit bigints as
// integers, other numbers (and -0) as float32 when exact else float64. Maps come from Map (integer/text keys) or
// plain objects (text keys). Two passes (size, then write) so the only allocation is the exact output.
//
// Decoder and encoder share one file: they share the head layout, the limits, the value shapes above
// and the module-level cursor state that keeps the codec allocation-free.
import { utf8DecodeStrict, utf8Length } from '../util/utf8';

export type CborValue = number | bigint | string | boolean | null | Uint8Array | CborValue[] | Map<number | string, CborValue>;

export interface CborLimits {
  /** Deepest container nesting accepted (top-level array = 1). */
  maxDepth: number;
  /** Most data items (keys and values, containers included) in one decode. */
  maxItems: number;
  /** Largest encoded output, in bytes. */
  maxBytes: number;
}

/** Defaults: a SenML pack is depth 2; 1024 records (MAX_SENML_RECORDS) of ~3 fields stay under maxItems. */
export const CBOR_DEFAULT_LIMITS: Readonly<CborLimits> = Object.freeze({ maxDepth: 8, maxItems: 8192, maxBytes: 65536 });

export type CborDecodeResult = { ok: true; value: CborValue } | { ok: false; error: string; offset: number };
export type CborEncodeResult = { ok: true; value: Uint8Array } | { ok: false; error: string };

// ---- decode ----------------------------------------------------------------------------------

// Decoder state lives in module variables for speed (no closure or object per call); decoding is synchronous.
const FAIL: unique symbol = Symbol('cbor-fail');
const BREAK: unique symbol = Symbol('cbor-break');
type Got = CborValue | typeof FAIL;

let src: Uint8Array = new Uint8Array(0);
let view: DataView = new DataView(src.buffer);
let pos = 0;
let end = 0;
let items = 0;
let maxItems = 0;
let maxDepth = 0;
let why = '';
let at = 0;

function failAt(reason: string, offset: number): typeof FAIL {
  why = reason;
  at = offset;
  return FAIL;
}

const TWO32 = 4294967296;

/** Reads the argument of a head whose additional info is `ai` (0-27); -1 on truncation, -2 if above 2^53 - 1
 *  (then `bigArg` holds it). */
let bigArg = 0n;
function argument(ai: number): number {
  if (ai < 24) return ai;
  if (ai === 24) {
    if (pos + 1 > end) return -1;
    return src[pos++];
  }
  if (ai === 25) {
    if (pos + 2 > end) return -1;
    const v = (src[pos] << 8) | src[pos + 1];
    pos += 2;
    return v;
  }
  if (ai === 26) {
    if (pos + 4 > end) return -1;
    const v = view.getUint32(pos);
    pos += 4;
    return v;
  }
  // ai === 27
  if (pos + 8 > end) return -1;
  const hi = view.getUint32(pos),
    lo = view.getUint32(pos + 4);
  pos += 8;
  if (hi < 0x200000) return hi * TWO32 + lo; // < 2^53: exact as a number
  bigArg = (BigInt(hi) << 32n) | BigInt(lo);
  return -2;
}

function countItem(offset: number): boolean {
  if (++items > maxItems) {
    failAt(`more than ${maxItems} data items`, offset);
    return false;
  }
  return true;
}

function readText(start: number, stop: number): string | undefined {
  // ASCII fast paths: SenML names and labels are short ASCII; longer runs go 1024 bytes per fromCharCode.
  if (stop - start <= 16) {
    let s = '';
    for (let i = start; i < stop; i++) {
      const c = src[i];
      if (c > 0x7f) return utf8DecodeStrict(src, start, stop);
      s += String.fromCharCode(c);
    }
    return s;
  }
  let ascii = true;
  for (let i = start; i < stop; i++)
    if (src[i] > 0x7f) {
      ascii = false;
      break;
    }
  if (!ascii) return utf8DecodeStrict(src, start, stop);
  let s = '';
  for (let i = start; i < stop; i += 1024) {
    s += String.fromCharCode.apply(null, src.subarray(i, Math.min(stop, i + 1024)) as unknown as number[]);
  }
  return s;
}

function halfToNumber(h: number): number {
  const e = (h >> 10) & 0x1f,
    m = h & 0x3ff;
  const v = e === 0 ? m * 2 ** -24 : e === 31 ? (m === 0 ? Infinity : NaN) : (m + 1024) * 2 ** (e - 25);
  return h & 0x8000 ? -v : v;
}

/** One data item; `depth` = containers already open around it. May return BREAK when `breakOk`. */
function item(depth: number, breakOk: boolean): Got | typeof BREAK {
  const start = pos;
  if (pos >= end) return failAt('truncated', pos);
  const ib = src[pos++];
  const major = ib >> 5,
    ai = ib & 0x1f;
  if (ai >= 28 && ai <= 30) return failAt(`reserved additional information ${ai}`, start);
  if (ai === 31) {
    if (major === 7) return breakOk ? BREAK : failAt('unexpected break', start);
    if (!countItem(start)) return FAIL;
    if (major === 2 || major === 3) return indefiniteString(major, start);
    if (major === 4 || major === 5) return container(major, -1, depth, start);
    return failAt(`indefinite length on major type ${major}`, start);
  }
  if (++items > maxItems) return failAt(`more than ${maxItems} data items`, start);
  if (major === 7) return simple(ai, start);
  const n = ai < 24 ? ai : argument(ai);
  if (n === -1) return failAt('truncated', start);
  switch (major) {
    case 0:
      return n === -2 ? bigArg : n;
    case 1:
      if (n === -2) return -1n - bigArg;
      // -1 - n stays a safe integer for n <= 2^53 - 2; 2^53 - 1 needs a bigint.
      return n < 9007199254740991 ? -1 - n : -1n - BigInt(n);
    case 2:
    case 3: {
      if (n < 0 || n > end - pos) return failAt('truncated string', start);
      const s = pos;
      pos += n;
      if (major === 2) return src.slice(s, pos);
      const t = readText(s, pos);
      return t === undefined ? failAt('invalid UTF-8 in text string', start) : t;
    }
    case 4:
    case 5:
      if (n < 0) return failAt('truncated', start);
      return container(major, n, depth, start);
    default: // 6
      return failAt(`tag ${n === -2 ? bigArg : n} not supported`, start);
  }
}

function simple(ai: number, start: number): Got {
  switch (ai) {
    case 20:
      return false;
    case 21:
      return true;
    case 22:
      return null;
    case 25:
      if (pos + 2 > end) return failAt('truncated', start);
      pos += 2;
      return halfToNumber((src[pos - 2] << 8) | src[pos - 1]);
    case 26:
      if (pos + 4 > end) return failAt('truncated', start);
      pos += 4;
      return view.getFloat32(pos - 4);
    case 27:
      if (pos + 8 > end) return failAt('truncated', start);
      pos += 8;
      return view.getFloat64(pos - 8);
  }
  return failAt(ai === 23 ? 'undefined not supported' : `simple value ${ai === 24 ? 'in a byte' : ai} not supported`, start);
}

function indefiniteString(major: number, start: number): Got {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    if (pos >= end) return failAt('truncated', start);
    const ib = src[pos];
    if (ib === 0xff) {
      pos++;
      break;
    }
    // Chunks are definite strings of the same major type (RFC 8949 §3.2.3).
    if (ib >> 5 !== major || (ib & 0x1f) > 27) return failAt('bad chunk in indefinite-length string', pos);
    const cs = pos++;
    if (!countItem(cs)) return FAIL;
    const n = argument(ib & 0x1f);
    if (n < 0 || n > end - pos) return failAt('truncated string', cs);
    // Each text chunk must be valid UTF-8 on its own.
    if (major === 3 && utf8DecodeStrict(src, pos, pos + n) === undefined) return failAt('invalid UTF-8 in text string', cs);
    parts.push(src.subarray(pos, pos + n));
    total += n;
    pos += n;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  if (major === 2) return out;
  return utf8DecodeStrict(out) ?? failAt('invalid UTF-8 in text string', start);
}

/** Array (major 4) or map (major 5) of n entries, n = -1 for indefinite length. */
function container(major: number, n: number, depth: number, start: number): Got {
  if (depth + 1 > maxDepth) return failAt(`nesting deeper than ${maxDepth}`, start);
  if (n >= 0) {
    // Each entry takes at least one byte per item: reject impossible counts before allocating anything.
    const need = major === 4 ? n : 2 * n;
    if (need > end - pos) return failAt('truncated', start);
    if (items + need > maxItems) return failAt(`more than ${maxItems} data items`, start);
  }
  if (major === 4) {
    const a: CborValue[] = [];
    for (let i = 0; n < 0 || i < n; i++) {
      const v = item(depth + 1, n < 0);
      if (v === BREAK) break;
      if (v === FAIL) return FAIL;
      a.push(v);
    }
    return a;
  }
  const m = new Map<number | string, CborValue>();
  for (let i = 0; n < 0 || i < n; i++) {
    const ks = pos;
    const k = item(depth + 1, n < 0);
    if (k === BREAK) break;
    if (k === FAIL) return FAIL;
    // Keys are CBOR integers in the safe range or text (a float 1.0 is not the integer label 1).
    const km = src[ks] >> 5;
    if (!(typeof k === 'string' || (typeof k === 'number' && km <= 1))) return failAt('map key is not an integer or text', ks);
    if (m.has(k)) return failAt('duplicate map key', ks);
    const v = item(depth + 1, false);
    if (v === FAIL) return FAIL;
    m.set(k, v as CborValue);
  }
  return m;
}

/** Decodes exactly one CBOR data item filling `bytes`. Never throws. */
export function decodeCbor(bytes: Uint8Array, limits?: Partial<CborLimits>): CborDecodeResult {
  src = bytes;
  view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  pos = 0;
  end = bytes.length;
  items = 0;
  maxItems = limits?.maxItems ?? CBOR_DEFAULT_LIMITS.maxItems;
  maxDepth = limits?.maxDepth ?? CBOR_DEFAULT_LIMITS.maxDepth;
  let r: Got | typeof BREAK;
  try {
    r = item(0, false);
  } catch {
    r = failAt('decoder limit', pos); // e.g. engine stack or memory; the bounds above should keep this unused
  }
  let out: CborDecodeResult;
  if (r === FAIL || r === BREAK) out = { ok: false, error: why, offset: at };
  else if (pos !== end) out = { ok: false, error: 'trailing bytes', offset: pos };
  else out = { ok: true, value: r };
  src = EMPTY;
  view = EMPTY_VIEW; // do not keep the datagram alive
  return out;
}

const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);

// ---- encode ----------------------------------------------------------------------------------

let encErr = '';
let encMaxDepth = 0;
let out: Uint8Array = EMPTY;
let outView: DataView = EMPTY_VIEW;
let o = 0;

function headSize(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < TWO32 ? 5 : 9;
}

function bigHeadSize(n: bigint): number {
  return n < 0x100000000n ? headSize(Number(n)) : 9;
}

function isFloat32(x: number): boolean {
  return Math.fround(x) === x || x !== x; // NaN: float32 quiet NaN
}

const MAX_U64 = 0xffffffffffffffffn;

/** Byte size of v, or -1 (encErr set). */
function sizeOf(v: unknown, depth: number): number {
  switch (typeof v) {
    case 'number':
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) return headSize(v < 0 ? -1 - v : v);
      return isFloat32(v) ? 5 : 9;
    case 'bigint':
      if (v >= 0n) {
        if (v > MAX_U64) break;
        return bigHeadSize(v);
      }
      if (-1n - v > MAX_U64) break;
      return bigHeadSize(-1n - v);
    case 'string': {
      const n = utf8Length(v);
      return headSize(n) + n;
    }
    case 'boolean':
      return 1;
    case 'object': {
      if (v === null) return 1;
      if (v instanceof Uint8Array) return headSize(v.length) + v.length;
      // Containers only; the bound also stops a cyclic structure.
      if (depth >= encMaxDepth) {
        encErr = `nesting deeper than ${encMaxDepth}`;
        return -1;
      }
      if (Array.isArray(v)) {
        let n = headSize(v.length);
        for (let i = 0; i < v.length; i++) {
          const s = sizeOf(v[i], depth + 1);
          if (s < 0) return -1;
          n += s;
        }
        return n;
      }
      if (v instanceof Map) {
        let n = headSize(v.size);
        for (const [k, x] of v) {
          if (typeof k !== 'string' && !Number.isSafeInteger(k)) {
            encErr = 'map key is not an integer or text';
            return -1;
          }
          const a = sizeOf(k, depth + 1);
          const b = sizeOf(x, depth + 1);
          if (b < 0) return -1;
          n += a + b;
        }
        return n;
      }
      if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
        const keys = Object.keys(v);
        let n = headSize(keys.length);
        for (const k of keys) {
          const b = sizeOf((v as Record<string, unknown>)[k], depth + 1);
          if (b < 0) return -1;
          n += sizeOf(k, depth) + b;
        }
        return n;
      }
      encErr = 'cannot encode this object';
      return -1;
    }
  }
  encErr = typeof v === 'bigint' ? 'integer beyond 64 bits' : `cannot encode ${typeof v}`;
  return -1;
}

function head(major: number, n: number): void {
  const m = major << 5;
  if (n < 24) out[o++] = m | n;
  else if (n < 0x100) {
    out[o++] = m | 24;
    out[o++] = n;
  } else if (n < 0x10000) {
    out[o++] = m | 25;
    out[o++] = n >> 8;
    out[o++] = n & 0xff;
  } else if (n < TWO32) {
    out[o++] = m | 26;
    outView.setUint32(o, n);
    o += 4;
  } else {
    out[o++] = m | 27;
    outView.setUint32(o, Math.floor(n / TWO32));
    outView.setUint32(o + 4, n >>> 0);
    o += 8;
  }
}

function bigHead(major: number, n: bigint): void {
  if (n < 0x100000000n) {
    head(major, Number(n));
    return;
  }
  out[o++] = (major << 5) | 27;
  outView.setUint32(o, Number(n >> 32n));
  outView.setUint32(o + 4, Number(n & 0xffffffffn));
  o += 8;
}

function writeText(s: string): void {
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
      continue;
    }
    if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 63);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && (d & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out[o++] = 0xf0 | (c >> 18);
        out[o++] = 0x80 | ((c >> 12) & 63);
        out[o++] = 0x80 | ((c >> 6) & 63);
        out[o++] = 0x80 | (c & 63);
        continue;
      }
      c = 0xfffd; // lone surrogate
    }
    out[o++] = 0xe0 | (c >> 12);
    out[o++] = 0x80 | ((c >> 6) & 63);
    out[o++] = 0x80 | (c & 63);
  }
}

function writeEntry(x: unknown, k: unknown): void {
  write(k);
  write(x);
}

/** Writes v; sizeOf(v) has already validated it. */
function write(v: unknown): void {
  switch (typeof v) {
    case 'number':
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
        if (v < 0) head(1, -1 - v);
        else head(0, v);
      } else if (isFloat32(v)) {
        out[o++] = 0xfa;
        outView.setFloat32(o, v);
        o += 4;
      } else {
        out[o++] = 0xfb;
        outView.setFloat64(o, v);
        o += 8;
      }
      return;
    case 'bigint':
      if (v < 0n) bigHead(1, -1n - v);
      else bigHead(0, v);
      return;
    case 'string':
      if (v.length < 24) {
        // Short strings: write the text after a one-byte head, then fix the head (or shift if it grew).
        const h = o++;
        writeText(v);
        const n = o - h - 1;
        if (n < 24) {
          out[h] = 0x60 | n;
          return;
        }
        out.copyWithin(h + 2, h + 1, o);
        out[h] = 0x78;
        out[h + 1] = n;
        o++;
        return;
      }
      head(3, utf8Length(v));
      writeText(v);
      return;
    case 'boolean':
      out[o++] = v ? 0xf5 : 0xf4;
      return;
  }
  if (v === null) {
    out[o++] = 0xf6;
    return;
  }
  if (v instanceof Uint8Array) {
    head(2, v.length);
    out.set(v, o);
    o += v.length;
    return;
  }
  if (Array.isArray(v)) {
    head(4, v.length);
    for (let i = 0; i < v.length; i++) write(v[i]);
    return;
  }
  if (v instanceof Map) {
    head(5, v.size);
    v.forEach(writeEntry);
    return;
  }
  const keys = Object.keys(v as object);
  head(5, keys.length);
  for (const k of keys) {
    write(k);
    write((v as Record<string, unknown>)[k]);
  }
}

/** Encodes v (see the header for what is accepted). Never throws. */
export function encodeCbor(v: unknown, limits?: Partial<CborLimits>): CborEncodeResult {
  encMaxDepth = limits?.maxDepth ?? CBOR_DEFAULT_LIMITS.maxDepth;
  const maxBytes = limits?.maxBytes ?? CBOR_DEFAULT_LIMITS.maxBytes;
  encErr = '';
  let n: number;
  try {
    n = sizeOf(v, 0);
  } catch {
    n = -1;
    encErr = 'value cannot be encoded';
  } // e.g. a throwing getter
  if (n < 0) return { ok: false, error: encErr };
  if (n > maxBytes) return { ok: false, error: `encoded size ${n} above ${maxBytes} bytes` };
  out = new Uint8Array(n);
  outView = new DataView(out.buffer);
  o = 0;
  write(v);
  const r = out;
  out = EMPTY;
  outView = EMPTY_VIEW;
  return o === n ? { ok: true, value: r } : { ok: false, error: 'encoder size mismatch' };
}
