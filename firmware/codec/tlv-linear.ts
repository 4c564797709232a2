// TlvBackend over the exports of the AssemblyScript TLV codec, wherever they
// run: wasm2c C on the device (main.ts), wasm2js JavaScript in XS on
// the host. Same boundary as the Node wasm loader: one call per payload,
// results in a flat table inside the codec's fixed linear memory.
import type { TlvBackend } from './backend';
import { ENTRY_WORDS, TLV_TOO_LARGE } from './tlv-constants';

export interface TlvLinearExports {
  /** The codec's linear memory; fixed size, so views made once stay valid. */
  memory(): ArrayBuffer;
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

export class TlvLinearBackend implements TlvBackend {
  readonly maxPayload: number;
  readonly maxEntries: number;
  readonly maxData: number;
  readonly table: Int32Array;
  readonly tableF64: Float64Array;
  readonly data: Uint8Array;
  private readonly input: Uint8Array;
  private readonly mem: Uint8Array;
  private readonly outEnd: number;

  constructor(
    readonly name: string,
    private readonly x: TlvLinearExports,
  ) {
    const buf = x.memory();
    this.maxPayload = x.maxPayload();
    this.maxEntries = x.maxEntries();
    this.maxData = this.maxPayload;
    this.table = new Int32Array(buf, x.tablePtr(), this.maxEntries * ENTRY_WORDS);
    this.tableF64 = new Float64Array(buf, x.tablePtr(), (this.maxEntries * ENTRY_WORDS) / 2);
    this.input = new Uint8Array(buf, x.inPtr(), this.maxPayload);
    this.data = this.input; // encode reads string/opaque bytes from the input region
    this.mem = new Uint8Array(buf);
    this.outEnd = x.outPtr() + this.maxPayload;
  }

  get errorIndex(): number {
    return this.x.errorIndex();
  }

  decode(payload: Uint8Array, topKinds: number): number {
    if (payload.length > this.maxPayload) return TLV_TOO_LARGE;
    this.input.set(payload);
    return this.x.decode(payload.length, topKinds);
  }

  decodeValues(count: number): number {
    return this.x.decodeValues(count);
  }

  encode(count: number): Uint8Array | number {
    const n = this.x.encode(count, this.maxData);
    if (n < 0) return n;
    return this.mem.slice(this.outEnd - n, this.outEnd);
  }
}
