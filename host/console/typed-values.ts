// Values as a person types them, checked against the resource's data type from
// the generated object definitions, and values shown with the resource's name
// and units. The prompt and the console API share it, so both refuse "abc"
// for an Integer with the same one-line reason before anything is sent.
import type { ResourceRecord } from '../../firmware/formats';
import { hostObjectDef as getObjectDef, hostResourceDef as getResourceDef } from '../models';
import { formatPath, parsePath } from '../../firmware/model/path';
import type { DataType, Path, Value } from '../../firmware/model/types';
import { showValue } from '../lwm2m-server';
import { enumName } from './enums';
import { fromHex } from '../../firmware/util/hex';

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

const bad = <T>(reason: string): Checked<T> => ({ ok: false, reason });

/** '/3/0/1' or '3/0/1' (the slash is what people forget) → Path, else a reason showing the expected shape. */
export function checkPath(text: unknown): Checked<Path> {
  if (typeof text !== 'string' || text.trim() === '') return bad('a path is needed, e.g. /3/0/0');
  const t = text.trim();
  const p = parsePath(t.startsWith('/') ? t : '/' + t);
  return p ? { ok: true, value: p } : bad(`bad path "${t}": want /object/instance/resource[/instance], ids 0..65534, e.g. /3/0/0`);
}

/** "/1/0/1 Lifetime", or the bare path where the definitions have no name for it. */
export function pathLabel(p: Path): string {
  const o = p.objectId === undefined ? undefined : getObjectDef(p.objectId);
  const name = p.resourceId !== undefined ? o?.resources.get(p.resourceId)?.name : o?.name;
  return name ? `${formatPath(p)} ${name.replace(/\s+/g, ' ')}` : formatPath(p);
}

const INT64_MIN = -(2n ** 63n),
  INT64_MAX = 2n ** 63n - 1n,
  UINT64_MAX = 2n ** 64n - 1n;

/** Checks `input` (text from a form or the prompt, or a JSON number/boolean) against the resource's type. */
export function parseTyped(p: Path, input: unknown): Checked<Value> {
  if (p.objectId === undefined || p.resourceId === undefined)
    return bad(`${formatPath(p)} is not a resource; a value goes to /object/instance/resource`);
  const def = getResourceDef(p.objectId, p.resourceId);
  if (!def) return bad(`${formatPath(p)} has no definition here, so its type is unknown`);
  if (typeof input !== 'string' && typeof input !== 'number' && typeof input !== 'boolean')
    return bad(`${pathLabel(p)}: the value must be text, a number or a boolean`);
  const text = String(input).trim();
  const refuse = (what: string) => bad<Value>(`${pathLabel(p)} is ${what}; "${String(input)}" is not one`);
  switch (def.type) {
    case 'integer':
      return integer(text, INT64_MIN, INT64_MAX) ?? refuse('an Integer (64-bit signed)');
    case 'unsigned':
      return integer(text, 0n, UINT64_MAX) ?? refuse('an Unsigned Integer');
    case 'time': {
      const n = integer(text, INT64_MIN, INT64_MAX);
      if (n) return n;
      const ms = /^\d{4}-\d\d-\d\d/.test(text) ? Date.parse(text) : NaN;
      return Number.isNaN(ms) ? refuse('a Time (seconds since 1970 or an ISO date)') : { ok: true, value: Math.floor(ms / 1000) };
    }
    case 'float': {
      const n = text === '' ? NaN : Number(text);
      return Number.isFinite(n) ? { ok: true, value: n } : refuse('a Float');
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (t === 'true' || t === '1') return { ok: true, value: true };
      if (t === 'false' || t === '0') return { ok: true, value: false };
      return refuse('a Boolean (true, false, 1 or 0)');
    }
    case 'opaque': {
      const hex = text.replace(/^0x/i, '');
      return /^([0-9a-fA-F]{2})*$/.test(hex) ? { ok: true, value: fromHex(hex) } : refuse('Opaque (hex bytes, e.g. 0x0a1b)');
    }
    case 'objlnk': {
      const m = /^(\d{1,5}):(\d{1,5})$/.exec(text);
      const [o, i] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
      return o <= 65535 && i <= 65535
        ? { ok: true, value: { objectId: o, instanceId: i } }
        : refuse('an Object Link (object:instance, e.g. 3:0)');
    }
    case 'none':
      return bad(`${pathLabel(p)} is executable and holds no value`);
    default:
      return { ok: true, value: String(input) }; // String, Corelnk: any text
  }
}

function integer(text: string, min: bigint, max: bigint): Checked<Value> | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const b = BigInt(text);
  if (b < min || b > max) return undefined;
  return { ok: true, value: b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b };
}

/** The resource's data type, when the definitions know it. */
export function typeOf(p: Path): DataType | undefined {
  return p.objectId !== undefined && p.resourceId !== undefined ? getResourceDef(p.objectId, p.resourceId)?.type : undefined;
}

/** A value as JSON: 64-bit integers beyond 2^53 as decimal text, Opaque as "0x…" hex, Object Links as "3:0". */
export function jsonValue(v: Value): string | number | boolean | null {
  if (typeof v === 'bigint') return v.toString();
  if (v !== null && typeof v === 'object') return showValue(v); // the server's own "0x…" and "3:0"
  return v;
}

/** A value for a person: Time as an ISO date beside its seconds, strings quoted, units after numbers, an enumeration's name beside its number. */
export function showTyped(p: Path, v: Value): string {
  const type = typeOf(p);
  const units = p.objectId !== undefined && p.resourceId !== undefined ? getResourceDef(p.objectId, p.resourceId)?.units : undefined;
  const j = jsonValue(v);
  const named = enumName(p.objectId, p.resourceId, v);
  if (named !== undefined) return `${named} (${String(v)})`;
  if (type === 'time' && typeof v === 'number') return `${new Date(v * 1000).toISOString().replace('.000Z', 'Z')} (${v})`;
  if (typeof v === 'string') return JSON.stringify(v);
  return units && typeof j === 'number' ? `${j} ${units}` : String(j);
}

/** One line per record: "/3/0/0 Manufacturer = "xs-lwm2m"", names padded to line up. */
export function showRecords(records: ResourceRecord[] | undefined): string {
  if (!records || records.length === 0) return '';
  const labels = records.map((r) => pathLabel(r.path));
  const width = Math.min(48, Math.max(...labels.map((l) => l.length)));
  return records.map((r, i) => `${labels[i].padEnd(width)} = ${showTyped(r.path, r.value)}`).join('\n');
}
