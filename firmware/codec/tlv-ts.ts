// Pure-TypeScript TLV backend: the fallback where no wasm/native codec exists, and the baseline
// the AssemblyScript build is measured against. Same algorithm and limits as assembly/tlv.ts.
import type { TlvBackend } from './backend';
import {
  ENTRY_WORDS,
  E_KIND,
  E_ID,
  E_PARENT,
  E_OFFSET,
  E_LENGTH,
  E_TYPE,
  E_LO,
  E_HI,
  C_OP,
  C_KIND,
  C_ID,
  C_TYPE,
  C_DATA,
  C_LENGTH,
  C_LO,
  C_HI,
  OP_BEGIN,
  OP_END,
  OP_LEAF,
  KIND_OBJECT_INSTANCE,
  KIND_MULTIPLE_RESOURCE,
  KIND_RESOURCE,
  KIND_RESOURCE_INSTANCE,
  T_INTEGER,
  T_TIME,
  T_UNSIGNED,
  T_FLOAT,
  T_BOOLEAN,
  T_OBJLNK,
  T_STRING,
  T_OPAQUE,
  T_CORELNK,
  T_RAW,
  T_NONE,
  TLV_TRUNCATED,
  TLV_OVERLONG,
  TLV_NESTING,
  TLV_WIDTH,
  TLV_BOOLEAN,
  TLV_TOO_MANY,
  TLV_TOO_LARGE,
  TLV_BAD_COMMAND,
  TLV_LENGTH,
} from './tlv-constants';

/** Default bounds, equal to the Node/XS wasm build's (assembly/bounds.ts). The device's native
 *  build has smaller ones (build/build-wasm.mjs); adapters read them from the module at run time. */
export const TLV_MAX_PAYLOAD = 16384;
export const TLV_MAX_ENTRIES = 768;
export const TLV_MAX_DATA = 16384;
const MAX_DEPTH = 3; // object instance > multiple resource > resource instance

/** Which children each kind may hold: bitmask of (1 << kind). Leaves hold nothing. */
export function allowedChildren(kind: number): number {
  if (kind === KIND_OBJECT_INSTANCE) return (1 << KIND_RESOURCE) | (1 << KIND_MULTIPLE_RESOURCE);
  if (kind === KIND_MULTIPLE_RESOURCE) return 1 << KIND_RESOURCE_INSTANCE;
  return 0;
}

export class TlvTs implements TlvBackend {
  readonly name = 'ts';
  readonly maxPayload: number;
  readonly maxEntries: number;
  readonly maxData: number;
  readonly table: Int32Array;
  readonly tableF64: Float64Array;
  readonly data: Uint8Array;
  errorIndex = -1;
  private payload: Uint8Array = new Uint8Array(0);
  private readonly view: DataView;
  private readonly out: Uint8Array;
  private readonly ends = new Int32Array(MAX_DEPTH);
  private readonly parents = new Int32Array(MAX_DEPTH);

  constructor(maxPayload = TLV_MAX_PAYLOAD, maxEntries = TLV_MAX_ENTRIES, maxData = TLV_MAX_DATA) {
    this.maxPayload = maxPayload;
    this.maxEntries = maxEntries;
    this.maxData = maxData;
    const buf = new ArrayBuffer(maxEntries * ENTRY_WORDS * 4);
    this.table = new Int32Array(buf);
    this.tableF64 = new Float64Array(buf);
    this.data = new Uint8Array(maxData);
    this.out = new Uint8Array(maxPayload);
    this.view = new DataView(this.out.buffer);
  }

  decode(payload: Uint8Array, topKinds: number): number {
    const len = payload.length;
    if (len > this.maxPayload) return TLV_TOO_LARGE;
    this.payload = payload;
    const t = this.table,
      ends = this.ends,
      parents = this.parents;
    let pos = 0,
      depth = 0,
      n = 0,
      allowed = topKinds;
    for (;;) {
      while (depth > 0 && pos === ends[depth - 1]) {
        depth--;
        allowed = depth === 0 ? topKinds : allowedChildren(t[parents[depth - 1] * ENTRY_WORDS + E_KIND]);
      }
      if (depth === 0 && pos === len) return n;
      const limit = depth === 0 ? len : ends[depth - 1];
      const type = payload[pos];
      const idLen = (type & 0x20) !== 0 ? 2 : 1;
      const lenType = (type >> 3) & 3;
      let h = pos + 1 + idLen + lenType;
      if (h > limit) return limit === len ? TLV_TRUNCATED : TLV_OVERLONG;
      const kind = type >> 6;
      if ((allowed & (1 << kind)) === 0) return TLV_NESTING;
      let p = pos + 1;
      const id = idLen === 2 ? (payload[p] << 8) | payload[p + 1] : payload[p];
      p += idLen;
      let vlen = type & 7;
      if (lenType !== 0) {
        vlen = 0;
        for (let k = 0; k < lenType; k++) vlen = (vlen << 8) | payload[p + k];
      }
      if (h + vlen > limit) return limit === len ? TLV_TRUNCATED : TLV_OVERLONG;
      if (n >= this.maxEntries) return TLV_TOO_MANY;
      const e = n * ENTRY_WORDS;
      t[e + E_KIND] = kind;
      t[e + E_ID] = id;
      t[e + E_PARENT] = depth === 0 ? -1 : parents[depth - 1];
      t[e + E_OFFSET] = h;
      t[e + E_LENGTH] = vlen;
      t[e + E_TYPE] = T_RAW;
      t[e + E_LO] = 0;
      t[e + E_HI] = 0;
      if (kind === KIND_OBJECT_INSTANCE || kind === KIND_MULTIPLE_RESOURCE) {
        ends[depth] = h + vlen;
        parents[depth] = n;
        depth++;
        allowed = allowedChildren(kind);
        pos = h;
      } else pos = h + vlen;
      n++;
    }
  }

  decodeValues(count: number): number {
    const t = this.table,
      b = this.payload;
    this.errorIndex = -1;
    for (let i = 0; i < count; i++) {
      const e = i * ENTRY_WORDS;
      const kind = t[e + E_KIND];
      if (kind !== KIND_RESOURCE && kind !== KIND_RESOURCE_INSTANCE) continue;
      const type = t[e + E_TYPE],
        off = t[e + E_OFFSET],
        len = t[e + E_LENGTH];
      let r = 0;
      switch (type) {
        case T_INTEGER:
        case T_TIME:
        case T_UNSIGNED: {
          if (len !== 1 && len !== 2 && len !== 4 && len !== 8) {
            r = TLV_WIDTH;
            break;
          }
          let hi = 0,
            lo = 0;
          if (len === 8) {
            hi = (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3];
            lo = (b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7];
          } else {
            for (let k = 0; k < len; k++) lo = (lo << 8) | b[off + k];
            if (type === T_UNSIGNED) {
              if (len < 4) lo &= (1 << (len * 8)) - 1;
            } else {
              const sh = 32 - len * 8;
              lo = (lo << sh) >> sh;
              hi = lo < 0 ? -1 : 0;
            }
          }
          t[e + E_LO] = lo;
          t[e + E_HI] = hi;
          break;
        }
        case T_FLOAT: {
          if (len !== 4 && len !== 8) {
            r = TLV_WIDTH;
            break;
          }
          const dv = new DataView(b.buffer, b.byteOffset + off, len);
          this.tableF64[i * 4 + 3] = len === 4 ? dv.getFloat32(0) : dv.getFloat64(0);
          break;
        }
        case T_BOOLEAN:
          if (len !== 1) {
            r = TLV_WIDTH;
            break;
          }
          if (b[off] > 1) {
            r = TLV_BOOLEAN;
            break;
          }
          t[e + E_LO] = b[off];
          t[e + E_HI] = 0;
          break;
        case T_OBJLNK:
          if (len !== 4) {
            r = TLV_WIDTH;
            break;
          }
          t[e + E_LO] = (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3];
          t[e + E_HI] = 0;
          break;
        case T_NONE:
          if (len !== 0) r = TLV_WIDTH;
          break;
        case T_STRING:
        case T_OPAQUE:
        case T_CORELNK:
        case T_RAW:
          break;
        default:
          r = TLV_BAD_COMMAND;
      }
      if (r !== 0) {
        this.errorIndex = i;
        return r;
      }
    }
    return 0;
  }

  encode(count: number): Uint8Array | number {
    if (count > this.maxEntries || count < 0) return TLV_TOO_MANY;
    // Written back to front: a container's length is known when its BEGIN is reached.
    const t = this.table,
      out = this.out,
      dv = this.view,
      stack = this.ends;
    let pos = this.maxPayload,
      depth = 0;
    for (let i = count - 1; i >= 0; i--) {
      const c = i * ENTRY_WORDS,
        op = t[c + C_OP];
      if (op === OP_END) {
        if (depth >= MAX_DEPTH) return TLV_BAD_COMMAND;
        stack[depth++] = pos;
        continue;
      }
      let vlen: number;
      if (op === OP_BEGIN) {
        if (depth === 0) return TLV_BAD_COMMAND;
        vlen = stack[--depth] - pos;
      } else if (op === OP_LEAF) {
        const type = t[c + C_TYPE],
          lo = t[c + C_LO],
          hi = t[c + C_HI];
        switch (type) {
          case T_INTEGER:
          case T_TIME:
          case T_UNSIGNED: {
            // Smallest of 1/2/4/8 bytes that holds the value; unsigned values above int64 max use 8.
            // Unsigned also keeps the top bit clear below 8 bytes, so 1.0 peers reading it as signed agree.
            const fits = type === T_UNSIGNED ? hi === 0 && lo >= 0 : hi === lo >> 31;
            vlen = !fits ? 8 : lo >= -128 && lo <= 127 ? 1 : lo >= -32768 && lo <= 32767 ? 2 : 4;
            if (pos - vlen < 0) return TLV_TOO_LARGE;
            pos -= vlen;
            if (vlen === 8) {
              dv.setInt32(pos, hi);
              dv.setInt32(pos + 4, lo);
            } else if (vlen === 4) dv.setInt32(pos, lo);
            else if (vlen === 2) dv.setInt16(pos, lo);
            else out[pos] = lo;
            break;
          }
          case T_FLOAT: {
            const v = this.tableF64[i * 4 + 3];
            vlen = Math.fround(v) === v ? 4 : 8;
            if (pos - vlen < 0) return TLV_TOO_LARGE;
            pos -= vlen;
            if (vlen === 4) dv.setFloat32(pos, v);
            else dv.setFloat64(pos, v);
            break;
          }
          case T_BOOLEAN:
            vlen = 1;
            if (pos < 1) return TLV_TOO_LARGE;
            out[--pos] = lo !== 0 ? 1 : 0;
            break;
          case T_OBJLNK:
            vlen = 4;
            if (pos < 4) return TLV_TOO_LARGE;
            pos -= 4;
            dv.setInt32(pos, lo);
            break;
          case T_NONE:
            vlen = 0;
            break;
          default: {
            const d = t[c + C_DATA];
            vlen = t[c + C_LENGTH];
            if (d < 0 || vlen < 0 || d + vlen > this.maxData) return TLV_BAD_COMMAND;
            if (pos - vlen < 0) return TLV_TOO_LARGE;
            pos -= vlen;
            out.set(this.data.subarray(d, d + vlen), pos);
          }
        }
      } else return TLV_BAD_COMMAND;
      // Header in front of the value.
      const kind = t[c + C_KIND],
        id = t[c + C_ID];
      if (vlen > 0xffffff) return TLV_LENGTH;
      if (id < 0 || id > 0xffff || kind < 0 || kind > 3) return TLV_BAD_COMMAND;
      const lenBytes = vlen < 8 ? 0 : vlen < 0x100 ? 1 : vlen < 0x10000 ? 2 : 3;
      const idBytes = id > 0xff ? 2 : 1;
      if (pos - 1 - idBytes - lenBytes < 0) return TLV_TOO_LARGE;
      for (let k = 0, v = vlen; k < lenBytes; k++, v >>>= 8) out[--pos] = v & 0xff;
      out[--pos] = id & 0xff;
      if (idBytes === 2) out[--pos] = id >> 8;
      out[--pos] = (kind << 6) | (idBytes === 2 ? 0x20 : 0) | (lenBytes << 3) | (lenBytes === 0 ? vlen : 0);
    }
    if (depth !== 0) return TLV_BAD_COMMAND;
    return out.slice(pos, this.maxPayload);
  }
}
