// Type lookups for the content-format codecs, from the object definitions.
import { getObjectDef } from '../model/objects';
import type { DataType } from '../model/types';

export function resolveType(objectId: number, resourceId: number): { type: DataType; multiple: boolean } | undefined {
  const r = getObjectDef(objectId)?.resources.get(resourceId);
  return r ? { type: r.type, multiple: r.multiple } : undefined;
}
