// Node CBOR codec: the npm package cbor-x behind the core's CborCodec port (formats/cbor-codec.ts).
// Configured for plain RFC 8949 output: no record/structure extension, no tag 64 on byte strings,
// no tag 259 on maps, preferred-size map heads for plain objects; maps decode as Map (integer SenML
// labels survive) and 64-bit integers as bigint (cbor-x's default without int64AsNumber).
import { Decoder, Encoder } from 'cbor-x';
import type { CborCodec } from '../../formats/cbor-codec';

export function createCborXCodec(): CborCodec {
  const decoder = new Decoder({ useRecords: false, mapsAsObjects: false } as never);
  const encoder = new Encoder({
    useRecords: false,
    mapsAsObjects: false,
    tagUint8Array: false,
    useTag259ForMaps: false,
    variableMapSize: true,
  } as never);
  return {
    name: 'cbor-x',
    encode(v: unknown): Uint8Array {
      const b = encoder.encode(v);
      // cbor-x returns a Buffer over its shared scratch area: hand out a plain copy.
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();
    },
    decode(b: Uint8Array): unknown {
      return decoder.decode(b);
    },
  };
}
