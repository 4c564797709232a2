// Native TLV codec on the device (tlv-native.c over the wasm2c build of
// firmware/codec/assembly/tlv.ts). Kept in .js: the `@` host-function
// syntax is XS-only; tlv-native.d.ts gives TypeScript the shapes.

function memory() @ "xs_tlv_memory";
function inPtr() @ "xs_tlv_in_ptr";
function tablePtr() @ "xs_tlv_table_ptr";
function outPtr() @ "xs_tlv_out_ptr";
function maxPayload() @ "xs_tlv_max_payload";
function maxEntries() @ "xs_tlv_max_entries";
function errorIndex() @ "xs_tlv_error_index";
function decode(len, topKinds) @ "xs_tlv_decode";
function decodeValues(count) @ "xs_tlv_decode_values";
function encode(count, dataLimit) @ "xs_tlv_encode";

export { memory, inPtr, tablePtr, outPtr, maxPayload, maxEntries, errorIndex, decode, decodeValues, encode };
