// The TLV codec port: the platform creates one backend (wasm on Node, wasm2c C on the device, pure TS
// otherwise) and passes it to its formats instance (formats/registry.ts createFormats); formats/tlv.ts
// runs on the backend of the instance it is called through.
//
// The boundary is batched for throughput: one call decodes a whole payload into a flat entry table,
// one call decodes every numeric value of that table, one call encodes a whole command list.
export * from './tlv-constants';

export interface TlvBackend {
  readonly name: string;
  /** Largest payload decode() accepts and encode() produces, in bytes. */
  readonly maxPayload: number;
  /** Entry / command table capacity. */
  readonly maxEntries: number;
  /** Largest total of string/opaque bytes one encode() may reference through `data`. */
  readonly maxData: number;
  /** Entry table (ENTRY_WORDS per entry), valid until the next call; a float64 view aliases it
   *  (entry i's value is f64[i * 4 + 3]). Also the encode command table. */
  readonly table: Int32Array;
  readonly tableF64: Float64Array;
  /** Byte area encode commands point into (C_DATA, C_LENGTH). */
  readonly data: Uint8Array;
  /** Structural pass: validates headers, lengths and nesting; fills E_KIND..E_LENGTH, E_TYPE = T_RAW.
   *  topKinds: bitmask (1 << kind) of kinds allowed at top level. Returns entry count or a negative code. */
  decode(payload: Uint8Array, topKinds: number): number;
  /** After the caller set E_TYPE of leaf entries: checks widths and fills E_LO/E_HI (or the f64).
   *  Returns 0 or a negative code; errorIndex names the entry. */
  decodeValues(count: number): number;
  readonly errorIndex: number;
  /** Encodes `count` commands from `table` (+ `data`). Returns a fresh copy of the TLV bytes or a negative code. */
  encode(count: number): Uint8Array | number;
}
