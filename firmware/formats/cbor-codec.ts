// The CBOR codec port (like codec/backend.ts for TLV): SenML CBOR, plain CBOR and the composite path lists
// use the codec their formats instance was created with (formats/registry.ts createFormats), else the
// built-in one. Node passes cbor-x (platform/node/cbor-x.ts); the device has no npm packages and keeps the built-in codec.
import { decodeCbor, encodeCbor } from './cbor';

export interface CborCodec {
  readonly name: string;
  /** Throws when v cannot be encoded. */
  encode(v: unknown): Uint8Array;
  /** Throws on malformed or unsupported input. Maps decode as Map; integers as number, or bigint at least
   *  beyond 2^53; byte strings as Uint8Array (may be a view of b — copy before keeping). */
  decode(b: Uint8Array): unknown;
}

/** The core's own codec (formats/cbor.ts) behind the throwing interface. */
export const builtinCborCodec: CborCodec = Object.freeze({
  name: 'built-in',
  encode(v: unknown): Uint8Array {
    const r = encodeCbor(v);
    if (!r.ok) throw new Error(`CBOR encode: ${r.error}`);
    return r.value;
  },
  decode(b: Uint8Array): unknown {
    const r = decodeCbor(b);
    if (!r.ok) throw new Error(`CBOR decode: ${r.error} at ${r.offset}`);
    return r.value;
  },
});
