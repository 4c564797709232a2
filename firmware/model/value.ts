// Value checks per LwM2M data type (Core Appendix C).
import type { DataType, Objlnk, Value } from './types';
import { utf8DecodeStrict } from '../util/utf8';

export type CoerceResult = { ok: true; value: Value } | { ok: false; reason: string };

export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;
export const UINT64_MAX = (1n << 64n) - 1n;

const fail = (reason: string): CoerceResult => ({ ok: false, reason });

/** bigint → number when it fits a safe integer (the Value convention). */
export function normaliseInteger(b: bigint): number | bigint {
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}

function toBigInt(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : undefined;
  if (typeof v === 'string' && /^-?[0-9]{1,20}$/.test(v)) return BigInt(v);
  return undefined;
}

const FLOAT_RE = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

function isObjlnk(v: unknown): v is Objlnk {
  return (
    typeof v === 'object' &&
    v !== null &&
    !(v instanceof Uint8Array) &&
    typeof (v as Objlnk).objectId === 'number' &&
    typeof (v as Objlnk).instanceId === 'number'
  );
}

const isU16 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 65535;

/** Parse 'o:i' (text / SenML vlo form) into an Objlnk; undefined if invalid. */
export function parseObjlnk(s: string): Objlnk | undefined {
  const m = /^([0-9]{1,5}):([0-9]{1,5})$/.exec(s);
  if (!m) return undefined;
  const objectId = Number(m[1]),
    instanceId = Number(m[2]);
  return isU16(objectId) && isU16(instanceId) ? { objectId, instanceId } : undefined;
}

export function formatObjlnk(o: Objlnk): string {
  return `${o.objectId}:${o.instanceId}`;
}

/** Check/normalise a value against a resource type: {ok:true,value} | {ok:false,reason}. Accepts the JS value
 *  of the type, and for scalar types also its text form ('12', '1.5', '0'/'1', '3:0'). */
/**
 * Whether `v` is already the value coerceValue would give for `type` (the common case on the way out: a
 * stored string, a safe integer, a float, a boolean), so an encoder can skip the conversion and its result object.
 */
export function isCanonical(type: DataType, v: unknown): boolean {
  switch (type) {
    case 'string':
    case 'corelnk':
      return typeof v === 'string';
    case 'integer':
    case 'time':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'unsigned':
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    case 'float':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return false;
  }
}

export function coerceValue(type: DataType, v: unknown): CoerceResult {
  switch (type) {
    case 'string':
    case 'corelnk':
      if (typeof v === 'string') return { ok: true, value: v };
      if (v instanceof Uint8Array) {
        const s = utf8DecodeStrict(v);
        return s === undefined ? fail('invalid UTF-8') : { ok: true, value: s };
      }
      return fail(`not a ${type}`);
    case 'integer':
    case 'time': {
      const b = toBigInt(v);
      if (b === undefined) return fail('not an integer');
      if (b < INT64_MIN || b > INT64_MAX) return fail('integer out of int64 range');
      return { ok: true, value: normaliseInteger(b) };
    }
    case 'unsigned': {
      const b = toBigInt(v);
      if (b === undefined) return fail('not an unsigned integer');
      if (b < 0n || b > UINT64_MAX) return fail('unsigned out of range');
      return { ok: true, value: normaliseInteger(b) };
    }
    case 'float':
      if (typeof v === 'number') return { ok: true, value: v };
      if (typeof v === 'bigint') return { ok: true, value: Number(v) };
      if (typeof v === 'string' && FLOAT_RE.test(v)) return { ok: true, value: Number(v) };
      return fail('not a float');
    case 'boolean':
      if (typeof v === 'boolean') return { ok: true, value: v };
      if (v === 0 || v === '0') return { ok: true, value: false };
      if (v === 1 || v === '1') return { ok: true, value: true };
      return fail('not a boolean');
    case 'opaque':
      if (v instanceof Uint8Array) return { ok: true, value: v };
      return fail('not opaque');
    case 'objlnk':
      if (typeof v === 'string') {
        const o = parseObjlnk(v);
        return o ? { ok: true, value: o } : fail('not an objlnk');
      }
      if (isObjlnk(v) && isU16(v.objectId) && isU16(v.instanceId))
        return { ok: true, value: { objectId: v.objectId, instanceId: v.instanceId } };
      return fail('not an objlnk');
    case 'none':
      if (v === null || v === undefined) return { ok: true, value: null };
      if (v instanceof Uint8Array && v.length === 0) return { ok: true, value: null };
      return fail('resource has no value');
  }
  return fail('unknown type');
}
