// Runs decode -> encode through the formats layer and describes the results
// as JSON (bigint as "123n", bytes as hex), identically in V8 and XS.
import type { ContentFormats } from '../../firmware/formats';
import type { Path } from '../../firmware/model';
import { fromHex, toHex } from '../../firmware/util/hex';

export interface FormatsCase {
  format: number;
  payload: string;
  base: Path;
}

function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `hex:${toHex(v)}`;
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) o[k] = plain((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

export function describeFormats(cases: FormatsCase[], formats: ContentFormats): unknown[] {
  return cases.map((c) => {
    try {
      const d = formats.decode(c.format, fromHex(c.payload), c.base);
      if (!d.ok) return plain(d);
      const e = formats.encode(c.format, c.base, d.value.records);
      return plain({ decoded: d.value, encoded: e });
    } catch (e) {
      return { threw: String(e) };
    }
  });
}
