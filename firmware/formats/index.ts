// Public entry of the content formats: decode a request payload / encode a response by Content-Format.
import type { Path } from '../model/types';
import { getObjectDef } from '../model/objects';
import type { DecodedPayload, EncodeOptions, FormatResult, ResourceRecord, TypeResolver } from './types';
import { ContentFormat, UNSUPPORTED_CONTENT_FORMAT, NOT_ACCEPTABLE, BAD_REQUEST, fail, INTERNAL_SERVER_ERROR } from './types';
import { decodeTlv, encodeTlv } from './tlv';
import { decodeText, decodeOpaque, encodeText, encodeOpaque } from './text';
import { decodeSenmlJson, encodeSenmlJson } from './senml-json';
import { decodeSenmlCbor, encodeSenmlCbor } from './senml-cbor';
import { decodeLwm2mJson, encodeLwm2mJson } from './lwm2m-json';
import { decodeCborPlain, encodeCborPlain } from './cbor-plain';

export * from './types';
export { encodeLinkFormat, parseLinkFormat } from './link-format';
export type { Link } from './link-format';
export { base64Encode, base64Decode } from './base64';

/** Resolver over the built-in object definitions (objects 0-7). */
export const defaultResolver: TypeResolver = (objectId, resourceId) => {
  const r = getObjectDef(objectId)?.resources.get(resourceId);
  return r ? { type: r.type, multiple: r.multiple } : undefined;
};

const DECODABLE = new Set<number>([ContentFormat.TEXT, ContentFormat.OPAQUE, ContentFormat.TLV, ContentFormat.OLD_TLV,
  ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR, ContentFormat.LWM2M_JSON, ContentFormat.OLD_JSON, ContentFormat.CBOR]);

export function isSupportedFormat(format: number): boolean {
  return DECODABLE.has(format);
}

/** base = the request URI path (/o, /o/i, /o/i/r, /o/i/r/ri). Records outside base → 4.00. Never throws. */
export function decodePayload(format: number, payload: Uint8Array, base: Path, resolve: TypeResolver): FormatResult<DecodedPayload> {
  try {
    switch (format) {
      case ContentFormat.TLV: case ContentFormat.OLD_TLV: return decodeTlv(payload, base, resolve);
      case ContentFormat.TEXT: return decodeText(payload, base, resolve);
      case ContentFormat.OPAQUE: return decodeOpaque(payload, base, resolve);
      case ContentFormat.CBOR: return decodeCborPlain(payload, base, resolve);
      case ContentFormat.SENML_JSON: return decodeSenmlJson(payload, base, resolve);
      case ContentFormat.SENML_CBOR: return decodeSenmlCbor(payload, base, resolve);
      case ContentFormat.LWM2M_JSON: case ContentFormat.OLD_JSON: return decodeLwm2mJson(payload, base, resolve);
    }
    return fail(UNSUPPORTED_CONTENT_FORMAT, 'unsupported content format');
  } catch {
    return fail(BAD_REQUEST, 'payload does not decode');   // last line of defence; fuzzing keeps it unused
  }
}

/** Encodes records (all at or below base) in the format; 4.06 when the format cannot carry them. */
export function encodePayload(format: number, base: Path, records: ResourceRecord[], resolve: TypeResolver,
  opts?: EncodeOptions): FormatResult<Uint8Array> {
  try {
    switch (format) {
      case ContentFormat.TLV: case ContentFormat.OLD_TLV: return encodeTlv(base, records, resolve, opts);
      case ContentFormat.TEXT: return encodeText(base, records, resolve);
      case ContentFormat.OPAQUE: return encodeOpaque(base, records, resolve);
      case ContentFormat.CBOR: return encodeCborPlain(base, records, resolve);
      case ContentFormat.SENML_JSON: return encodeSenmlJson(base, records, resolve);
      case ContentFormat.SENML_CBOR: return encodeSenmlCbor(base, records, resolve);
      case ContentFormat.LWM2M_JSON: case ContentFormat.OLD_JSON: return encodeLwm2mJson(base, records, resolve);
    }
    return fail(NOT_ACCEPTABLE, 'unsupported content format');
  } catch {
    return fail(INTERNAL_SERVER_ERROR, 'encode failed');
  }
}
