// Records the TLV codec calls the formats layer makes into a text script
// (format: build/c-test/tlv_vectors.c), and replays a script through the
// wasm in V8 with the same output format, so the wasm2c build can be compared
// byte for byte with the wasm path.
import { readFileSync } from 'node:fs';
import type { TlvBackend } from '../../firmware/codec/backend';
import { ENTRY_WORDS, E_TYPE, C_DATA, C_LENGTH } from '../../firmware/codec/tlv-constants';
import { TLV_WASM_URL } from '../../firmware/platform/node/tlv-wasm';

const ENTRY_BYTES = ENTRY_WORDS * 4;

export const hex = (b: Uint8Array): string => (b.length ? Buffer.from(b).toString('hex') : '-');

/** Wraps a backend; every call appends one script line. */
export function recordingBackend(inner: TlvBackend, script: string[]): TlvBackend {
  const bytesOf = (words: Int32Array, n: number) => new Uint8Array(words.buffer, words.byteOffset, n * ENTRY_BYTES);
  return {
    get name() { return `recording ${inner.name}`; },
    get maxPayload() { return inner.maxPayload; },
    get maxEntries() { return inner.maxEntries; },
    get maxData() { return inner.maxData; },
    get table() { return inner.table; },
    get tableF64() { return inner.tableF64; },
    get data() { return inner.data; },
    get errorIndex() { return inner.errorIndex; },
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
        const d = inner.table[i * ENTRY_WORDS + C_DATA], l = inner.table[i * ENTRY_WORDS + C_LENGTH];
        if (d >= 0 && l >= 0 && d + l <= inner.maxData) extent = Math.max(extent, d + l);
      }
      script.push(`E ${count} ${hex(bytesOf(inner.table, count))} ${hex(inner.data.subarray(0, extent))}`);
      return inner.encode(count);
    },
  };
}

interface RawExports {
  memory: { buffer: ArrayBuffer };
  inPtr(): number; tablePtr(): number; outPtr(): number; maxPayload(): number; maxEntries(): number; errorIndex(): number;
  decode(len: number, topKinds: number): number; decodeValues(count: number): number; encode(count: number, dataLimit: number): number;
}

const unhex = (s: string): Uint8Array => (s === '-' ? new Uint8Array(0) : new Uint8Array(Buffer.from(s, 'hex')));

/** Runs a script through a fresh instance of build/out/tlv.wasm; output lines as tlv_vectors prints them. */
export function replayInWasm(script: string[]): string[] {
  const wa = (globalThis as unknown as { WebAssembly: { Instance: new (m: object, i: object) => { exports: unknown }; Module: new (b: Uint8Array) => object } }).WebAssembly;
  const x = new wa.Instance(new wa.Module(readFileSync(TLV_WASM_URL)), {}).exports as RawExports;
  const mem = new Uint8Array(x.memory.buffer);
  const dv = new DataView(x.memory.buffer);
  const table = x.tablePtr();
  const out: string[] = [];
  for (const line of script) {
    const f = line.split(' ');
    if (f[0] === 'D') {
      const payload = unhex(f[2]);
      mem.set(payload, x.inPtr());
      const ret = x.decode(payload.length, Number(f[1]));
      out.push(`D ${ret} ${x.errorIndex()} ${hex(mem.subarray(table, table + (ret > 0 ? ret * ENTRY_BYTES : 0)))}`);
    } else if (f[0] === 'V') {
      const count = Number(f[1]);
      const types = f[2] === '-' ? [] : f[2].split(',').map(Number);
      types.forEach((t, i) => dv.setInt32(table + i * ENTRY_BYTES + E_TYPE * 4, t, true));
      const ret = x.decodeValues(count);
      out.push(`V ${ret} ${x.errorIndex()} ${hex(mem.subarray(table, table + count * ENTRY_BYTES))}`);
    } else if (f[0] === 'E') {
      mem.set(unhex(f[2]), table);
      mem.set(unhex(f[3]), x.inPtr());
      const ret = x.encode(Number(f[1]), x.maxPayload());
      const end = x.outPtr() + x.maxPayload();
      out.push(`E ${ret} ${hex(mem.subarray(end - Math.max(ret, 0), end))}`);
    } else {
      throw new Error(`bad script line ${line.slice(0, 20)}`);
    }
  }
  return out;
}
