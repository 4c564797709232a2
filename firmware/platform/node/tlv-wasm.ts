// Node TLV backend: the AssemblyScript codec compiled to build/out/tlv.wasm (npm run build:wasm),
// loaded synchronously so the client can install it before anything decodes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TlvBackend } from '../../codec/backend';
import { setTlvBackend } from '../../codec/backend';
import { ENTRY_WORDS, TLV_TOO_LARGE } from '../../codec/tlv-constants';

interface TlvExports {
  memory: { buffer: ArrayBuffer };
  inPtr(): number; tablePtr(): number; outPtr(): number;
  maxPayload(): number; maxEntries(): number; errorIndex(): number;
  decode(len: number, topKinds: number): number;
  decodeValues(count: number): number;
  encode(count: number, dataLimit: number): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

export const TLV_WASM_URL = new URL('../../../build/out/tlv.wasm', import.meta.url);

class TlvWasm implements TlvBackend {
  readonly name = 'wasm';
  readonly maxPayload: number;
  readonly maxEntries: number;
  readonly maxData: number;
  readonly table: Int32Array;
  readonly tableF64: Float64Array;
  readonly data: Uint8Array;
  private readonly x: TlvExports;
  private readonly input: Uint8Array;
  private readonly mem: Uint8Array;
  private readonly outPtr: number;

  constructor(x: TlvExports) {
    this.x = x;
    const buf = x.memory.buffer;   // fixed size (max 1 page): views never detach
    this.maxPayload = x.maxPayload();
    this.maxEntries = x.maxEntries();
    this.maxData = this.maxPayload;
    this.table = new Int32Array(buf, x.tablePtr(), this.maxEntries * ENTRY_WORDS);
    this.tableF64 = new Float64Array(buf, x.tablePtr(), this.maxEntries * ENTRY_WORDS / 2);
    this.input = new Uint8Array(buf, x.inPtr(), this.maxPayload);
    this.data = this.input;         // encode reads string/opaque bytes from the input region
    this.mem = new Uint8Array(buf);
    this.outPtr = x.outPtr();
  }

  get errorIndex(): number { return this.x.errorIndex(); }

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
    const end = this.outPtr + this.maxPayload;
    return this.mem.slice(end - n, end);
  }
}

/** Instantiates build/out/tlv.wasm (or the given bytes) as a TlvBackend. */
export function loadTlvWasm(bytes?: Uint8Array): TlvBackend {
  const code = bytes ?? readFileSync(fileURLToPath(TLV_WASM_URL));
  const wa = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;   // not in the ES2022 lib typings
  const inst = new wa.Instance(new wa.Module(code), {});
  return new TlvWasm(inst.exports as unknown as TlvExports);
}

/** Loads the wasm codec and makes it the backend formats/tlv uses. */
export function installNodeTlv(): TlvBackend {
  const b = loadTlvWasm();
  setTlvBackend(b);
  return b;
}
