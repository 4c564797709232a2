// OMA LwM2M JSON (11543, LwM2M 1.0 §6.4.4): {"bn":"/3/0/","e":[{"n":"0","sv":"x"},{"n":"1","v":1}]}.
// sv/v/bv/ov values; Opaque travels base64 in sv. Decoded through the SenML path for one set of rules.
import type { Path } from '../model/types';
import { parsePath } from '../model/path';
import { utf8DecodeStrict, utf8Encode } from '../util/utf8';
import type { DecodedPayload, FormatResult, ResourceRecord, TypeResolver } from './types';
import { fail } from './types';
import { base64Decode, base64Encode } from './base64';
import { safeResolve } from './common';
import { type SenmlRecord, senmlToRecords, recordsToSenml } from './senml';
import { formatPath } from '../model/path';

export function decodeLwm2mJson(payload: Uint8Array, base: Path, resolve: TypeResolver): FormatResult<DecodedPayload> {
  const s = utf8DecodeStrict(payload);
  let j: unknown;
  try {
    j = s === undefined ? undefined : JSON.parse(s);
  } catch {
    j = undefined;
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) return fail('malformed', 'LwM2M JSON is not an object');
  const top = j as Record<string, unknown>;
  const bn = top.bn === undefined ? formatPath(base) + '/' : top.bn;
  if (typeof bn !== 'string' || !Array.isArray(top.e)) return fail('malformed', 'LwM2M JSON needs bn and e');
  const pack: SenmlRecord[] = [];
  for (const e of top.e as unknown[]) {
    if (typeof e !== 'object' || e === null) return fail('malformed', 'LwM2M JSON entry is not an object');
    const x = e as Record<string, unknown>;
    if (x.n !== undefined && typeof x.n !== 'string') return fail('malformed', 'LwM2M JSON n is not a string');
    const r: SenmlRecord = { bn: pack.length === 0 ? bn : undefined, n: x.n as string | undefined };
    if (r.bn === undefined) delete r.bn;
    if (x.v !== undefined) {
      if (typeof x.v !== 'number') return fail('malformed', 'v is not a number');
      r.v = x.v;
    }
    if (x.bv !== undefined) {
      if (typeof x.bv !== 'boolean') return fail('malformed', 'bv is not a boolean');
      r.vb = x.bv;
    }
    if (x.ov !== undefined) {
      if (typeof x.ov !== 'string') return fail('malformed', 'ov is not a string');
      r.vlo = x.ov;
    }
    if (x.sv !== undefined) {
      if (typeof x.sv !== 'string') return fail('malformed', 'sv is not a string');
      const p = parsePath(bn + (x.n ?? ''));
      const def = p && p.resourceId !== undefined ? safeResolve(resolve, p.objectId!, p.resourceId) : undefined;
      if (def?.type === 'opaque') {
        const d = base64Decode(x.sv);
        if (!d) return fail('malformed', 'opaque sv is not base64');
        r.vd = d;
      } else r.vs = x.sv;
    }
    pack.push(r);
  }
  return senmlToRecords(pack, base, resolve);
}

export function encodeLwm2mJson(base: Path, records: ResourceRecord[], resolve: TypeResolver): FormatResult<Uint8Array> {
  const p = recordsToSenml(base, records, resolve);
  if (!p.ok) return p;
  const bn = p.value.length > 0 && p.value[0].bn !== undefined ? p.value[0].bn : formatPath(base);
  const es: string[] = [];
  for (const r of p.value) {
    const f: string[] = [];
    if (r.n !== undefined) f.push(`"n":${JSON.stringify(r.n)}`);
    if (r.v !== undefined) {
      if (typeof r.v === 'number' && !Number.isFinite(r.v)) return fail('internal', 'JSON cannot carry NaN or Infinity');
      f.push(`"v":${String(r.v)}`);
    }
    if (r.vs !== undefined) f.push(`"sv":${JSON.stringify(r.vs)}`);
    if (r.vd !== undefined) f.push(`"sv":"${base64Encode(r.vd)}"`);
    if (r.vb !== undefined) f.push(`"bv":${r.vb}`);
    if (r.vlo !== undefined) f.push(`"ov":"${r.vlo}"`);
    es.push('{' + f.join(',') + '}');
  }
  return { ok: true, value: utf8Encode(`{"bn":${JSON.stringify(bn)},"e":[${es.join(',')}]}`) };
}
