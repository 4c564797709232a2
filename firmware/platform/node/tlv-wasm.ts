// Node TLV backend: the AssemblyScript codec compiled to build/out/tlv.wasm (npm run build),
// loaded synchronously so a formats instance can be created with it before anything decodes. The boundary
// adapter is the one the device (wasm2c) and XS (wasm2js) use too.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TlvBackend } from '../../codec/backend';
import { TlvLinearBackend, type TlvLinearExports } from '../../codec/tlv-linear';

export const TLV_WASM_URL = new URL('../../../build/out/tlv.wasm', import.meta.url);

type WasmExports = Omit<TlvLinearExports, 'memory'> & { memory: { buffer: ArrayBuffer } };

// The ES2022 lib (no DOM) has no WebAssembly declarations: name the little we use.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Instantiates build/out/tlv.wasm (or the given bytes) as a TlvBackend. */
export function loadTlvWasm(bytes?: Uint8Array): TlvBackend {
  const code = bytes ?? readFileSync(fileURLToPath(TLV_WASM_URL));
  const x = new WA.Instance(new WA.Module(code), {}).exports as unknown as WasmExports;
  // The memory is fixed at one page (no memory.grow), so views made once never detach.
  return new TlvLinearBackend('wasm', { ...x, memory: () => x.memory.buffer });
}
