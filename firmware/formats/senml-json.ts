// SenML JSON (110, RFC 8428 §5; LwM2M 1.1 adds "vlo" for Objlnk).
import type { Path } from '../model/types';
import { utf8DecodeStrict, utf8Encode } from '../util/utf8';
import type { DecodedPayload, FormatResult, ResourceRecord, TypeResolver } from './types';
import { fail } from './types';
import { base64Decode, base64Encode } from './base64';
import { type SenmlRecord, senmlToRecords, recordsToSenml } from './senml';

function parseJson(payload: Uint8Array): unknown {
  const s = utf8DecodeStrict(payload);
  if (s === undefined) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** Validates one parsed JSON entry into a SenmlRecord, or returns a reason. */
function fromJson(e: unknown): SenmlRecord | string {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'SenML entry is not an object';
  const r: SenmlRecord = {};
  for (const k of Object.keys(e)) {
    const v = (e as Record<string, unknown>)[k];
    switch (k) {
      case 'bn':
      case 'n':
      case 'vs':
      case 'vlo':
        if (typeof v !== 'string') return `SenML ${k} is not a string`;
        r[k] = v;
        break;
      case 'bt':
      case 't':
      case 'v':
        if (typeof v !== 'number') return `SenML ${k} is not a number`;
        r[k] = v;
        break;
      case 'vb':
        if (typeof v !== 'boolean') return 'SenML vb is not a boolean';
        r.vb = v;
        break;
      case 'vd': {
        const d = typeof v === 'string' ? base64Decode(v) : undefined;
        if (!d) return 'SenML vd is not base64';
        r.vd = d;
        break;
      }
      default:
        if (k.endsWith('_')) return `SenML field ${k} must be understood`; // RFC 8428 §4.4
    }
  }
  return r;
}

export function decodeSenmlJson(payload: Uint8Array, base: Path, resolve: TypeResolver): FormatResult<DecodedPayload> {
  const j = parseJson(payload);
  if (!Array.isArray(j)) return fail('malformed', 'SenML JSON is not an array');
  const pack: SenmlRecord[] = [];
  for (const e of j) {
    const r = fromJson(e);
    if (typeof r === 'string') return fail('malformed', r);
    pack.push(r);
  }
  return senmlToRecords(pack, base, resolve);
}

export function encodeSenmlJson(base: Path, records: ResourceRecord[], resolve: TypeResolver): FormatResult<Uint8Array> {
  const p = recordsToSenml(base, records, resolve);
  if (!p.ok) return p;
  const parts: string[] = [];
  for (const r of p.value) {
    const f: string[] = [];
    if (r.bn !== undefined) f.push(`"bn":${JSON.stringify(r.bn)}`);
    if (r.n !== undefined) f.push(`"n":${JSON.stringify(r.n)}`);
    if (r.v !== undefined) {
      if (typeof r.v === 'number' && !Number.isFinite(r.v)) return fail('internal', 'SenML JSON cannot carry NaN or Infinity');
      f.push(`"v":${String(r.v)}`); // bigint digits written exactly
    }
    if (r.vs !== undefined) f.push(`"vs":${JSON.stringify(r.vs)}`);
    if (r.vb !== undefined) f.push(`"vb":${r.vb}`);
    if (r.vd !== undefined) f.push(`"vd":"${base64Encode(r.vd, true)}"`);
    if (r.vlo !== undefined) f.push(`"vlo":"${r.vlo}"`);
    parts.push('{' + f.join(',') + '}');
  }
  return { ok: true, value: utf8Encode('[' + parts.join(',') + ']') };
}
