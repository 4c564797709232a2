// A written value against its resource's definition (the DDF's
// RangeEnumeration), before anything is stored: a value out of range is a
// 4.00 with the reason (Core §5.4.3: a Write whose value the client cannot
// accept changes nothing). The forms the OMA and IPSO DDFs use:
//   "1..65534", "-40..85", "0..100.5"    numbers (Integer, Unsigned, Float, Time)
//   "0..255 bytes", "16,32,48"           lengths (String, Opaque)
//   "32 bytes", "6"                      a greatest length (String, Opaque)
//   "0,1,2"                              an enumeration of numbers
// "N bytes" on a number names its encoded size, not its value: not checked.
// Any other text (prose such as "The possible values are …") is not a
// machine-checkable range and is not checked here.
import type { ResourceDef, Value } from '../../model/types';
import { utf8Encode } from '../../util/utf8';

const NUMBER = '-?\\d+(?:\\.\\d+)?';
const RANGE = new RegExp(`^\\s*(${NUMBER})\\s*(?:\\.\\.|-)\\s*(${NUMBER})\\s*(bytes?)?\\s*$`, 'i');
const LIST = new RegExp(`^\\s*${NUMBER}(?:\\s*,\\s*${NUMBER})*\\s*(bytes?)?\\s*$`, 'i');

/** Why `value` does not fit `def`'s range, or undefined when it does (or the range is not checkable). */
export function rangeProblem(def: ResourceDef, value: Value): string | undefined {
  const range = def.rangeEnumeration;
  if (!range) return undefined;
  const sized = def.type === 'string' || def.type === 'opaque';
  const numeric = def.type === 'integer' || def.type === 'unsigned' || def.type === 'float' || def.type === 'time';
  if (!sized && !numeric) return undefined;
  if (numeric && /bytes?/i.test(range)) return undefined;
  const measured = sized ? sizeOf(value) : typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : undefined;
  if (measured === undefined) return undefined;
  const what = sized ? `${measured} bytes` : String(value);
  const m = RANGE.exec(range);
  if (m) {
    const lo = Number(m[1]),
      hi = Number(m[2]);
    return measured < lo || measured > hi ? `${what} outside ${range}` : undefined;
  }
  if (LIST.test(range)) {
    const allowed = range
      .replace(/bytes?/i, '')
      .split(',')
      .map((x) => Number(x.trim()));
    if (sized && allowed.length === 1) return measured > allowed[0]! ? `${what} longer than ${range}` : undefined;
    return allowed.includes(measured) ? undefined : `${what} not one of ${range}`;
  }
  return undefined;
}

function sizeOf(v: Value): number | undefined {
  if (typeof v === 'string') return utf8Encode(v).length;
  if (v instanceof Uint8Array) return v.length;
  return undefined;
}
