// SenML (RFC 8428) records ↔ LwM2M resource records (Core §7.4.4, §7.4.5), shared by JSON and CBOR.
import type { Path, Value, Objlnk } from '../model/types';
import { parsePath, formatPath, pathDepth, pathIds } from '../model/path';
import { coerceValue, parseObjlnk, formatObjlnk } from '../model/value';
import type { DecodedPayload, FormatResult, ResourceRecord, TypeResolver } from './types';
import { fail } from './types';
import { PayloadBuilder, underBase, recordDef, safeResolve } from './common';
import { inferType } from './infer';

/** One SenML pack entry with the fields LwM2M uses; number fields may be bigint (CBOR). */
export interface SenmlRecord {
  bn?: string;
  n?: string;
  bt?: number;
  t?: number;
  v?: number | bigint;
  vs?: string;
  vb?: boolean;
  vd?: Uint8Array;
  vlo?: string;
}

/** Bound on pack entries per payload (a Bootstrap-Write of a few instances needs well under this). */
export const MAX_SENML_RECORDS = 1024;

export function senmlToRecords(pack: SenmlRecord[], base: Path, resolve: TypeResolver): FormatResult<DecodedPayload> {
  if (pack.length > MAX_SENML_RECORDS) return fail('malformed', 'too many SenML records');
  const b = new PayloadBuilder();
  let bn = '';
  for (const r of pack) {
    if (r.bn !== undefined) bn = r.bn;
    const name = bn + (r.n ?? '');
    const p = parsePath(name);
    if (!p) return fail('malformed', 'bad SenML name');
    const d = pathDepth(p);
    if (d < 3) return fail('malformed', 'SenML record without a resource path');
    const o = p.objectId!,
      i = p.instanceId!,
      rid = p.resourceId!,
      ri = p.resourceInstanceId;
    if (!underBase(base, o, i, rid, ri)) return fail('outside-base', 'SenML record outside the request path');
    let raw: unknown,
      kind: 'v' | 'vs' | 'vb' | 'vd' | 'vlo' | undefined,
      count = 0;
    if (r.v !== undefined) {
      raw = r.v;
      kind = 'v';
      count++;
    }
    if (r.vs !== undefined) {
      raw = r.vs;
      kind = 'vs';
      count++;
    }
    if (r.vb !== undefined) {
      raw = r.vb;
      kind = 'vb';
      count++;
    }
    if (r.vd !== undefined) {
      raw = r.vd;
      kind = 'vd';
      count++;
    }
    if (r.vlo !== undefined) {
      raw = r.vlo;
      kind = 'vlo';
      count++;
    }
    if (count !== 1) return fail('malformed', count === 0 ? 'SenML record without value' : 'SenML record with several values');
    const def = safeResolve(resolve, o, rid);
    if (def && def.multiple !== (ri !== undefined))
      return fail('type-mismatch', `resource ${rid} ${def.multiple ? 'is' : 'is not'} multiple`);
    let value: Value;
    if (kind === 'vlo') {
      const l = parseObjlnk(raw as string);
      if (!l) return fail('malformed', 'bad SenML vlo');
      raw = l;
    }
    if (!def) value = raw as Value;
    else {
      const t = def.type;
      const okKind =
        kind === 'v'
          ? t === 'integer' || t === 'unsigned' || t === 'float' || t === 'time'
          : kind === 'vs'
            ? t === 'string' || t === 'corelnk'
            : kind === 'vb'
              ? t === 'boolean'
              : kind === 'vd'
                ? t === 'opaque'
                : t === 'objlnk';
      if (!okKind) return fail('type-mismatch', `SenML ${kind} does not fit resource ${rid}`);
      const c = coerceValue(t, raw);
      if (!c.ok) return fail('type-mismatch', c.reason);
      value = c.value;
    }
    const path: Path = { objectId: o, instanceId: i, resourceId: rid };
    if (ri !== undefined) path.resourceInstanceId = ri;
    const rec: ResourceRecord = { path, value };
    if (!def) rec.unknown = true;
    b.record(rec);
  }
  return { ok: true, value: b.out };
}

export function recordsToSenml(base: Path, records: ResourceRecord[], resolve: TypeResolver): FormatResult<SenmlRecord[]> {
  const bd = pathDepth(base);
  const baseIds = pathIds(base);
  const pack: SenmlRecord[] = [];
  for (const r of records) {
    const ids = pathIds(r.path);
    if (ids.length < 3 || !underBase(base, ids[0], ids[1], ids[2], ids[3])) return fail('internal', 'record outside the request path');
    const s: SenmlRecord = {};
    if (pack.length === 0) s.bn = ids.length > bd ? (bd === 0 ? '/' : formatPath(base) + '/') : formatPath(base);
    if (ids.length > bd) s.n = ids.slice(bd).join('/');
    else if (baseIds.length !== ids.length) return fail('internal', 'record above the request path');
    const def = recordDef(r, resolve, ids[0], ids[2]);
    const type = def ? def.type : inferType(r.value);
    const c = coerceValue(type, r.value);
    if (!c.ok) return fail('internal', c.reason);
    const v = c.value;
    switch (type) {
      case 'integer':
      case 'unsigned':
      case 'time':
      case 'float':
        s.v = v as number | bigint;
        break;
      case 'boolean':
        s.vb = v as boolean;
        break;
      case 'opaque':
        s.vd = v as Uint8Array;
        break;
      case 'objlnk':
        s.vlo = formatObjlnk(v as Objlnk);
        break;
      case 'none':
        break;
      default:
        s.vs = v as string;
    }
    pack.push(s);
  }
  return { ok: true, value: pack };
}
