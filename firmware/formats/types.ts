// Content-format types shared by the decoders/encoders (Core §7.4).
import type { DataType, Path, ResourceDef, Value } from '../model/types';
import type { TlvBackend } from '../codec/backend';
import type { CborCodec } from './cbor-codec';

export const ContentFormat = Object.freeze({
  TEXT: 0,
  LINK_FORMAT: 40,
  OPAQUE: 42,
  CBOR: 60,
  SENML_JSON: 110,
  SENML_CBOR: 112,
  TLV: 11542,
  LWM2M_JSON: 11543,
  OLD_TLV: 1542,
  OLD_JSON: 1543,
} as const);

/**
 * Why a payload did not decode or records did not encode, in the formats' own terms; the request
 * layer turns a kind into a CoAP code once (lwm2m/engine/refusal.ts formatErrorCode).
 * - 'unsupported': the format is not one this client reads, or cannot carry this resource (decode)
 * - 'not-acceptable': the format cannot carry these records (encode)
 * - 'malformed': the payload does not parse as the format
 * - 'outside-base': a record lies outside the request path
 * - 'type-mismatch': a value or a single/multiple shape does not fit the resource's definition
 * - 'too-large': over a bound of the codec (payload bytes, entries)
 * - 'internal': the records cannot be written (a value of the wrong type in the tree)
 */
export type FormatErrorKind = 'unsupported' | 'not-acceptable' | 'malformed' | 'outside-base' | 'type-mismatch' | 'too-large' | 'internal';

export interface ResourceRecord {
  /** objectId, instanceId, resourceId always set; resourceInstanceId set for an instance of a multiple resource. */
  path: Path;
  value: Value;
  /** Resolver had no definition: value is the raw bytes (TLV) or the raw SenML value. */
  unknown?: boolean;
  /** The resource's definition, when whoever made the record had it at hand (a Read): encoders then skip the look-up. */
  def?: ResourceDef;
}

export interface InstanceRef {
  objectId: number;
  instanceId: number;
}
export interface MultipleResourceRef {
  objectId: number;
  instanceId: number;
  resourceId: number;
}

export interface DecodedPayload {
  records: ResourceRecord[];
  /** Every object instance the payload names, including empty ones. */
  instances: InstanceRef[];
  /** Multiple resources named by the payload, including empty ones. */
  multipleResources: MultipleResourceRef[];
}

/** The codecs a formats instance runs on (formats/registry.ts createFormats): ports, chosen by the platform. */
export interface FormatCodecs {
  readonly tlv: TlvBackend;
  readonly cbor: CborCodec;
}

export type TypeResolver = (objectId: number, resourceId: number) => { type: DataType; multiple: boolean } | undefined;

export type FormatResult<T> = { ok: true; value: T } | { ok: false; kind: FormatErrorKind; reason: string };

export interface EncodeOptions {
  /** Object instances to include even when no record names them (TLV: empty object-instance TLV). */
  instances?: InstanceRef[];
  /** Multiple resources to include even when they have no instances (TLV: empty multiple-resource TLV). */
  multipleResources?: MultipleResourceRef[];
}

export function fail<T>(kind: FormatErrorKind, reason: string): FormatResult<T> {
  return { ok: false, kind, reason };
}
