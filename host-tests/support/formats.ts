// Test access to the content formats with a resolver per call: one formats instance over the given
// codecs (default: TypeScript TLV, built-in CBOR), typed by `resolve` (default: the built-in definitions).
import {
  builtinResolver,
  createFormats,
  type CborCodec,
  type DecodedPayload,
  type EncodeOptions,
  type FormatResult,
  type ResourceRecord,
  type TypeResolver,
} from '../../firmware/formats/index';
import type { TlvBackend } from '../../firmware/codec/backend';
import type { Path } from '../../firmware/model/types';

export interface FormatsUnderTest {
  decode(format: number, payload: Uint8Array, base: Path, resolve?: TypeResolver): FormatResult<DecodedPayload>;
  encode(format: number, base: Path, records: ResourceRecord[], resolve?: TypeResolver, opts?: EncodeOptions): FormatResult<Uint8Array>;
}

export function formatsOn(codecs: { tlv?: TlvBackend; cbor?: CborCodec } = {}): FormatsUnderTest {
  const f = createFormats(codecs);
  return {
    decode: (format, payload, base, resolve = builtinResolver) => f.withResolver(resolve).decode(format, payload, base),
    encode: (format, base, records, resolve = builtinResolver, opts) => f.withResolver(resolve).encode(format, base, records, opts),
  };
}
