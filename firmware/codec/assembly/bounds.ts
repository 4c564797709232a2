// Size bounds of the TLV codec for the host builds (wasm, wasm2js); TLV_MAX_PAYLOAD /
// TLV_MAX_ENTRIES on the TS side (host-tests/codec checks they agree). The device build
// (build/build-wasm.mjs -> build/out/tlv-device.wasm) compiles a copy of this folder with a
// generated bounds.ts holding smaller values; the TS adapter reads them back through
// maxPayload()/maxEntries(), so nothing else needs to know which build runs.
export const MAX_PAYLOAD: i32 = 16384;
export const MAX_ENTRIES: i32 = 768;
