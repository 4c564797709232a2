// Type inference for values of resources the resolver does not know (encode side).
import type { DataType, Value } from '../model/types';

export function inferType(v: Value): DataType {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'float';
  if (v instanceof Uint8Array) return 'opaque';
  if (v === null) return 'none';
  return 'objlnk';
}
