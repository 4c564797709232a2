// The TLV backend for the core in XS on the host. XS has no WebAssembly, so
// the same tlv.wasm arrives as JavaScript (binaryen wasm2js); the bundle
// passes its exports in. Same adapter as the device's native C.
import type { TlvBackend } from '../../../firmware/codec/backend';
import { TlvLinearBackend } from '../../../firmware/codec/tlv-linear';

export interface Wasm2jsTlvExports {
  memory: { buffer: ArrayBuffer };
  inPtr(): number;
  tablePtr(): number;
  outPtr(): number;
  maxPayload(): number;
  maxEntries(): number;
  errorIndex(): number;
  decode(len: number, topKinds: number): number;
  decodeValues(count: number): number;
  encode(count: number, dataLimit: number): number;
}

export function createWasm2jsTlv(x: Wasm2jsTlvExports): TlvBackend {
  // Memory cannot grow (one fixed page), so its buffer never changes.
  return new TlvLinearBackend('wasm2js', {
    memory: () => x.memory.buffer,
    inPtr: () => x.inPtr(),
    tablePtr: () => x.tablePtr(),
    outPtr: () => x.outPtr(),
    maxPayload: () => x.maxPayload(),
    maxEntries: () => x.maxEntries(),
    errorIndex: () => x.errorIndex(),
    decode: (len, top) => x.decode(len, top),
    decodeValues: (count) => x.decodeValues(count),
    encode: (count, limit) => x.encode(count, limit),
  });
}
