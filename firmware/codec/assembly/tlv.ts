// LwM2M TLV codec in AssemblyScript (Core §7.4.3). One source, several outputs: wasm for Node
// (build/build-wasm.mjs), C through wasm2c for the device. No allocation: fixed regions in linear
// memory, plain loads/stores, i32 in and out. Mirrors firmware/codec/tlv-ts.ts; the constants
// below equal firmware/codec/tlv-constants.ts (host-tests/codec checks).

import { MAX_PAYLOAD, MAX_ENTRIES } from './bounds';   // per build: Node/XS or device

const MAX_DEPTH: i32 = 3;
const ENTRY_BYTES: i32 = 32;   // 8 x i32: kind id parent offset length type lo hi

// Kinds (type-byte bits 7-6) and value type codes.
const KIND_OBJECT_INSTANCE: i32 = 0;
const KIND_RESOURCE_INSTANCE: i32 = 1;
const KIND_MULTIPLE_RESOURCE: i32 = 2;
const KIND_RESOURCE: i32 = 3;
const T_RAW: i32 = 0;
const T_STRING: i32 = 1;
const T_INTEGER: i32 = 2;
const T_UNSIGNED: i32 = 3;
const T_FLOAT: i32 = 4;
const T_BOOLEAN: i32 = 5;
const T_OPAQUE: i32 = 6;
const T_TIME: i32 = 7;
const T_OBJLNK: i32 = 8;
const T_CORELNK: i32 = 9;
const T_NONE: i32 = 10;
const OP_BEGIN: i32 = 1;
const OP_END: i32 = 2;
const OP_LEAF: i32 = 3;

// Results.
const TLV_TRUNCATED: i32 = -1;
const TLV_OVERLONG: i32 = -2;
const TLV_NESTING: i32 = -3;
const TLV_WIDTH: i32 = -4;
const TLV_BOOLEAN: i32 = -5;
const TLV_TOO_MANY: i32 = -6;
const TLV_TOO_LARGE: i32 = -7;
const TLV_BAD_COMMAND: i32 = -8;
const TLV_LENGTH: i32 = -9;

// Regions, laid out by the compiler in static memory (within one 64 KiB page).
const IN: usize = memory.data(MAX_PAYLOAD);              // payload to decode; string/opaque bytes to encode
const TABLE: usize = memory.data(MAX_ENTRIES * ENTRY_BYTES, 8);   // entries / commands
const OUT: usize = memory.data(MAX_PAYLOAD);             // encoded TLV, written back to front
const STACK: usize = memory.data(MAX_DEPTH * 8, 4);      // container end, parent index

let errIndex: i32 = -1;

export function inPtr(): usize { return IN; }
export function tablePtr(): usize { return TABLE; }
export function outPtr(): usize { return OUT; }
export function maxPayload(): i32 { return MAX_PAYLOAD; }
export function maxEntries(): i32 { return MAX_ENTRIES; }
export function errorIndex(): i32 { return errIndex; }
/** End of the static regions (__heap_base): the codec never touches memory at or above it.
 *  build/build-c.ts reads it to size the device's static buffer. */
export function memoryEnd(): usize { return __heap_base; }

@inline function allowedChildren(kind: i32): i32 {
  if (kind == KIND_OBJECT_INSTANCE) return (1 << KIND_RESOURCE) | (1 << KIND_MULTIPLE_RESOURCE);
  if (kind == KIND_MULTIPLE_RESOURCE) return 1 << KIND_RESOURCE_INSTANCE;
  return 0;
}

@inline function entry(i: i32): usize { return TABLE + <usize>(i * ENTRY_BYTES); }

/** Structural decode of IN[0..len): returns the entry count or a negative code. */
export function decode(len: i32, topKinds: i32): i32 {
  if (len < 0 || len > MAX_PAYLOAD) return TLV_TOO_LARGE;
  let pos: i32 = 0, depth: i32 = 0, n: i32 = 0, allowed: i32 = topKinds;
  while (true) {
    while (depth > 0 && pos == load<i32>(STACK + <usize>((depth - 1) * 8))) {
      depth--;
      allowed = depth == 0 ? topKinds
        : allowedChildren(load<i32>(entry(load<i32>(STACK + <usize>((depth - 1) * 8 + 4)))));
    }
    if (depth == 0 && pos == len) return n;
    const limit: i32 = depth == 0 ? len : load<i32>(STACK + <usize>((depth - 1) * 8));
    const type: i32 = <i32>load<u8>(IN + <usize>pos);
    const idLen: i32 = (type & 0x20) != 0 ? 2 : 1;
    const lenType: i32 = (type >> 3) & 3;
    const h: i32 = pos + 1 + idLen + lenType;
    if (h > limit) return limit == len ? TLV_TRUNCATED : TLV_OVERLONG;
    const kind: i32 = type >> 6;
    if ((allowed & (1 << kind)) == 0) return TLV_NESTING;
    let p: usize = IN + <usize>(pos + 1);
    let id: i32 = <i32>load<u8>(p);
    if (idLen == 2) id = (id << 8) | <i32>load<u8>(p + 1);
    p += <usize>idLen;
    let vlen: i32 = type & 7;
    if (lenType != 0) {
      vlen = 0;
      for (let k: i32 = 0; k < lenType; k++) vlen = (vlen << 8) | <i32>load<u8>(p + <usize>k);
    }
    if (h + vlen > limit) return limit == len ? TLV_TRUNCATED : TLV_OVERLONG;
    if (n >= MAX_ENTRIES) return TLV_TOO_MANY;
    const e = entry(n);
    store<i32>(e, kind);
    store<i32>(e, id, 4);
    store<i32>(e, depth == 0 ? -1 : load<i32>(STACK + <usize>((depth - 1) * 8 + 4)), 8);
    store<i32>(e, h, 12);
    store<i32>(e, vlen, 16);
    store<i32>(e, T_RAW, 20);
    store<i64>(e, 0, 24);
    if (kind == KIND_OBJECT_INSTANCE || kind == KIND_MULTIPLE_RESOURCE) {
      const s = STACK + <usize>(depth * 8);
      store<i32>(s, h + vlen);
      store<i32>(s, n, 4);
      depth++;
      allowed = allowedChildren(kind);
      pos = h;
    } else {
      pos = h + vlen;
    }
    n++;
  }
  return 0;
}

/** Big-endian unsigned read of len (1..8) bytes. */
@inline function readBE(p: usize, len: i32): u64 {
  let v: u64 = 0;
  for (let k: i32 = 0; k < len; k++) v = (v << 8) | <u64>load<u8>(p + <usize>k);
  return v;
}

/** Checks widths and decodes numeric values of leaves whose type the caller set. */
export function decodeValues(count: i32): i32 {
  errIndex = -1;
  if (count < 0 || count > MAX_ENTRIES) return TLV_TOO_MANY;
  for (let i: i32 = 0; i < count; i++) {
    const e = entry(i);
    const kind = load<i32>(e);
    if (kind != KIND_RESOURCE && kind != KIND_RESOURCE_INSTANCE) continue;
    const type = load<i32>(e, 20);
    const off = load<i32>(e, 12);
    const len = load<i32>(e, 16);
    const p = IN + <usize>off;
    let r: i32 = 0;
    if (type == T_INTEGER || type == T_TIME || type == T_UNSIGNED) {
      if (len != 1 && len != 2 && len != 4 && len != 8) r = TLV_WIDTH;
      else {
        let v = readBE(p, len);
        if (type != T_UNSIGNED && len < 8) {
          const sh = <u64>(64 - len * 8);
          v = <u64>((<i64>(v << sh)) >> <i64>sh);
        }
        store<u64>(e, v, 24);
      }
    } else if (type == T_FLOAT) {
      if (len == 4) store<f64>(e, <f64>reinterpret<f32>(bswap<u32>(load<u32>(p))), 24);
      else if (len == 8) store<f64>(e, reinterpret<f64>(bswap<u64>(load<u64>(p))), 24);
      else r = TLV_WIDTH;
    } else if (type == T_BOOLEAN) {
      if (len != 1) r = TLV_WIDTH;
      else {
        const b = <i32>load<u8>(p);
        if (b > 1) r = TLV_BOOLEAN; else store<i64>(e, <i64>b, 24);
      }
    } else if (type == T_OBJLNK) {
      if (len != 4) r = TLV_WIDTH; else store<i64>(e, <i64>bswap<u32>(load<u32>(p)), 24);
    } else if (type == T_NONE) {
      if (len != 0) r = TLV_WIDTH;
    } else if (type != T_STRING && type != T_OPAQUE && type != T_CORELNK && type != T_RAW) {
      r = TLV_BAD_COMMAND;
    }
    if (r != 0) { errIndex = i; return r; }
  }
  return 0;
}

/** Encodes count commands back to front into OUT; returns the byte length (the TLV ends at
 *  OUT + MAX_PAYLOAD) or a negative code. dataLimit bounds the IN bytes commands may reference. */
export function encode(count: i32, dataLimit: i32): i32 {
  if (count < 0 || count > MAX_ENTRIES) return TLV_TOO_MANY;
  let pos: i32 = MAX_PAYLOAD;
  let depth: i32 = 0;
  for (let i: i32 = count - 1; i >= 0; i--) {
    const c = entry(i);
    const op = load<i32>(c);
    if (op == OP_END) {
      if (depth >= MAX_DEPTH) return TLV_BAD_COMMAND;
      store<i32>(STACK + <usize>(depth * 8), pos);
      depth++;
      continue;
    }
    let vlen: i32 = 0;
    if (op == OP_BEGIN) {
      if (depth == 0) return TLV_BAD_COMMAND;
      depth--;
      vlen = load<i32>(STACK + <usize>(depth * 8)) - pos;
    } else if (op == OP_LEAF) {
      const type = load<i32>(c, 12);
      if (type == T_INTEGER || type == T_TIME || type == T_UNSIGNED) {
        const v = load<i64>(c, 24);
        const lo = <i32>v;
        const hi = <i32>(v >> 32);
        // Smallest of 1/2/4/8 bytes; unsigned keeps the top bit clear below 8 bytes.
        const fits = type == T_UNSIGNED ? hi == 0 && lo >= 0 : hi == (lo >> 31);
        vlen = !fits ? 8 : lo >= -128 && lo <= 127 ? 1 : lo >= -32768 && lo <= 32767 ? 2 : 4;
        if (pos - vlen < 0) return TLV_TOO_LARGE;
        pos -= vlen;
        const o = OUT + <usize>pos;
        if (vlen == 8) store<u64>(o, bswap<u64>(<u64>v));
        else if (vlen == 4) store<u32>(o, bswap<u32>(<u32>lo));
        else if (vlen == 2) { store<u8>(o, <u8>(lo >> 8)); store<u8>(o + 1, <u8>lo); }
        else store<u8>(o, <u8>lo);
      } else if (type == T_FLOAT) {
        const f = load<f64>(c, 24);
        const f32v = <f32>f;
        vlen = <f64>f32v == f ? 4 : 8;
        if (pos - vlen < 0) return TLV_TOO_LARGE;
        pos -= vlen;
        if (vlen == 4) store<u32>(OUT + <usize>pos, bswap<u32>(reinterpret<u32>(f32v)));
        else store<u64>(OUT + <usize>pos, bswap<u64>(reinterpret<u64>(f)));
      } else if (type == T_BOOLEAN) {
        vlen = 1;
        if (pos < 1) return TLV_TOO_LARGE;
        pos--;
        store<u8>(OUT + <usize>pos, load<i32>(c, 24) != 0 ? 1 : 0);
      } else if (type == T_OBJLNK) {
        vlen = 4;
        if (pos < 4) return TLV_TOO_LARGE;
        pos -= 4;
        store<u32>(OUT + <usize>pos, bswap<u32>(load<u32>(c, 24)));
      } else if (type == T_NONE) {
        vlen = 0;
      } else {
        const d = load<i32>(c, 16);
        vlen = load<i32>(c, 20);
        if (d < 0 || vlen < 0 || d + vlen > dataLimit || d + vlen > MAX_PAYLOAD) return TLV_BAD_COMMAND;
        if (pos - vlen < 0) return TLV_TOO_LARGE;
        pos -= vlen;
        memory.copy(OUT + <usize>pos, IN + <usize>d, <usize>vlen);
      }
    } else {
      return TLV_BAD_COMMAND;
    }
    const kind = load<i32>(c, 4);
    const id = load<i32>(c, 8);
    if (vlen > 0xffffff) return TLV_LENGTH;
    if (id < 0 || id > 0xffff || kind < 0 || kind > 3) return TLV_BAD_COMMAND;
    const lenBytes: i32 = vlen < 8 ? 0 : vlen < 0x100 ? 1 : vlen < 0x10000 ? 2 : 3;
    const idBytes: i32 = id > 0xff ? 2 : 1;
    if (pos - 1 - idBytes - lenBytes < 0) return TLV_TOO_LARGE;
    let v = vlen;
    for (let k: i32 = 0; k < lenBytes; k++) { pos--; store<u8>(OUT + <usize>pos, <u8>v); v = v >>> 8; }
    pos--; store<u8>(OUT + <usize>pos, <u8>id);
    if (idBytes == 2) { pos--; store<u8>(OUT + <usize>pos, <u8>(id >> 8)); }
    pos--;
    store<u8>(OUT + <usize>pos, <u8>((kind << 6) | (idBytes == 2 ? 0x20 : 0) | (lenBytes << 3) | (lenBytes == 0 ? vlen : 0)));
  }
  if (depth != 0) return TLV_BAD_COMMAND;
  return MAX_PAYLOAD - pos;
}
