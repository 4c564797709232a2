// Types of tlv-native.js: the exports of the AssemblyScript TLV codec, served
// by C (wasm2c) on the device. Same names and meaning as the wasm exports.

/** Host buffer over the codec's static linear memory; never detaches or moves. */
export function memory(): ArrayBuffer;
export function inPtr(): number;
export function tablePtr(): number;
export function outPtr(): number;
export function maxPayload(): number;
export function maxEntries(): number;
export function errorIndex(): number;
/** Entry count or a negative TLV_* code; -100 if the codec trapped. */
export function decode(len: number, topKinds: number): number;
export function decodeValues(count: number): number;
/** Encoded length (bytes end at outPtr() + maxPayload()) or a negative code. */
export function encode(count: number, dataLimit: number): number;
