// Plain CBOR (Content-Format 60, application/cbor; LwM2M 1.1 Core §7.4.3): the value of ONE single-instance
// resource or ONE resource instance as a single CBOR data item. Anything wider (an object, an instance, a
// whole multiple resource) needs SenML CBOR: a request payload in 60 for such a target is 4.15, an Accept of
// 60 for it is 4.06. Type mapping (Core Table 7.4.3-1): Integer major 0/1, Unsigned Integer major 0, Float
// major 7 (a float even when the value is whole), Boolean false/true, String and Corelnk text, Opaque byte
// string, Time tag 1 (epoch seconds) on an integer (an untagged integer is accepted too), Objlnk the text
// "oid:iid". The data item itself goes through the formats instance's CBOR codec (built-in on the device, cbor-x on Node).
import type { DataType, Objlnk, Path, Value } from '../model/types';
import { pathDepth } from '../model/path';
import { coerceValue, formatObjlnk } from '../model/value';
import type { DecodedPayload, FormatCodecs, FormatResult, ResourceRecord, TypeResolver } from './types';
import { fail } from './types';
import { safeResolve, singleValuePayload } from './common';
import { inferType } from './infer';

/** Head of tag 1 (epoch-based date/time, RFC 8949 §3.4.2). */
const TAG_EPOCH = 0xc1;

type Def = { type: DataType; multiple: boolean } | undefined;

/** The request/response path must name one value: a single resource, or one instance of a multiple one. */
function singleTarget(base: Path, resolve: TypeResolver, kind: 'unsupported' | 'not-acceptable'): FormatResult<Def> {
  const d = pathDepth(base);
  if (d < 3) return fail(kind, 'plain CBOR carries one resource value only');
  const def = safeResolve(resolve, base.objectId!, base.resourceId!);
  if (def && def.multiple && d === 3) return fail(kind, 'plain CBOR cannot carry a multiple resource');
  if (def && !def.multiple && d === 4) return fail('type-mismatch', 'resource is not multiple');
  return { ok: true, value: def };
}

/** CBOR value → LwM2M value of `type`, strict on the CBOR major type. */
function fromCbor(type: DataType, v: unknown, tagged: boolean): FormatResult<Value> {
  if (tagged && type !== 'time') return fail('type-mismatch', 'tag 1 only on a Time value');
  const isInt = typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
  let ok: boolean;
  switch (type) {
    case 'integer':
    case 'unsigned':
    case 'time':
      ok = isInt;
      break;
    case 'float':
      ok = typeof v === 'number' || typeof v === 'bigint';
      break;
    case 'boolean':
      ok = typeof v === 'boolean';
      break;
    case 'string':
    case 'corelnk':
    case 'objlnk':
      ok = typeof v === 'string';
      break;
    case 'opaque':
      ok = v instanceof Uint8Array;
      if (ok) v = (v as Uint8Array).slice();
      break; // never a view of the datagram
    default:
      ok = false;
  }
  if (!ok) return fail('type-mismatch', `CBOR item is not a ${type}`);
  const c = coerceValue(type, v);
  return c.ok ? c : fail('type-mismatch', c.reason);
}

export function decodeCborPlain(
  payload: Uint8Array,
  base: Path,
  resolve: TypeResolver,
  codecs: FormatCodecs,
): FormatResult<DecodedPayload> {
  const st = singleTarget(base, resolve, 'unsupported');
  if (!st.ok) return st;
  const def = st.value;
  const tagged = payload.length > 0 && payload[0] === TAG_EPOCH;
  let item: unknown;
  try {
    item = codecs.cbor.decode(tagged ? payload.subarray(1) : payload);
  } catch {
    return fail('malformed', 'CBOR does not decode');
  }
  let value: Value;
  let unknown = false;
  if (def) {
    const r = fromCbor(def.type, item, tagged);
    if (!r.ok) return r;
    value = r.value;
  } else {
    // No definition: keep the item's bytes, as text/opaque do for unknown resources.
    value = payload.slice();
    unknown = true;
  }
  return singleValuePayload(base, value, unknown);
}

/** A float always as a float (major 7): float32 when exact, else float64. The codecs would write 1.0 as 1. */
function encodeFloat(v: number): Uint8Array {
  const single = Math.fround(v) === v || Number.isNaN(v);
  const out = new Uint8Array(single ? 5 : 9);
  const dv = new DataView(out.buffer);
  out[0] = single ? 0xfa : 0xfb;
  if (single) dv.setFloat32(1, v);
  else dv.setFloat64(1, v);
  return out;
}

function withTag(head: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = head;
  out.set(body, 1);
  return out;
}

export function encodeCborPlain(
  base: Path,
  records: ResourceRecord[],
  resolve: TypeResolver,
  codecs: FormatCodecs,
): FormatResult<Uint8Array> {
  const st = singleTarget(base, resolve, 'not-acceptable');
  if (!st.ok) return fail('not-acceptable', st.reason); // an answer in 60 for a wider target is 4.06
  if (records.length !== 1) return fail('not-acceptable', 'plain CBOR carries exactly one value');
  const rec = records[0];
  const type = st.value && !rec.unknown ? st.value.type : inferType(rec.value);
  const c = coerceValue(type, rec.value);
  if (!c.ok) return fail('internal', c.reason);
  const v = c.value;
  try {
    const codec = codecs.cbor;
    switch (type) {
      case 'float':
        return { ok: true, value: encodeFloat(v as number) };
      case 'time':
        return { ok: true, value: withTag(TAG_EPOCH, codec.encode(v)) };
      case 'objlnk':
        return { ok: true, value: codec.encode(formatObjlnk(v as Objlnk)) };
      case 'none':
        return fail('not-acceptable', 'resource has no value');
      default:
        return { ok: true, value: codec.encode(v) };
    }
  } catch {
    return fail('internal', 'CBOR encode failed');
  }
}
