// Public entry of the data model.
export type { DataType, Operations, ResourceDef, ObjectDef, Objlnk, Value, Path } from './types';
export { getObjectDef, getResourceDef, objectDefs, registeredObjectIds } from './objects';
export type { ObjectRow, ResourceRow } from './objects';
export { parsePath, formatPath, pathDepth, pathIds, pathFromIds, pathStartsWith, MAX_ID } from './path';
export { coerceValue, parseObjlnk, formatObjlnk, normaliseInteger, INT64_MIN, INT64_MAX, UINT64_MAX } from './value';
export type { CoerceResult } from './value';
