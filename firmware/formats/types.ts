// Content-format types shared by the decoders/encoders (Core §7.4).
import type { DataType, Path, Value } from '../model/types';

export const ContentFormat = Object.freeze({
  TEXT: 0, LINK_FORMAT: 40, OPAQUE: 42, CBOR: 60, SENML_JSON: 110, SENML_CBOR: 112,
  TLV: 11542, LWM2M_JSON: 11543, OLD_TLV: 1542, OLD_JSON: 1543,
} as const);

/** CoAP codes used in results: 4.00, 4.06, 4.13, 4.15, 5.00 (the values of coap/message Code). */
export const BAD_REQUEST = 128;
export const NOT_ACCEPTABLE = 134;
export const REQUEST_ENTITY_TOO_LARGE = 141;
export const UNSUPPORTED_CONTENT_FORMAT = 143;
export const INTERNAL_SERVER_ERROR = 160;

export interface ResourceRecord {
  /** objectId, instanceId, resourceId always set; resourceInstanceId set for an instance of a multiple resource. */
  path: Path;
  value: Value;
  /** Resolver had no definition: value is the raw bytes (TLV) or the raw SenML value. */
  unknown?: boolean;
}

export interface InstanceRef { objectId: number; instanceId: number }
export interface MultipleResourceRef { objectId: number; instanceId: number; resourceId: number }

export interface DecodedPayload {
  records: ResourceRecord[];
  /** Every object instance the payload names, including empty ones. */
  instances: InstanceRef[];
  /** Multiple resources named by the payload, including empty ones. */
  multipleResources: MultipleResourceRef[];
}

export type TypeResolver = (objectId: number, resourceId: number) => { type: DataType; multiple: boolean } | undefined;

export type FormatResult<T> = { ok: true; value: T } | { ok: false; code: number; reason: string };

export interface EncodeOptions {
  /** Object instances to include even when no record names them (TLV: empty object-instance TLV). */
  instances?: InstanceRef[];
  /** Multiple resources to include even when they have no instances (TLV: empty multiple-resource TLV). */
  multipleResources?: MultipleResourceRef[];
}

export function fail<T>(code: number, reason: string): FormatResult<T> {
  return { ok: false, code, reason };
}
