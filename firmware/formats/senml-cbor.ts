// SenML CBOR (112, RFC 8428 §6): integer labels bver -1, bn -2, bt -3, bu -4, bv -5, bs -6,
// n 0, u 1, v 2, vs 3, vb 4, s 5, t 6, ut 7, vd 8; LwM2M's "vlo" keeps its text label.
// The CBOR itself goes through the formats instance's codec (built-in on the device, cbor-x on Node).
import type { Path } from '../model/types';
import type { DecodedPayload, FormatCodecs, FormatResult, ResourceRecord, TypeResolver } from './types';
import { fail } from './types';
import { type SenmlRecord, senmlToRecords, recordsToSenml } from './senml';

const BN = -2,
  BT = -3,
  N = 0,
  V = 2,
  VS = 3,
  VB = 4,
  T = 6,
  VD = 8;

function fromMap(m: unknown): SenmlRecord | string {
  if (!(m instanceof Map)) return 'SenML CBOR entry is not a map';
  const r: SenmlRecord = {};
  for (const [k, v] of m as Map<unknown, unknown>) {
    switch (k) {
      case BN:
      case N:
      case VS:
      case 'vlo':
        if (typeof v !== 'string') return 'SenML CBOR text field is not text';
        if (k === BN) r.bn = v;
        else if (k === N) r.n = v;
        else if (k === VS) r.vs = v;
        else r.vlo = v;
        break;
      case BT:
      case T:
        if (typeof v !== 'number' && typeof v !== 'bigint') return 'SenML CBOR time is not a number';
        break; // times are ignored for writes
      case V:
        if (typeof v !== 'number' && typeof v !== 'bigint') return 'SenML CBOR v is not a number';
        r.v = v;
        break;
      case VB:
        if (typeof v !== 'boolean') return 'SenML CBOR vb is not a boolean';
        r.vb = v;
        break;
      case VD:
        if (!(v instanceof Uint8Array)) return 'SenML CBOR vd is not a byte string';
        r.vd = new Uint8Array(v);
        break; // plain copy, not a view into the datagram
      default:
        if (typeof k === 'string' && k.endsWith('_')) return `SenML field ${k} must be understood`;
    }
  }
  return r;
}

export function decodeSenmlCbor(
  payload: Uint8Array,
  base: Path,
  resolve: TypeResolver,
  codecs: FormatCodecs,
): FormatResult<DecodedPayload> {
  let j: unknown;
  try {
    j = codecs.cbor.decode(payload);
  } catch {
    return fail('malformed', 'SenML CBOR does not decode');
  }
  if (!Array.isArray(j)) return fail('malformed', 'SenML CBOR is not an array');
  const pack: SenmlRecord[] = [];
  for (const e of j) {
    const r = fromMap(e);
    if (typeof r === 'string') return fail('malformed', r);
    pack.push(r);
  }
  return senmlToRecords(pack, base, resolve);
}

export function encodeSenmlCbor(
  base: Path,
  records: ResourceRecord[],
  resolve: TypeResolver,
  codecs: FormatCodecs,
): FormatResult<Uint8Array> {
  const p = recordsToSenml(base, records, resolve);
  if (!p.ok) return p;
  const arr = p.value.map((r) => {
    const m = new Map<number | string, unknown>();
    if (r.bn !== undefined) m.set(BN, r.bn);
    if (r.n !== undefined) m.set(N, r.n);
    if (r.v !== undefined) m.set(V, r.v);
    if (r.vs !== undefined) m.set(VS, r.vs);
    if (r.vb !== undefined) m.set(VB, r.vb);
    if (r.vd !== undefined) m.set(VD, r.vd);
    if (r.vlo !== undefined) m.set('vlo', r.vlo);
    return m;
  });
  try {
    return { ok: true, value: codecs.cbor.encode(arr) };
  } catch {
    return fail('internal', 'SenML CBOR encode failed');
  }
}
