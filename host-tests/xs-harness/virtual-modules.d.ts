// Modules the XS bundler provides (host-tests/xs-harness/bundle.ts).

/** The AssemblyScript TLV codec as JavaScript (wasm2js of build/out/tlv.wasm). */
declare module 'xs:tlv-wasm2js' {
  export const memory: { buffer: ArrayBuffer };
  export function inPtr(): number;
  export function tablePtr(): number;
  export function outPtr(): number;
  export function maxPayload(): number;
  export function maxEntries(): number;
  export function errorIndex(): number;
  export function decode(len: number, topKinds: number): number;
  export function decodeValues(count: number): number;
  export function encode(count: number, dataLimit: number): number;
}
