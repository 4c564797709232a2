// text/plain (0) and application/octet-stream (42): one resource value (Core §7.4.1, §7.4.2).
import type { Path, Value, Objlnk } from '../model/types';
import { pathDepth } from '../model/path';
import { coerceValue, formatObjlnk } from '../model/value';
import { utf8DecodeStrict, utf8Encode } from '../util/utf8';
import type { DecodedPayload, FormatResult, ResourceRecord, TypeResolver } from './types';
import { fail } from './types';
import { recordDef, safeResolve, singleValuePayload } from './common';
import { base64Decode, base64Encode } from './base64';
import { inferType } from './infer';

function singleTarget(base: Path, resolve: TypeResolver): FormatResult<{ def: ReturnType<TypeResolver> }> {
  const d = pathDepth(base);
  if (d < 3) return fail('malformed', 'single-value format needs a resource path');
  const def = safeResolve(resolve, base.objectId!, base.resourceId!);
  if (def && def.multiple && d === 3) return fail('type-mismatch', 'resource is multiple');
  if (def && !def.multiple && d === 4) return fail('type-mismatch', 'resource is not multiple');
  return { ok: true, value: { def } };
}

export function decodeText(payload: Uint8Array, base: Path, resolve: TypeResolver): FormatResult<DecodedPayload> {
  const st = singleTarget(base, resolve);
  if (!st.ok) return st;
  const def = st.value.def;
  if (!def) return singleValuePayload(base, payload.slice(), true);
  const s = utf8DecodeStrict(payload);
  if (s === undefined) return fail('malformed', 'text is not UTF-8');
  let v: unknown = s;
  if (def.type === 'opaque') {
    v = base64Decode(s);
    if (v === undefined) return fail('malformed', 'opaque text is not base64');
  } else if (def.type === 'none') v = s.length === 0 ? null : s;
  const c = coerceValue(def.type, v);
  if (!c.ok) return fail('type-mismatch', c.reason);
  return singleValuePayload(base, c.value, false);
}

export function decodeOpaque(payload: Uint8Array, base: Path, resolve: TypeResolver): FormatResult<DecodedPayload> {
  const st = singleTarget(base, resolve);
  if (!st.ok) return st;
  const def = st.value.def;
  if (def && def.type !== 'opaque') return fail('unsupported', 'resource is not opaque');
  return singleValuePayload(base, payload.slice(), !def);
}

export function textOf(v: Value): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (v instanceof Uint8Array) return base64Encode(v);
  if (v === null) return '';
  if (typeof v === 'object') return formatObjlnk(v as Objlnk);
  return String(v);
}

function single(base: Path, records: ResourceRecord[]): FormatResult<ResourceRecord> {
  if (pathDepth(base) < 3 || records.length !== 1) return fail('not-acceptable', 'single-value format needs exactly one resource value');
  return { ok: true, value: records[0] };
}

export function encodeText(base: Path, records: ResourceRecord[], resolve: TypeResolver): FormatResult<Uint8Array> {
  const r = single(base, records);
  if (!r.ok) return r;
  const def = recordDef(r.value, resolve, base.objectId!, base.resourceId!);
  const c = coerceValue(def ? def.type : inferType(r.value.value), r.value.value);
  if (!c.ok) return fail('internal', c.reason);
  return { ok: true, value: utf8Encode(textOf(c.value)) };
}

export function encodeOpaque(base: Path, records: ResourceRecord[], _resolve: TypeResolver): FormatResult<Uint8Array> {
  const r = single(base, records);
  if (!r.ok) return r;
  const v = r.value.value;
  if (!(v instanceof Uint8Array)) return fail('not-acceptable', 'resource is not opaque');
  return { ok: true, value: v.slice() };
}
