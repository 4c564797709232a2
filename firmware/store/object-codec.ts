// Compact binary form of one LwM2M object instance for the record store.
//
//   u8  codec version (1): lets a firmware update recognise and migrate old bytes
//   uv  resource count, then per resource:
//       uv resource id, u8 tag, payload
//       tag MULTI: uv count, then per resource instance: uv id, u8 tag, payload
//   u16 CRC-16/CCITT-FALSE of everything before it (big-endian)
//
// uv = unsigned LEB128 varint up to 2^53-1. Tags keep the JS type, so a value
// decodes to exactly what was encoded: a safe integer stays a number, a bigint
// stays a bigint (even a small one), -0, NaN and ±Infinity survive as float64.

import type { Value } from '../model/types';
import { utf8DecodeStrict, utf8Encode } from '../util/utf8';
import { crc16 } from './crc';

export type { Value } from '../model/types';
export type InstanceResources = Map<number, Value | Map<number, Value>>;

export const OBJECT_CODEC_VERSION = 1;

const T_NULL = 0;
const T_FALSE = 1;
const T_TRUE = 2;
const T_UINT = 3; // non-negative safe integer: uv
const T_NINT = 4; // negative safe integer: uv of -n
const T_FLOAT = 5; // float64 LE
const T_BIGINT = 6; // u8 sign (0 +, 1 -), uv byte count, magnitude LE
const T_STRING = 7; // uv length, UTF-8
const T_OPAQUE = 8; // uv length, bytes
const T_OBJLNK = 9; // u16 objectId, u16 instanceId (LE)
const T_MULTI = 10;

class Writer {
  buf = new Uint8Array(64);
  len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.len++] = v;
  }

  uv(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`not an unsigned safe integer: ${v}`);
    this.room(8);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
}

function isObjlnk(v: unknown): v is { objectId: number; instanceId: number } {
  return (
    typeof v === 'object' &&
    v !== null &&
    !(v instanceof Uint8Array) &&
    !(v instanceof Map) &&
    typeof (v as { objectId: unknown }).objectId === 'number' &&
    typeof (v as { instanceId: unknown }).instanceId === 'number'
  );
}

function isU16(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffff;
}

function writeValue(w: Writer, v: Value): void {
  if (v === null) w.u8(T_NULL);
  else if (v === false) w.u8(T_FALSE);
  else if (v === true) w.u8(T_TRUE);
  else if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
      w.u8(v >= 0 ? T_UINT : T_NINT);
      w.uv(v >= 0 ? v : -v);
    } else {
      w.u8(T_FLOAT);
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, v, true);
      w.bytes(b);
    }
  } else if (typeof v === 'bigint') {
    let m = v < 0n ? -v : v;
    const mag: number[] = [];
    while (m > 0n) {
      mag.push(Number(m & 0xffn));
      m >>= 8n;
    }
    w.u8(T_BIGINT);
    w.u8(v < 0n ? 1 : 0);
    w.uv(mag.length);
    w.bytes(Uint8Array.from(mag));
  } else if (typeof v === 'string') {
    const b = utf8Encode(v);
    w.u8(T_STRING);
    w.uv(b.length);
    w.bytes(b);
  } else if (v instanceof Uint8Array) {
    w.u8(T_OPAQUE);
    w.uv(v.length);
    w.bytes(v);
  } else if (isObjlnk(v)) {
    if (!isU16(v.objectId) || !isU16(v.instanceId)) throw new RangeError('objlnk ids must be 0..65535');
    w.u8(T_OBJLNK);
    w.u8(v.objectId & 0xff);
    w.u8(v.objectId >> 8);
    w.u8(v.instanceId & 0xff);
    w.u8(v.instanceId >> 8);
  } else {
    throw new TypeError('not an LwM2M value');
  }
}

/**
 * Serialise one instance: resource id → value, or → Map of resource instance
 * id → value for a multiple-instance resource. Map order is kept.
 * Throws (TypeError/RangeError) only for input that is not a model value:
 * a negative or fractional id, an objlnk id beyond 16 bits, a foreign type.
 */
export function encodeInstance(resources: InstanceResources): Uint8Array {
  const w = new Writer();
  w.u8(OBJECT_CODEC_VERSION);
  w.uv(resources.size);
  for (const [id, v] of resources) {
    w.uv(id);
    if (v instanceof Map) {
      w.u8(T_MULTI);
      w.uv(v.size);
      for (const [riid, rv] of v) {
        w.uv(riid);
        writeValue(w, rv);
      }
    } else {
      writeValue(w, v);
    }
  }
  const crc = crc16(w.buf, 0, w.len);
  w.u8(crc >> 8);
  w.u8(crc & 0xff);
  return w.buf.slice(0, w.len);
}

/** Thrown inside the decoder only; decodeInstance turns it into undefined. */
class Damaged extends Error {
  override readonly name: string = 'Damaged';
}

class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly end: number,
  ) {}

  u8(): number {
    if (this.pos >= this.end) throw new Damaged();
    return this.buf[this.pos++];
  }

  uv(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      v += (b & 0x7f) * scale;
      if (!(b & 0x80)) {
        if (!Number.isSafeInteger(v)) throw new Damaged();
        return v;
      }
      scale *= 0x80;
    }
    throw new Damaged();
  }

  take(n: number): Uint8Array {
    if (n > this.end - this.pos) throw new Damaged();
    const b = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

function readValue(r: Reader, tag: number): Value {
  switch (tag) {
    case T_NULL:
      return null;
    case T_FALSE:
      return false;
    case T_TRUE:
      return true;
    case T_UINT:
      return r.uv();
    case T_NINT: {
      const n = r.uv();
      if (n === 0) throw new Damaged(); // -0 is written as float
      return -n;
    }
    case T_FLOAT: {
      const b = r.take(8);
      return new DataView(b.buffer).getFloat64(0, true);
    }
    case T_BIGINT: {
      const sign = r.u8();
      if (sign > 1) throw new Damaged();
      const mag = r.take(r.uv());
      let m = 0n;
      for (let i = mag.length - 1; i >= 0; i--) m = (m << 8n) | BigInt(mag[i]);
      return sign ? -m : m;
    }
    case T_STRING: {
      const b = r.take(r.uv());
      const s = utf8DecodeStrict(b);
      if (s === undefined) throw new Damaged();
      return s;
    }
    case T_OPAQUE:
      return r.take(r.uv());
    case T_OBJLNK: {
      const b = r.take(4);
      return { objectId: b[0] | (b[1] << 8), instanceId: b[2] | (b[3] << 8) };
    }
    default:
      throw new Damaged();
  }
}

/** The instance, or undefined when the bytes are damaged in any way (never throws). */
export function decodeInstance(bytes: Uint8Array): InstanceResources | undefined {
  try {
    if (!(bytes instanceof Uint8Array) || bytes.length < 4) return undefined;
    const end = bytes.length - 2;
    if (((bytes[end] << 8) | bytes[end + 1]) !== crc16(bytes, 0, end)) return undefined;
    const r = new Reader(bytes, end);
    if (r.u8() !== OBJECT_CODEC_VERSION) return undefined;
    const out: InstanceResources = new Map();
    for (let count = r.uv(); count > 0; count--) {
      const id = r.uv();
      if (out.has(id)) return undefined;
      const tag = r.u8();
      if (tag === T_MULTI) {
        const multi = new Map<number, Value>();
        for (let n = r.uv(); n > 0; n--) {
          const riid = r.uv();
          if (multi.has(riid)) return undefined;
          multi.set(riid, readValue(r, r.u8()));
        }
        out.set(id, multi);
      } else {
        out.set(id, readValue(r, tag));
      }
    }
    return r.pos === end ? out : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Suggested store key for an object instance: objectId in the high 16 bits,
 * instanceId in the low 16 (both 0..65535 in LwM2M).
 */
export function instanceKey(objectId: number, instanceId: number): number {
  if (!isU16(objectId) || !isU16(instanceId)) throw new RangeError('object and instance ids must be 0..65535');
  return objectId * 0x10000 + instanceId;
}

export function splitInstanceKey(key: number): { objectId: number; instanceId: number } {
  return { objectId: Math.floor(key / 0x10000), instanceId: key % 0x10000 };
}
