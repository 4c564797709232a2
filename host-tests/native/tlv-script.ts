// Records the TLV codec calls the formats layer makes into a text script
// (format: build/c-test/tlv_vectors.c), and replays a script through the
// wasm in V8 with the same output format, so the wasm2c build can be compared
// byte for byte with the wasm path. Node/XS tests use build/out/tlv.wasm; the
// native test uses build/out/tlv-device.wasm, the module wasm2c turns into C.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { TlvBackend } from '../../firmware/codec/backend';
import { loadTlvWasm } from '../../firmware/platform/node/tlv-wasm';
import { builtinResolver as defaultResolver, ContentFormat } from '../../firmware/formats';
import { formatsOn } from '../support/formats';
import type { ResourceRecord, TypeResolver } from '../../firmware/formats';
import type { DataType, Path, Value } from '../../firmware/model';
import { ENTRY_WORDS, E_TYPE, C_DATA, C_LENGTH } from '../../firmware/codec/tlv-constants';
import { TLV_WASM_URL } from '../../firmware/platform/node/tlv-wasm';
import type { Wasm2jsTlvExports } from '../xs-harness/port/tlv';
import { replay } from '../codec/tlv-replay';

/** The device build of the codec (device bounds; build/build-wasm.mjs). */
export const TLV_DEVICE_WASM_URL = new URL('../../build/out/tlv-device.wasm', import.meta.url);

const ENTRY_BYTES = ENTRY_WORDS * 4;

export const hex = (b: Uint8Array): string => (b.length ? Buffer.from(b).toString('hex') : '-');

/** Wraps a backend; every call appends one script line. */
export function recordingBackend(inner: TlvBackend, script: string[]): TlvBackend {
  const bytesOf = (words: Int32Array, n: number) => new Uint8Array(words.buffer, words.byteOffset, n * ENTRY_BYTES);
  return {
    get name() {
      return `recording ${inner.name}`;
    },
    get maxPayload() {
      return inner.maxPayload;
    },
    get maxEntries() {
      return inner.maxEntries;
    },
    get maxData() {
      return inner.maxData;
    },
    get table() {
      return inner.table;
    },
    get tableF64() {
      return inner.tableF64;
    },
    get data() {
      return inner.data;
    },
    get errorIndex() {
      return inner.errorIndex;
    },
    decode(payload, topKinds) {
      if (payload.length <= inner.maxPayload) script.push(`D ${topKinds} ${hex(payload)}`);
      return inner.decode(payload, topKinds);
    },
    decodeValues(count) {
      const types: number[] = [];
      for (let i = 0; i < count; i++) types.push(inner.table[i * ENTRY_WORDS + E_TYPE]);
      script.push(`V ${count} ${types.length ? types.join(',') : '-'}`);
      return inner.decodeValues(count);
    },
    encode(count) {
      let extent = 0;
      for (let i = 0; i < count; i++) {
        const d = inner.table[i * ENTRY_WORDS + C_DATA],
          l = inner.table[i * ENTRY_WORDS + C_LENGTH];
        if (d >= 0 && l >= 0 && d + l <= inner.maxData) extent = Math.max(extent, d + l);
      }
      script.push(`E ${count} ${hex(bytesOf(inner.table, count))} ${hex(inner.data.subarray(0, extent))}`);
      return inner.encode(count);
    },
  };
}

/** Runs a script through a fresh instance of build/out/tlv.wasm (or the given module); output lines as tlv_vectors prints them. */
export function replayInWasm(script: string[], wasm: Uint8Array = readFileSync(TLV_WASM_URL)): string[] {
  const wa = (
    globalThis as unknown as {
      WebAssembly: { Instance: new (m: object, i: object) => { exports: unknown }; Module: new (b: Uint8Array) => object };
    }
  ).WebAssembly;
  return replay(new wa.Instance(new wa.Module(wasm), {}).exports as Wasm2jsTlvExports, script);
}

const unhex = (s: string): Uint8Array => (s === '-' ? new Uint8Array(0) : new Uint8Array(Buffer.from(s, 'hex')));

const TLV = ContentFormat.TLV;
// LwM2M Core spec §7.4.3 examples (Device object /3/0; Access Control and Server instances).
export const DEVICE =
  'C800144F70656E204D6F62696C6520416C6C69616E6365C801164C69676874776569676874204D324D20436C69656E74C80209333435303030313233C303312E30860641000141010588070842000ED842011388870841007D42010384C10964C10A0F830B410000C40D5182428FC60E2B30323A3030C11055';
export const DEVICE_WITH_INSTANCE = '080079' + DEVICE;
export const ACL = '08000EC10001C101008302417F07C1037F080212C10003C101008702417F0761013601C1037F';
export const SERVER = '08000FC10001C40100015180C10601C10755';

export const path = (...ids: Array<number | undefined>): Path => ({
  objectId: ids[0],
  instanceId: ids[1],
  resourceId: ids[2],
  resourceInstanceId: ids[3],
});
export const base = (...ids: number[]): Path => Object.fromEntries(Object.entries(path(...ids)).filter(([, v]) => v !== undefined)) as Path;

const TYPES: DataType[] = ['string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk', 'corelnk', 'none'];
export const resolver: TypeResolver = (o, r) =>
  o === 9999 && r < TYPES.length
    ? { type: TYPES[r], multiple: false }
    : o === 9999 && r >= 100 && r < 100 + TYPES.length
      ? { type: TYPES[r - 100], multiple: true }
      : defaultResolver(o, r);

function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/** The codec calls the formats layer makes for the spec examples, round trips and fuzzing
 *  (recorded over build/out/tlv.wasm or the given module, whose bounds the script then fits). */
export function makeScript(wasm?: Uint8Array): string[] {
  const script: string[] = [];
  const backend = loadTlvWasm(wasm);
  const formats = formatsOn({ tlv: recordingBackend(backend, script) });
  {
    for (const [payload, at] of [
      [DEVICE, base(3, 0)],
      [DEVICE_WITH_INSTANCE, base(3)],
      [ACL, base(2)],
      [SERVER, base(1)],
    ] as const) {
      const d = formats.decode(TLV, unhex(payload), at, defaultResolver);
      assert.ok(d.ok, `spec example decodes at ${JSON.stringify(at)}`);
      const e = formats.encode(TLV, at, d.value.records, defaultResolver);
      assert.ok(e.ok);
      assert.equal(Buffer.from(e.value).toString('hex').toUpperCase(), payload, 'spec example re-encodes byte for byte');
    }
    const rec = (r: number, value: Value, ri?: number): ResourceRecord => ({ path: path(9999, 0, r, ri), value });
    const limits: ResourceRecord[][] = [
      [rec(0, ''), rec(0, 'x'.repeat(300)), rec(0, 'ü€😀')],
      [
        rec(1, 0),
        rec(1, -1),
        rec(1, 127),
        rec(1, -129),
        rec(1, 32767),
        rec(1, -2147483648),
        rec(1, 2 ** 40),
        rec(1, -(2n ** 63n)),
        rec(1, 2n ** 63n - 1n),
      ],
      [rec(2, 0), rec(2, 255), rec(2, 4294967295), rec(2, 2n ** 64n - 1n)],
      [rec(3, 0.5), rec(3, -1.25e-3), rec(3, 3.4e38), rec(3, 1e300), rec(3, Number.MIN_VALUE)],
      [rec(4, true), rec(4, false)],
      [rec(5, new Uint8Array(0)), rec(5, new Uint8Array(Math.min(5000, backend.maxPayload - 96)).fill(0xa5))],
      [rec(6, 1367491215), rec(7, { objectId: 65534, instanceId: 0 }), rec(8, '</3/0>;ver=1.1'), rec(9, null)],
      [rec(100, 'a', 0), rec(100, 'b', 65534), rec(101, -5, 7), rec(103, 1.5, 1)],
    ];
    for (const records of limits) {
      const e = formats.encode(TLV, base(9999, 0), records, resolver);
      assert.ok(
        e.ok,
        JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
      );
      assert.ok(formats.decode(TLV, e.value, base(9999, 0), resolver).ok);
    }
    // Seeded mutations: decode through formats (structure + values) at the depths the spec allows.
    const rnd = prng(0x7c0d);
    const seeds: Array<[string, Path]> = [
      [DEVICE, base(3, 0)],
      [DEVICE_WITH_INSTANCE, base(3)],
      [ACL, base(2)],
      [SERVER, base(1)],
    ];
    for (let i = 0; i < 2000; i++) {
      const [s, at] = seeds[i % seeds.length];
      const b = Array.from(unhex(s));
      for (let k = 0, n = 1 + Math.floor(rnd() * 3); k < n; k++) {
        const j = Math.floor(rnd() * b.length);
        const r = rnd();
        if (r < 0.6) b[j] = Math.floor(rnd() * 256);
        else if (r < 0.8) b.splice(j, 1);
        else b.length = j;
      }
      formats.decode(TLV, Uint8Array.from(b), at, defaultResolver);
    }
  }
  return script;
}

const hexBytes = (n: number, f: (i: number) => number): string => {
  let h = '';
  for (let i = 0; i < n; i++) h += (f(i) & 0xff).toString(16).padStart(2, '0');
  return h || '-';
};
/** An encode/decode table record: 8 little-endian int32 words. */
const record = (w: number[]): string => hexBytes(32, (i) => (w[i >> 2] ?? 0) >> ((i & 3) * 8));
const RESOURCE_TOP = 1 << 3; // top-level kinds allowed: resources

/**
 * Codec calls at and just over the bounds maxPayload / maxEntries: a payload of
 * exactly maxPayload bytes and one of maxEntries entries decode, maxPayload + 1
 * is too large (-7), maxEntries + 1 entries or commands too many (-6); encode
 * output of exactly maxPayload bytes succeeds, one byte more is too large.
 */
export function boundsScript(maxPayload: number, maxEntries: number): string[] {
  const opaque = maxPayload - 4; // type, id, 2-byte length, value
  const oneResource = (n: number) => `d000${hexBytes(2, (i) => (i === 0 ? n >> 8 : n))}${hexBytes(n, (i) => i * 7)}`;
  const resources = (n: number) => hexBytes(2 * n, (i) => (i & 1 ? i >> 1 : 0xc0)); // id i & 0xff, no value
  const leafNone = (n: number) => Array.from({ length: Math.min(n, maxEntries) }, (_, i) => record([3, 3, i, 10])).join('');
  const leafOpaque = (len: number) => record([3, 3, 1, 6, 0, len]);
  return [
    `D ${RESOURCE_TOP} ${oneResource(opaque)}`,
    `N ${RESOURCE_TOP} ${maxPayload}`,
    `N ${RESOURCE_TOP} ${maxPayload + 1}`,
    `D ${RESOURCE_TOP} ${resources(maxEntries)}`,
    `D ${RESOURCE_TOP} ${resources(maxEntries + 1)}`,
    `V ${maxEntries} ${Array.from({ length: maxEntries }, () => 1).join(',')}`,
    `V ${maxEntries + 1} -`,
    `E ${maxEntries} ${leafNone(maxEntries)} -`,
    `E ${maxEntries + 1} ${leafNone(maxEntries + 1)} -`,
    `E 1 ${leafOpaque(opaque)} ${hexBytes(opaque, (i) => i * 13)}`,
    `E 1 ${leafOpaque(opaque + 1)} ${hexBytes(opaque + 1, (i) => i * 13)}`,
  ];
}
