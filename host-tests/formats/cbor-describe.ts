// Shared by the CBOR-in-XS entry and its test: a JSON-safe description of decode/encode results, so
// XS and V8 outcomes compare with deepEqual (Maps, bytes, bigints, -0, NaN and Infinity spelled out).
import { decodeCbor, encodeCbor } from '../../firmware/formats/cbor';
import type { ContentFormats } from '../../firmware/formats/index';
import type { Path } from '../../firmware/model/types';

import { fromHex, toHex } from '../../firmware/util/hex';

export function describe(v: unknown): unknown {
  if (typeof v === 'bigint') return `big:${v}`;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : `num:${Object.is(v, -0) ? '-0' : String(v)}`;
  if (v instanceof Uint8Array) return `hex:${toHex(v)}`;
  if (Array.isArray(v)) return v.map(describe);
  if (v instanceof Map) return { map: [...v].map(([k, x]) => [describe(k), describe(x)]) };
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) o[k] = describe((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

/** Raw codec: decode each input; what decodes is re-encoded. */
export function describeRaw(inputs: string[]): unknown[] {
  return inputs.map((h) => {
    const d = decodeCbor(fromHex(h));
    if (!d.ok) return { error: d.error, offset: d.offset };
    const e = encodeCbor(d.value);
    return { value: describe(d.value), encoded: e.ok ? toHex(e.value) : `error:${e.error}` };
  });
}

export interface SenmlCase {
  payload: string;
  base: Path;
}

/** SenML CBOR through a formats instance (and its CBOR codec): decode, then re-encode. */
export function describeSenml(cases: SenmlCase[], formats: ContentFormats): unknown[] {
  return cases.map((c) => {
    const d = formats.decode(112, fromHex(c.payload), c.base);
    if (!d.ok) return { kind: d.kind, reason: d.reason };
    const e = formats.encode(112, c.base, d.value.records);
    return { records: describe(d.value.records), encoded: e.ok ? toHex(e.value) : `error:${e.reason}` };
  });
}
